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

    public init(database: Database, bus: EventBus, handlers: TaskHandlerRegistry, engine: TaskEngineSettings, tenants: any TenantDirectory) {
        self.database = database
        self.bus = bus
        self.handlers = handlers
        self.engine = engine
        self.tenants = tenants
    }

    /// The handlers this module contributes to every worker.
    public static func register(handlers: inout TaskHandlerRegistry) {
        handlers.register(WaitTaskHandler.taskType, WaitTaskHandler())
    }

    public func register(in registry: RouteRegistry) {
        let tasks = registry.group("/api/v1/tasks", tag: "tasks")
        TaskQueueController(database: database, engine: engine).register(in: tasks.group("", tag: "task queues"))
        TaskInsightController(database: database, bus: bus, handlers: handlers).register(in: tasks)
        IntentController(database: database).register(in: tasks)
        TaskController(database: database).register(in: tasks)
        CommandController(database: database, engine: engine).register(in: registry.group("/api/v1/commands", tag: "commands"))
        BulkController(database: database, tenants: tenants).register(in: registry.group("/api/v1/bulk", tag: "tasks"))
    }
}

/// Reads a JSON body that may be absent (`POST /tasks/{id}/start` with nothing to say).
func optionalBody<T: Decodable>(_ type: T.Type, _ request: Request, _ context: AuthenticatedContext) async throws -> T? {
    let buffer: ByteBuffer
    do {
        buffer = try await request.body.collect(upTo: PlatformRequestDecoder.maximumBodySize)
    } catch {
        throw APIError(.contentTooLarge, code: "PAYLOAD_TOO_LARGE", message: "The request body is larger than \(PlatformRequestDecoder.maximumBodySize) bytes")
    }
    guard buffer.readableBytes > 0 else { return nil }
    if let contentType = request.headers[.contentType], !contentType.lowercased().contains("json") {
        throw APIError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", message: "Expected a JSON body", hint: "Send 'Content-Type: application/json'")
    }
    return try PlatformRequestDecoder.decode(type, from: Data(buffer.readableBytesView))
}

enum TaskRules {
    static func isQueueName(_ text: String) -> Bool { text.wholeMatch(of: /[a-z0-9][a-z0-9_.:-]{0,62}/) != nil }
    static func isTaskType(_ text: String) -> Bool { text.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}/) != nil }

    static func isObject(_ value: JSONValue?) -> Bool {
        if case .object? = value { return true }
        return value == nil
    }
}
