import Foundation
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import TaskEngine

/// The `production` rows of routes.tsv: the short-video platform's project types, inspirations,
/// projects and worker configs, and the n8n loop that connects them (calls through the workflow
/// registry, recorded and sent by the task engine; callbacks authenticated by the registry's
/// callback secrets). See docs/production.md.
public struct ProductionModule: Sendable {
    let database: Database
    let registry: any WorkflowRegistryAccess
    let calls: N8nCalls
    let refusedTaskTypes: Set<String>

    /// - Parameters:
    ///   - registry: the workflow registry (the Workflows module's), to resolve, trigger and check.
    ///   - publicBaseURL: where n8n reaches the platform; the calls carry callback URLs under it.
    ///   - refusedTaskTypes: task types n8n may not create (the platform's internal and module-made ones).
    public init(database: Database, registry: any WorkflowRegistryAccess, publicBaseURL: String?, refusedTaskTypes: Set<String> = []) {
        self.database = database
        self.registry = registry
        self.calls = N8nCalls(publicBaseURL: publicBaseURL)
        self.refusedTaskTypes = refusedTaskTypes.union([N8nCallHandler.taskType])
    }

    public func register(in registry: RouteRegistry) {
        let execution = ProjectExecution(calls: calls)
        ProjectTypeController(database: database, registry: self.registry)
            .register(in: registry.group("/api/v1/project-types", tag: "project types"))
        InspirationController(database: database, calls: calls).register(in: registry.group("/api/v1/inspirations", tag: "inspirations"))
        ProjectController(database: database, execution: execution).register(in: registry.group("/api/v1/projects", tag: "projects"))
        WorkerConfigController(database: database).register(in: registry.group("/api/v1/worker-configs", tag: "worker configs"))
        N8nCallbackController(
            database: database, registry: self.registry, applier: N8nCallbackApplier(execution: execution, refusedTaskTypes: refusedTaskTypes)
        ).register(in: registry.group("/api/v1/webhooks/n8n", tag: "n8n callbacks"))
    }

    /// The task that sends recorded calls to n8n (the platform's own: never a tenant's task type).
    public func register(handlers: inout TaskHandlerRegistry) {
        handlers.register(N8nCallHandler.taskType, N8nCallHandler(database: database, registry: registry), isInternal: true)
    }

    /// A claiming worker receives the task's effective worker configs (`worker_configs`).
    public func register(taskViews: inout TaskViewExtensions) {
        taskViews.registerClaimFields { task, tx in try await WorkerConfigController.claimFields(task, tx) }
    }

    /// Keeps projects' task counters exact from the task engine's events.
    public var eventConsumer: any EventConsumer { ProjectTaskCounters() }
}
