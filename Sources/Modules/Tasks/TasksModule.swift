import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// The `tasks` rows of routes.tsv: tasks (all three seeds' task APIs on one engine), the
/// command queue and bulk operations.
public struct TasksModule: Sendable {
    let database: Database
    let bus: EventBus
    let handlers: TaskHandlerRegistry
    let engine: TaskEngineSettings
    let tenants: any TenantDirectory
    let views: TaskViewExtensions

    public init(
        database: Database, bus: EventBus, handlers: TaskHandlerRegistry, engine: TaskEngineSettings, tenants: any TenantDirectory,
        views: TaskViewExtensions = TaskViewExtensions()
    ) {
        self.database = database
        self.bus = bus
        self.handlers = handlers
        self.engine = engine
        self.tenants = tenants
        self.views = views
    }

    /// The handlers this module contributes to every worker.
    public static func register(handlers: inout TaskHandlerRegistry) {
        handlers.register(WaitTaskHandler.taskType, WaitTaskHandler())
    }

    public func register(in registry: RouteRegistry) {
        let tasks = registry.group("/api/v1/tasks", tag: "tasks")
        TaskQueueController(database: database, engine: engine, views: views).register(in: tasks.group("", tag: "task queues"))
        TaskInsightController(database: database, bus: bus, handlers: handlers, views: views).register(in: tasks)
        IntentController(database: database).register(in: tasks)
        TaskController(database: database, views: views, reservedTypes: handlers.reservedTaskTypes).register(in: tasks)
        CommandController(database: database, engine: engine).register(in: registry.group("/api/v1/commands", tag: "commands"))
        BulkController(database: database, tenants: tenants).register(in: registry.group("/api/v1/bulk", tag: "tasks"))
    }
}

enum TaskRules {
    static func isQueueName(_ text: String) -> Bool { text.wholeMatch(of: /[a-z0-9][a-z0-9_.:-]{0,62}/) != nil }
    static func isTaskType(_ text: String) -> Bool { text.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}/) != nil }

    static func isObject(_ value: JSONValue?) -> Bool {
        if case .object? = value { return true }
        return value == nil
    }
}
