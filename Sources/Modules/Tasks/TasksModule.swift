import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// The `workflows` rows of routes.tsv: tasks (all three seeds' task APIs on one engine), the
/// command queue and bulk operations.
public struct TasksModule: Sendable {
    let database: Database
    let bus: EventBus
    let handlers: TaskHandlerRegistry
    let engine: TaskEngineSettings

    public init(database: Database, bus: EventBus, handlers: TaskHandlerRegistry, engine: TaskEngineSettings) {
        self.database = database
        self.bus = bus
        self.handlers = handlers
        self.engine = engine
    }

    /// The handlers this module contributes to every worker.
    public static func register(handlers: inout TaskHandlerRegistry) {
        handlers.register(WaitTaskHandler.taskType, WaitTaskHandler())
    }

    public func register(in registry: RouteRegistry) {
        // Literal paths before `{id}` ones that share a prefix, so the router sees both.
        TaskQueueController(database: database, engine: engine).register(in: registry)
        TaskInsightController(database: database, bus: bus, handlers: handlers).register(in: registry)
        IntentController(database: database).register(in: registry)
        TaskController(database: database).register(in: registry)
        CommandController(database: database, engine: engine).register(in: registry)
        BulkController(database: database).register(in: registry)
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

/// The `{id}` (or `{task_id}`) path parameter; anything that is not a UUID names no task.
func pathID(_ context: AuthenticatedContext, _ name: String = "id", what: String = "Task", code: String = "TASK_NOT_FOUND") throws -> UUID {
    try context.pathUUID(name, notFound: what, code: code)
}

let taskIDParameter = RouteParameter.path("id", ["type": "string", "format": "uuid"])

enum TaskRules {
    static func isQueueName(_ text: String) -> Bool { text.wholeMatch(of: /[a-z0-9][a-z0-9_.:-]{0,62}/) != nil }
    static func isTaskType(_ text: String) -> Bool { text.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}/) != nil }

    static func isObject(_ value: JSONValue?) -> Bool {
        if case .object? = value { return true }
        return value == nil
    }
}
