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

    let store = CommandStore()

    static let queue = "commands"

    struct ListQuery: QueryInput {
        var paging: PageRequest
        var status: CommandStatus?
    }

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("id")]
        routes.get("/stats/queue-stats", "Commands by status and mean processing time", .permission("workflow:command:list"), use: stats)
        routes.post(
            "/cleanup/clear-old", "Remove finished commands older than N days (default 7)", .permission("workflow:command:cleanup"),
            body: ClearOld.self, bodyRequired: false, use: clearOld)
        routes.post("", "Queue a command", .permission("workflow:command:create"), body: CreateCommand.self, use: create)
        routes.get("", "List commands", .permission("workflow:command:list"), query: ListQuery.self, use: list)
        routes.get("/{id}", "One command", .permission("workflow:command:read"), parameters: id, use: get)
        routes.post(
            "/{id}/complete", "Mark a command completed with its result", .permission("workflow:command:process"), parameters: id,
            body: CompleteCommand.self, bodyRequired: false, responses: [.error(.conflict, "Already finished")], use: complete)
        routes.post(
            "/{id}/fail", "Mark a command failed, or queue it again with `retry`", .permission("workflow:command:process"), parameters: id,
            body: FailCommand.self, bodyRequired: false, responses: [.error(.conflict, "Already finished")], use: fail)
        routes.post(
            "/{id}/cancel", "Cancel a command", .permission("workflow:command:cancel"), parameters: id,
            responses: [.noContent("Cancelled"), .error(.conflict, "Already finished")], use: cancel)
    }

    func id(_ context: AuthenticatedContext) throws -> UUID {
        try context.pathUUID("id", or: .commandNotFound)
    }

    func find(_ id: UUID, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> TaskRecord {
        guard let task = try await TaskStore.find(id, tenantID: context.principal.tenantID, kind: .command, in: tx) else {
            throw APIError.commandNotFound
        }
        return task
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<CommandView> {
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
        return Created(CommandView(task))
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> CommandList {
        let query = try request.query(ListQuery.self)
        let page = query.paging
        let filter = CommandFilter(tenantID: context.principal.tenantID, statuses: query.status?.engineStatuses)
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.count(filter, in: tx)
            let tasks = try await store.list(filter, page: page, in: tx)
            return CommandList(commands: tasks.map(CommandView.init), total: total, limit: page.limit, offset: page.offset)
        }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> CommandView {
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
        let body = try await request.decodeIfPresent(as: CompleteCommand.self, context: context)
        return CommandView(try await database.withTenant(context.tenant) { tx in
            try await finish(id, context, to: .completed, TaskStatusChange(output: body?.result ?? .null), in: tx)
        })
    }

    func fail(_ request: Request, _ context: AuthenticatedContext) async throws -> CommandView {
        let id = try id(context)
        let body = try await request.decodeIfPresent(as: FailCommand.self, context: context)
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

    func cancel(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try id(context)
        let tenantID = context.principal.tenantID
        _ = try await database.withTenant(context.tenant) { tx in
            try await TaskStore.transition(id, tenantID: tenantID, to: .cancelled, change: TaskStatusChange(errorMessage: "cancelled"), kind: .command, in: tx)
        }
        return NoContent()
    }

    func stats(_ request: Request, _ context: AuthenticatedContext) async throws -> QueueStats {
        let tenantID = context.principal.tenantID
        let counts = try await database.withTenant(context.tenant) { tx in try await store.statusCounts(tenantID: tenantID, in: tx) }
        return QueueStats(
            queued: counts.queued, processing: counts.processing, completed: counts.completed, failed: counts.failed, cancelled: counts.cancelled,
            avgProcessingTimeMs: counts.averageMilliseconds.map { $0.rounded() })
    }

    func clearOld(_ request: Request, _ context: AuthenticatedContext) async throws -> Cleared {
        let body = try await request.decodeIfPresent(as: ClearOld.self, context: context)
        let days = body?.olderThanDays ?? 7
        guard (0...3650).contains(days) else { throw APIError.validation(["older_than_days": "must be from 0 to 3650"]) }
        let tenantID = context.principal.tenantID
        let deleted = try await database.withTenant(context.tenant) { tx in
            try await store.deleteFinished(tenantID: tenantID, olderThanDays: days, in: tx)
        }
        return Cleared(deleted: deleted)
    }
}
