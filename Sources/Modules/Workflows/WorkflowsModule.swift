import FlowEngine
import Foundation
import Logging
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import Providers
import ServiceLifecycle
import Synchronization
import TaskEngine

/// The `workflows` rows of routes.tsv: AutoMaticWorker's flows and executions, GoyaVision's
/// workflows and revisions, the content platform's history, the short-video platform's registry of
/// n8n workflows, all on one engine.
public struct WorkflowsModule: Sendable {
    public static let runTaskType = RunStore.taskType

    let database: Database
    let bus: EventBus
    public let kinds: FlowNodeRegistry
    let syncWait: Duration
    let schedulerInterval: Duration
    let sealer: SecretSealer?
    let targets: OutboundTargetPolicy

    /// - Parameters:
    ///   - extraKinds: node kinds other modules contribute (`operator`, `annotation`, ...).
    ///   - graphChecks: checks of a saved graph with the tenant's data (operator connections).
    public init(
        database: Database, bus: EventBus, providers: ProviderRegistry, targets: OutboundTargetPolicy, sealer: SecretSealer?, taskTypes: [String], publicBaseURL: String? = nil,
        extraKinds: [any FlowNodeKind] = [], graphChecks: [any FlowGraphCheck] = [], syncWait: Duration = .seconds(30), schedulerInterval: Duration = .seconds(5)
    ) {
        self.schedulerInterval = schedulerInterval
        self.database = database
        self.bus = bus
        self.syncWait = syncWait
        self.sealer = sealer
        self.targets = targets
        let waiter = TaskWaiter(database: database, bus: bus)
        // The subflow kind needs the finished registry, which holds the subflow kind.
        let finished = RegistryCell()
        var kinds = FlowNodeRegistry()
        for kind in CoreNodeKinds.all { kinds.register(kind) }
        kinds.register(HTTPRequestKind(policy: targets))
        kinds.register(LLMNodeKind(providers: providers))
        kinds.register(TaskNodeKind(database: database, waiter: waiter, taskTypes: taskTypes.filter { $0 != RunStore.taskType }))
        kinds.register(EmitNodeKind(database: database))
        kinds.register(N8nNodeKind(
            database: database, sealer: sealer, policy: targets, client: HTTPRequestKind.sharedClient, bus: bus, publicBaseURL: publicBaseURL))
        kinds.register(SubflowNodeKind(database: database, waiter: waiter, service: { WorkflowService(registry: finished.registry) }))
        for kind in extraKinds { kinds.register(kind) }
        for check in graphChecks { kinds.register(check: check) }
        finished.set(kinds)
        self.kinds = kinds
    }

    var service: WorkflowService { WorkflowService(registry: kinds) }

    public func register(handlers: inout TaskHandlerRegistry) {
        handlers.register(RunStore.taskType, WorkflowRunHandler(database: database, executor: FlowExecutor(registry: kinds)), createdByModule: true)
    }

    /// GoyaVision's fields on workflow tasks, and its unnamed progress messages.
    public func register(taskViews: inout TaskViewExtensions) {
        taskViews.register(taskType: RunStore.taskType, fields: RunViews.goyaTaskFields, progressMessage: RunViews.goyaProgressMessage)
    }

    public func register(in registry: RouteRegistry) {
        let service = service
        WorkflowController(database: database, service: service).register(in: registry.group("/api/v1/workflows", tag: "workflows"))
        FlowController(database: database, bus: bus, service: service, syncWait: syncWait)
            .register(flows: registry.group("/api/v1/flows", tag: "flows"), executions: registry.group("/api/v1/executions", tag: "flows"))
        NodeTypeController(registry: kinds).register(in: registry.group("/api/v1/node-types", tag: "flows"))
        HistoryController(database: database).register(in: registry.group("/api/v1/workflow", tag: "workflow history"))
        let workflowRegistry = registry.group("/api/v1/workflow-registry", tag: "workflow registry")
        RegistryController(database: database, sealer: sealer).register(in: workflowRegistry)
        CallbackController(database: database, sealer: sealer).register(in: workflowRegistry)
    }

    /// The registry of n8n workflows as a platform capability, for modules that trigger them.
    public var registryAccess: any WorkflowRegistryAccess {
        RegistryGateway(database: database, sealer: sealer, policy: targets, client: HTTPRequestKind.sharedClient)
    }

    /// Starts event-triggered workflows; an event outbox consumer.
    public func eventConsumer(logger: Logger) -> any EventConsumer {
        WorkflowEventTriggers(service: service, logger: logger)
    }

    /// Fires scheduled workflows; run one in every `serve` and `worker`.
    public func scheduler(logger: Logger) -> some Service {
        WorkflowScheduler(database: database, service: service, interval: schedulerInterval, logger: logger)
    }
}

/// Set once at assembly, read by kinds at run time.
final class RegistryCell: Sendable {
    private let value = Mutex(FlowNodeRegistry())
    func set(_ registry: FlowNodeRegistry) { value.withLock { $0 = registry } }
    var registry: FlowNodeRegistry { value.withLock { $0 } }
}
