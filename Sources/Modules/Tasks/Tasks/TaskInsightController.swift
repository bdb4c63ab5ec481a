import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// Reading tasks' state over time: statistics, task types, the context document and its
/// history, the event log and the live progress stream.
struct TaskInsightController: Sendable {
    let database: Database
    let bus: EventBus
    let handlers: TaskHandlerRegistry

    /// Counts by status and rates; served by both `/tasks/stats` and `/tasks/metrics/summary`.
    struct TaskStats: Codable, Sendable, ResponseEncodable {
        var totalTasks: Int
        var pending: Int
        var queued: Int
        var running: Int
        /// The content platform's name for running.
        var inProgress: Int
        var completed: Int
        var failed: Int
        var cancelled: Int
        /// completed / total.
        var completionRate: Double
        /// completed / (completed + failed).
        var successRate: Double
        /// Mean seconds from start to completion of completed tasks.
        var avgCompletionTime: Double?
    }

    struct ContextView: Codable, Sendable, ResponseEncodable {
        var taskId: UUID
        var version: Int
        var context: JSONValue
    }

    struct ContextPatch: Codable, Sendable {
        var version: Int
        var operations: JSONValue
        var createdAt: Date
    }

    struct Snapshot: Codable, Sendable, ResponseEncodable {
        var id: UUID
        var taskId: UUID
        var version: Int
        var context: JSONValue
        var createdAt: Date
    }

