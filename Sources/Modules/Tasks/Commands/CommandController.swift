import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// The content platform's command queue, on the task engine: a command is a task of kind
/// `command` in the `commands` queue, its name the task type and its parameters the input.
struct CommandController: Sendable {
    let database: Database
    let engine: TaskEngineSettings

    enum Priority: String, Codable, Sendable, SchemaEnum, CaseIterable {
        case high, normal, low

        var value: Int {
            switch self {
            case .high: 80
            case .normal: 50
            case .low: 20
            }
        }

        init(value: Int) {
            self = value >= 65 ? .high : value >= 35 ? .normal : .low
        }
    }

    /// The seed's words for the engine's statuses.
    enum CommandStatus: String, Codable, Sendable, SchemaEnum, CaseIterable {
        case queued, processing, completed, failed, cancelled

        init(_ status: TaskStatus) {
            switch status {
            case .pending, .queued: self = .queued
            case .running: self = .processing
            case .completed: self = .completed
            case .failed: self = .failed
            case .cancelled: self = .cancelled
            }
        }

        var engineStatuses: [String] {
            switch self {
            case .queued: ["pending", "queued"]
            case .processing: ["running"]
            case .completed: ["completed"]
            case .failed: ["failed"]
            case .cancelled: ["cancelled"]
            }
        }
    }

    struct CommandView: Codable, Sendable, ResponseEncodable {
        var commandId: UUID
        var command: String
        var parameters: JSONValue
        var priority: Priority
        var status: CommandStatus
        var result: JSONValue?
        var error: String?
        var attempts: Int
        var maxAttempts: Int
        var createdAt: Date
        var updatedAt: Date
        var startedAt: Date?
        var completedAt: Date?

        init(_ task: TaskRecord) {
            commandId = task.id
            command = task.taskType
            parameters = task.taskInput
            priority = Priority(value: task.priority)
            status = CommandStatus(task.status)
            result = task.taskOutput
            error = task.errorMessage
            attempts = task.attempts
            maxAttempts = task.maxAttempts
            createdAt = task.createdAt
            updatedAt = task.updatedAt
            startedAt = task.startedAt
            completedAt = task.completedAt
        }
    }

    struct CommandList: Codable, Sendable, ResponseEncodable {
        var commands: [CommandView]
        var total: Int
        var limit: Int
        var offset: Int
    }

    struct CreateCommand: Codable, Sendable {
        var command: String
        var parameters: JSONValue?
        var priority: Priority?
        var maxAttempts: Int?
    }

    struct CompleteCommand: Codable, Sendable {
        var result: JSONValue?
    }

    struct FailCommand: Codable, Sendable {
        var error: String?
        /// Queue it again (while attempts remain) instead of failing it for good.
        var retry: Bool?
    }

    struct QueueStats: Codable, Sendable, ResponseEncodable {
        var queued: Int
        var processing: Int
        var completed: Int
        var failed: Int
        var cancelled: Int
        var avgProcessingTimeMs: Double?
    }

    struct ClearOld: Codable, Sendable {
        var olderThanDays: Int?
    }

    struct Cleared: Codable, Sendable, ResponseEncodable {
        var deleted: Int
    }

    static let queue = "commands"

