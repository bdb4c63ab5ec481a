import AsyncHTTPClient
import FlowEngine
import Foundation
import PlatformArtifacts
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import Providers

/// The `operators` rows of routes.tsv: GoyaVision's operator center (operators, versions,
/// templates, dependencies, MCP) and algorithm library, and the `operator` and `algorithm`
/// node kinds of the workflow engine.
public struct OperatorsModule: Sendable {
    let database: Database
    let service: OperatorService
    let runner: OperatorRunner
    let assets: any MediaAssetDirectory
    let providers: ProviderRegistry
    let runtime: OperatorNodeRuntime

    /// - Parameters:
    ///   - targets: the outbound target policy `http` operators and MCP server URLs pass.
    ///   - storage: where assets' files are (`builtin` operators read them) and produced files go.
    ///   - assets: the media module's assets (`MediaAssetDirectory`).
    public init(
        database: Database, providers: ProviderRegistry, targets: OutboundTargetPolicy, settings: OperatorSettings, storage: any BlobStorage,
        assets: any MediaAssetDirectory, artifacts: any ArtifactRecorder, client: HTTPClient = HTTPRequestKind.sharedClient
    ) {
        self.database = database
        self.assets = assets
        self.providers = providers
        service = OperatorService(targets: targets, settings: settings)
        runner = OperatorRunner(
            database: database, targets: targets, client: client, providers: providers, settings: settings, storage: storage,
            mcp: MCPServers(database: database, targets: targets, settings: settings))
        runtime = OperatorNodeRuntime(database: database, runner: runner, assets: assets, artifacts: artifacts)
    }

    /// The `operator` and `algorithm` kinds, for the workflow engine's registry.
    public var nodeKinds: [any FlowNodeKind] { [OperatorNodeKind(runtime: runtime), AlgorithmNodeKind(runtime: runtime)] }

    /// The operator-connection check run when a workflow is saved.
    public var graphChecks: [any FlowGraphCheck] { [OperatorConnectionCheck()] }

    public func register(in registry: RouteRegistry) {
        let operators = registry.group("/api/v1/operators", tag: "operators")
        OperatorController(database: database, service: service, runner: runner, assets: assets).register(in: operators)
        VersionController(database: database, service: service).register(in: operators)
        DependencyController(database: database).register(in: operators)
        TemplateController(database: database, service: service).register(in: operators)
        MCPController(database: database, servers: runner.mcp, service: service).register(in: operators.group("/mcp", tag: "operator MCP"))
        AlgorithmController(database: database, providers: providers).register(in: registry.group("/api/v1/algorithms", tag: "algorithms"))
    }
}