    func register(in registry: RouteRegistry) {
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/tasks/types", summary: "Task types: those the platform's workers run and those the tenant uses",
                tag: "tasks", access: .permission("workflow:task:list"), responses: [.json(.ok, [String].self)])
        ) { _, context in try await self.types(context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/tasks/stats", summary: "Task counts by status, completion and success rates, mean duration",
                tag: "tasks", access: .permission("workflow:task:stats"), responses: [.json(.ok, TaskStats.self)])
        ) { _, context in try await self.stats(context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/tasks/metrics/summary", summary: "The same statistics, under the content platform's path",
                tag: "tasks", access: .permission("workflow:task:stats"), responses: [.json(.ok, TaskStats.self)])
        ) { _, context in try await self.stats(context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/tasks/{id}/context", summary: "The task's context document and its version", tag: "tasks",
                access: .permission("workflow:task:read"), parameters: [taskIDParameter], responses: [.json(.ok, ContextView.self)])
        ) { _, context in try await self.context(context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/tasks/{id}/context/patches", summary: "The context's history as RFC 6902 JSON Patch operations, oldest first",
                tag: "tasks", access: .permission("workflow:task:read"), parameters: [taskIDParameter] + RouteParameter.paging,
                responses: [.json(.ok, Page<ContextPatch>.self)])
        ) { request, context in try await self.patches(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/tasks/{id}/context/snapshot", summary: "Keep a copy of the context as it is now", tag: "tasks",
                access: .permission("workflow:task:update"), parameters: [taskIDParameter], responses: [.json(.created, Snapshot.self)])
        ) { _, context in try await self.snapshot(context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/tasks/{id}/events", summary: "The task's event log, oldest first", tag: "tasks",
                access: .permission("workflow:task:read"), parameters: [taskIDParameter] + RouteParameter.paging,
                responses: [.json(.ok, Page<TaskEventRecord>.self)])
        ) { request, context in try await self.events(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/tasks/{id}/progress/stream", summary: "Server-Sent Events of one task until it finishes",
                description: "Starts with a `snapshot` event (the task as it is), or with the logged events after `Last-Event-ID` when resuming; ends after the task completes, fails or is cancelled.",
                tag: "tasks", access: .permission("workflow:task:read"),
                parameters: [
                    taskIDParameter,
                    .query("last_event_id", ["type": "string", "format": "uuid"], description: "Resume after this event"),
                    RouteParameter("Last-Event-ID", in: .header, schema: ["type": "string"], description: "Resume after this event"),
                ],
                responses: [.text(contentType: "text/event-stream", "The task's events")])
        ) { request, context in try await self.progressStream(request, context) }
    }

    func types(_ context: AuthenticatedContext) async throws -> [String] {
        let tenantID = context.principal.tenantID
        let used = try await database.withTenant(context.tenant) { tx in
            try await tx.all("SELECT DISTINCT task_type FROM tasks WHERE tenant_id = \(tenantID) AND kind = 'task' AND deleted_at IS NULL", as: String.self)
        }
        return Array(Set(used).union(handlers.publicTaskTypes)).sorted()
    }

    func stats(_ context: AuthenticatedContext) async throws -> TaskStats {
        let tenantID = context.principal.tenantID
        let row = try await database.withTenant(context.tenant) { tx in
            try await tx.first(
                """
                SELECT count(*)::int, count(*) FILTER (WHERE status = 'pending')::int, count(*) FILTER (WHERE status = 'queued')::int,
                       count(*) FILTER (WHERE status = 'running')::int, count(*) FILTER (WHERE status = 'completed')::int,
                       count(*) FILTER (WHERE status = 'failed')::int, count(*) FILTER (WHERE status = 'cancelled')::int,
                       avg(extract(epoch FROM completed_at - started_at)) FILTER (WHERE status = 'completed' AND started_at IS NOT NULL)::float8
                FROM tasks WHERE tenant_id = \(tenantID) AND kind = 'task' AND deleted_at IS NULL
                """, as: (Int, Int, Int, Int, Int, Int, Int, Double?).self)
        }
        guard let row else { throw APIError.internalError }
        let (total, pending, queued, running, completed, failed, cancelled, average) = row
        func ratio(_ part: Int, _ whole: Int) -> Double { whole == 0 ? 0 : (Double(part) / Double(whole) * 10_000).rounded() / 10_000 }
        return TaskStats(
            totalTasks: total, pending: pending, queued: queued, running: running, inProgress: running, completed: completed,
            failed: failed, cancelled: cancelled, completionRate: ratio(completed, total), successRate: ratio(completed, completed + failed),
            avgCompletionTime: average.map { ($0 * 1000).rounded() / 1000 })
    }

    func context(_ context: AuthenticatedContext) async throws -> ContextView {
        let id = try pathID(context)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            _ = try await TaskController.find(id, context, in: tx)
            guard let row = try await tx.first(
                "SELECT context::text, context_version FROM tasks WHERE tenant_id = \(tenantID) AND id = \(id)", as: (String, Int).self)
            else { throw APIError.notFound("Task", code: "TASK_NOT_FOUND") }
            return ContextView(taskId: id, version: row.1, context: try PlatformJSON.makeDecoder().decode(JSONValue.self, from: Data(row.0.utf8)))
        }
    }

    func patches(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<ContextPatch> {
        let id = try pathID(context)
        let page = try PageRequest(request: request)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let task = try await TaskController.find(id, context, in: tx)
            let rows = try await tx.all(
                """
                SELECT version, operations::text, created_at FROM task_context_patches
                WHERE tenant_id = \(tenantID) AND task_id = \(id) ORDER BY version LIMIT \(page.limit) OFFSET \(page.offset)
                """, as: (Int, String, Date).self)
            let items = try rows.map {
                ContextPatch(version: $0.0, operations: try PlatformJSON.makeDecoder().decode(JSONValue.self, from: Data($0.1.utf8)), createdAt: $0.2)
            }
            return Page(items: items, total: task.contextVersion, request: page)
        }
    }

    func snapshot(_ context: AuthenticatedContext) async throws -> EditedResponse<Snapshot> {
        let id = try pathID(context)
        let tenantID = context.principal.tenantID
        let snapshot = try await database.withTenant(context.tenant) { tx -> Snapshot in
            _ = try await TaskController.find(id, context, in: tx)
            let snapshotID = UUID.v7()
            guard let row = try await tx.first(
                """
                INSERT INTO task_context_snapshots (tenant_id, id, task_id, version, context, created_by)
                SELECT tenant_id, \(snapshotID), id, context_version, context, \(context.principal.userID)
                FROM tasks WHERE tenant_id = \(tenantID) AND id = \(id)
                RETURNING version, context::text, created_at
                """, as: (Int, String, Date).self)
            else { throw APIError.notFound("Task", code: "TASK_NOT_FOUND") }
            return Snapshot(
                id: snapshotID, taskId: id, version: row.0,
                context: try PlatformJSON.makeDecoder().decode(JSONValue.self, from: Data(row.1.utf8)), createdAt: row.2)
        }
        return EditedResponse(status: .created, response: snapshot)
    }

    func events(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<TaskEventRecord> {
        let id = try pathID(context)
        let page = try PageRequest(request: request)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            _ = try await TaskController.find(id, context, in: tx)
            let total = try await tx.first(
                "SELECT count(*)::int FROM event_log WHERE tenant_id = \(tenantID) AND subject_id = \(id)", as: Int.self) ?? 0
            let rows = try await tx.all(
                """
                SELECT id, type, data::text, occurred_at FROM event_log WHERE tenant_id = \(tenantID) AND subject_id = \(id)
                ORDER BY id LIMIT \(page.limit) OFFSET \(page.offset)
                """, as: (UUID, String, String, Date).self)
            let items = try rows.map {
                TaskEventRecord(
                    id: $0.0, taskId: id, type: $0.1, data: try PlatformJSON.makeDecoder().decode(JSONValue.self, from: Data($0.2.utf8)),
                    occurredAt: $0.3)
            }
            return Page(items: items, total: total, request: page)
        }
    }

    static let finalEvents: Set<String> = ["task.completed", "task.failed", "task.cancelled", "task.deleted"]

    func progressStream(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try pathID(context)
        let tenantID = context.principal.tenantID
        // Subscribe first, so nothing falls between what is read now and what arrives live.
        let subscription = bus.subscribe(tenantID: tenantID, subjectID: id)
        var stream = EventStreamResponse()
        stream.isFinal = { Self.finalEvents.contains($0.type) }
        do {
            let last = EventStreamResponse.lastEventID(request)
            let (task, replayed) = try await database.withTenant(context.tenant) { tx in
                let task = try await TaskController.find(id, context, in: tx)
                var replayed: [PlatformEvent] = []
                if let last { replayed = try await EventBus.replay(tenantID: tenantID, after: last, subjectID: id, in: tx) }
                return (task, replayed)
            }
            stream.replayed = replayed
            if last == nil {
                stream.opening = [EventStreamResponse.frame(event: "snapshot", data: task)]
                stream.closed = task.status.isTerminal
            }
        } catch {
            bus.unsubscribe(subscription.id)
            throw error
        }
        return stream.response(bus: bus, subscription: subscription)
    }
}
