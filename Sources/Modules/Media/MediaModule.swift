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

    public init(
        database: Database, storage: any BlobStorage, files: any StoredFileDirectory, artifacts: ArtifactStore, targets: OutboundTargetPolicy,
        probeTimeout: Duration = .seconds(20)
    ) {
        self.database = database
        self.storage = storage
        self.files = files
        self.artifacts = artifacts
        self.targets = targets
        self.probeTimeout = probeTimeout
    }

    public func register(in registry: RouteRegistry) {
        AssetController(database: database, files: files).register(in: registry.group("/api/v1/assets", tag: "assets"))
        SourceController(database: database, targets: targets, probeTimeout: probeTimeout)
            .register(in: registry.group("/api/v1/sources", tag: "media sources"))
        let artifactRoutes = ArtifactController(database: database, artifacts: artifacts)
        artifactRoutes.register(in: registry.group("/api/v1/artifacts", tag: "artifacts"))
        artifactRoutes.registerTaskRoute(in: registry.group("/api/v1/tasks", tag: "artifacts"))
    }

    /// Probing assets' files with ffprobe, on the task engine.
    public func register(handlers: inout TaskHandlerRegistry) {
        handlers.register(
            AssetProbeHandler.taskType, AssetProbeHandler(database: database, storage: storage, timeout: .seconds(60)), isInternal: true)
    }
}