    func register(in registry: RouteRegistry) {
        let idParameter = RouteParameter.path("id", ["type": "string", "format": "uuid"])
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/commands/stats/queue-stats", summary: "Commands by status and mean processing time", tag: "commands",
                access: .permission("workflow:command:list"), responses: [.json(.ok, QueueStats.self)])
        ) { _, context in try await self.stats(context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/commands/cleanup/clear-old", summary: "Remove finished commands older than N days (default 7)",
                tag: "commands", access: .permission("workflow:command:cleanup"), body: .type(ClearOld.self), bodyRequired: false,
                responses: [.json(.ok, Cleared.self)])
        ) { request, context in try await self.clearOld(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/commands", summary: "Queue a command", tag: "commands", access: .permission("workflow:command:create"),
                body: .type(CreateCommand.self), responses: [.json(.created, CommandView.self)])
        ) { request, context in try await self.create(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/commands", summary: "List commands", tag: "commands", access: .permission("workflow:command:list"),
                parameters: RouteParameter.paging + [.query("status", ["type": "string", "enum": ["queued", "processing", "completed", "failed", "cancelled"]])],
                responses: [.json(.ok, CommandList.self)])
        ) { request, context in try await self.list(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/commands/{id}", summary: "One command", tag: "commands", access: .permission("workflow:command:read"),
                parameters: [idParameter], responses: [.json(.ok, CommandView.self)])
        ) { _, context in try await self.get(context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/commands/{id}/complete", summary: "Mark a command completed with its result", tag: "commands",
                access: .permission("workflow:command:process"), parameters: [idParameter], body: .type(CompleteCommand.self), bodyRequired: false,
                responses: [.json(.ok, CommandView.self), .error(.conflict, "Already finished")])
        ) { request, context in try await self.complete(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/commands/{id}/fail", summary: "Mark a command failed, or queue it again with `retry`", tag: "commands",
                access: .permission("workflow:command:process"), parameters: [idParameter], body: .type(FailCommand.self), bodyRequired: false,
                responses: [.json(.ok, CommandView.self), .error(.conflict, "Already finished")])
        ) { request, context in try await self.fail(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/commands/{id}/cancel", summary: "Cancel a command", tag: "commands",
                access: .permission("workflow:command:cancel"), parameters: [idParameter],
                responses: [.noContent("Cancelled"), .error(.conflict, "Already finished")])
        ) { _, context in try await self.cancel(context) }
    }

    func id(_ context: AuthenticatedContext) throws -> UUID {
        try pathID(context, what: "Command", code: "COMMAND_NOT_FOUND")
    }

    func find(_ id: UUID, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> TaskRecord {
        guard let task = try await TaskStore.find(id, tenantID: context.principal.tenantID, kind: .command, in: tx) else {
            throw APIError.notFound("Command", code: "COMMAND_NOT_FOUND")
        }
        return task
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> EditedResponse<CommandView> {
        let body = try await request.decode(as: CreateCommand.self, context: context)
        var problems: [String: String] = [:]
        if !TaskRules.isTaskType(body.command) { problems["command"] = "must be 1-100 letters, digits or _ . : -" }
        if !TaskRules.isObject(body.parameters) { problems["parameters"] = "must be an object" }
        if let attempts = body.maxAttempts, !(1...100).contains(attempts) { problems["max_attempts"] = "must be from 1 to 100" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        var new = NewTask(taskType: body.command)
        new.kind = .command
        new.queue = Self.queue
        new.priority = (body.priority ?? .normal).value
        new.input = body.parameters ?? [:]
        new.maxAttempts = body.maxAttempts ?? 3
        new.enqueue = true
        let task = try await database.withTenant(context.tenant) { tx in
            try await TaskStore.insert(new, tenantID: context.principal.tenantID, ownerID: context.principal.userID, in: tx)
        }
        return EditedResponse(status: .created, response: CommandView(task))
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> CommandList {
        let page = try PageRequest(request: request)
        let statusText = request.uri.queryParameters["status"].map(String.init)
        let status = statusText.flatMap(CommandStatus.init(rawValue:))
        if statusText != nil && status == nil { throw APIError.validation(["status": "must be one of queued, processing, completed, failed, cancelled"]) }
        let statuses = status?.engineStatuses
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let total = try await tx.first(
                """
                SELECT count(*)::int FROM tasks t WHERE t.tenant_id = \(tenantID) AND t.kind = 'command' AND t.deleted_at IS NULL
                  AND (\(statuses)::text[] IS NULL OR t.status = ANY(\(statuses)))
                """, as: Int.self) ?? 0
            let tasks = try await TaskStore.records(
                """
                SELECT \(unescaped: TaskRecord.columns) FROM tasks t WHERE t.tenant_id = \(tenantID) AND t.kind = 'command' AND t.deleted_at IS NULL
                  AND (\(statuses)::text[] IS NULL OR t.status = ANY(\(statuses)))
                ORDER BY t.id DESC LIMIT \(page.limit) OFFSET \(page.offset)
                """, in: tx)
            return CommandList(commands: tasks.map(CommandView.init), total: total, limit: page.limit, offset: page.offset)
        }
    }

    func get(_ context: AuthenticatedContext) async throws -> CommandView {
        let id = try id(context)
        return CommandView(try await database.withTenant(context.tenant) { tx in try await find(id, context, in: tx) })
    }

    /// A command finished by whoever processed it: a queued one passes through processing.
    func finish(_ id: UUID, _ context: AuthenticatedContext, to target: TaskStatus, _ change: TaskStatusChange, in tx: DatabaseTransaction) async throws -> TaskRecord {
        let tenantID = context.principal.tenantID
        let current = try await find(id, context, in: tx)
        if current.status == .queued || current.status == .pending {
            _ = try await TaskStore.transition(id, tenantID: tenantID, to: .running, kind: .command, in: tx)
        }
        return try await TaskStore.transition(id, tenantID: tenantID, to: target, change: change, kind: .command, in: tx)
    }

    func complete(_ request: Request, _ context: AuthenticatedContext) async throws -> CommandView {
        let id = try id(context)
        let body = try await optionalBody(CompleteCommand.self, request, context)
        return CommandView(try await database.withTenant(context.tenant) { tx in
            try await finish(id, context, to: .completed, TaskStatusChange(output: body?.result ?? .null), in: tx)
        })
    }

    func fail(_ request: Request, _ context: AuthenticatedContext) async throws -> CommandView {
        let id = try id(context)
        let body = try await optionalBody(FailCommand.self, request, context)
        let message = body?.error ?? "failed"
        if message.count > 10_000 { throw APIError.validation(["error": "must be at most 10000 characters"]) }
        let tenantID = context.principal.tenantID
        return CommandView(try await database.withTenant(context.tenant) { tx in
            let current = try await find(id, context, in: tx)
            guard !current.status.isTerminal else { throw TaskStore.invalidTransition(current, to: .failed) }
            if body?.retry == true {
                let running = current.status == .running ? current : try await TaskStore.transition(id, tenantID: tenantID, to: .running, kind: .command, in: tx)
                if running.attempts < running.maxAttempts {
                    let delay = engine.retryDelay(afterAttempt: running.attempts)
                    let retried = try await TaskStore.transition(
                        id, tenantID: tenantID, to: .queued,
                        change: TaskStatusChange(errorMessage: message, notBefore: Date().addingTimeInterval(delay.seconds)), kind: .command, in: tx)
                    try await TaskStore.publish(retried, "retry_scheduled", extra: ["retry_in_seconds": .double(delay.seconds)], in: tx)
                    return retried
                }
            }
            return try await finish(id, context, to: .failed, TaskStatusChange(errorMessage: message), in: tx)
        })
    }

    func cancel(_ context: AuthenticatedContext) async throws -> Response {
        let id = try id(context)
        let tenantID = context.principal.tenantID
        _ = try await database.withTenant(context.tenant) { tx in
            try await TaskStore.transition(id, tenantID: tenantID, to: .cancelled, change: TaskStatusChange(errorMessage: "cancelled"), kind: .command, in: tx)
        }
        return Response(status: .noContent)
    }

    func stats(_ context: AuthenticatedContext) async throws -> QueueStats {
        let tenantID = context.principal.tenantID
        let row = try await database.withTenant(context.tenant) { tx in
            try await tx.first(
                """
                SELECT count(*) FILTER (WHERE status IN ('pending', 'queued'))::int, count(*) FILTER (WHERE status = 'running')::int,
                       count(*) FILTER (WHERE status = 'completed')::int, count(*) FILTER (WHERE status = 'failed')::int,
                       count(*) FILTER (WHERE status = 'cancelled')::int,
                       (avg(extract(epoch FROM completed_at - started_at)) FILTER (WHERE status = 'completed' AND started_at IS NOT NULL) * 1000)::float8
                FROM tasks WHERE tenant_id = \(tenantID) AND kind = 'command' AND deleted_at IS NULL
                """, as: (Int, Int, Int, Int, Int, Double?).self)
        }
        guard let row else { throw APIError.internalError }
        return QueueStats(queued: row.0, processing: row.1, completed: row.2, failed: row.3, cancelled: row.4, avgProcessingTimeMs: row.5.map { $0.rounded() })
    }

    func clearOld(_ request: Request, _ context: AuthenticatedContext) async throws -> Cleared {
        let body = try await optionalBody(ClearOld.self, request, context)
        let days = body?.olderThanDays ?? 7
        guard (0...3650).contains(days) else { throw APIError.validation(["older_than_days": "must be from 0 to 3650"]) }
        let tenantID = context.principal.tenantID
        let deleted = try await database.withTenant(context.tenant) { tx in
            try await tx.execute(
                """
                UPDATE tasks SET deleted_at = now(), updated_at = now()
                WHERE tenant_id = \(tenantID) AND kind = 'command' AND deleted_at IS NULL
                  AND status IN ('completed', 'failed', 'cancelled') AND completed_at < now() - \(days) * interval '1 day'
                RETURNING 1
                """)
        }
        return Cleared(deleted: deleted)
    }
}
