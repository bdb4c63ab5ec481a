import Foundation
import PlatformArtifacts
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import TaskEngine

/// The `media` rows of routes.tsv: assets (both video seeds), media sources and artifacts.
public struct MediaModule: Sendable {
    let database: Database
    let storage: any BlobStorage
    let files: any StoredFileDirectory
    let artifacts: ArtifactStore
    let targets: OutboundTargetPolicy
    let probeTimeout: Duration
    let limits: PlatformConfig.Files

    public init(
        database: Database, storage: any BlobStorage, files: any StoredFileDirectory, artifacts: ArtifactStore, targets: OutboundTargetPolicy,
        limits: PlatformConfig.Files, probeTimeout: Duration = .seconds(20)
    ) {
        self.limits = limits
        self.database = database
        self.storage = storage
        self.files = files
        self.artifacts = artifacts
        self.targets = targets
        self.probeTimeout = probeTimeout
    }

    public func register(in registry: RouteRegistry) {
        AssetController(database: database, files: files, storage: storage, limits: limits).register(in: registry.group("/api/v1/assets", tag: "assets"))
        SourceController(database: database, targets: targets, probeTimeout: probeTimeout)
            .register(in: registry.group("/api/v1/sources", tag: "media sources"))
        let artifactRoutes = ArtifactController(database: database, artifacts: artifacts)
        artifactRoutes.register(in: registry.group("/api/v1/artifacts", tag: "artifacts"))
        artifactRoutes.registerTaskRoute(in: registry.group("/api/v1/tasks", tag: "artifacts"))
    }

    /// Assets for other modules (imports of fetched content, assets they refer to).
    public var assetCatalog: any MediaAssetCatalog { AssetCatalog(files: files) }

    /// Probing assets' files with ffprobe, on the task engine.
    public func register(handlers: inout TaskHandlerRegistry) {
        handlers.register(
            AssetProbeHandler.taskType, AssetProbeHandler(database: database, storage: storage, timeout: .seconds(60)), isInternal: true)
    }
}
