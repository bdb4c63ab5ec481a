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
    let views: TaskViewExtensions
    let store = TaskInsightStore()

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

    struct StreamQuery: QueryInput {
        var lastEventId: UUID?
        /// Read by authentication (for EventSource clients that cannot send headers).
        var token: String?
        static let parameterDocs: [String: QueryParameterDoc] = [
            "last_event_id": .init("Resume after this event"),
            "token": .init("An access token or API key, for clients that cannot send an Authorization header (EventSource)", maxLength: 4096),
        ]
    }

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("id")]
        routes.get("/types", "Task types: those the platform's workers run and those the tenant uses", .permission("workflow:task:list"), use: types)
        routes.get("/stats", "Task counts by status, completion and success rates, mean duration", .permission("workflow:task:stats"), use: stats)
        routes.get("/metrics/summary", "The same statistics, under the content platform's path", .permission("workflow:task:stats"), use: stats)
        routes.get("/{id}/context", "The task's context document and its version", .permission("workflow:task:read"), parameters: id, use: context)
        routes.get(
            "/{id}/context/patches", "The context's history as RFC 6902 JSON Patch operations, oldest first", .permission("workflow:task:read"),
            query: PagingQuery.self, parameters: id, use: patches)
        routes.post("/{id}/context/snapshot", "Keep a copy of the context as it is now", .permission("workflow:task:update"), parameters: id, use: snapshot)
        routes.get("/{id}/events", "The task's event log, oldest first", .permission("workflow:task:read"), query: PagingQuery.self, parameters: id, use: events)
        routes.get(
            "/{id}/progress/stream", "Server-Sent Events of one task until it finishes", .permission("workflow:task:read"),
            description: "Starts with a `snapshot` event (the task as it is), or with the logged events after `Last-Event-ID` when resuming; ends after the task completes, fails or is cancelled.",
            query: StreamQuery.self,
            parameters: id + [RouteParameter("Last-Event-ID", in: .header, schema: ["type": "string"], description: "Resume after this event")],
            responses: [.text(contentType: "text/event-stream", "The task's events")], use: progressStream)
    }

    func types(_ request: Request, _ context: AuthenticatedContext) async throws -> [String] {
        let tenantID = context.principal.tenantID
        let used = try await database.withTenant(context.tenant) { tx in try await store.usedTypes(tenantID: tenantID, in: tx) }
        return Array(Set(used).union(handlers.publicTaskTypes)).sorted()
    }

    func stats(_ request: Request, _ context: AuthenticatedContext) async throws -> TaskStats {
        let tenantID = context.principal.tenantID
        let counts = try await database.withTenant(context.tenant) { tx in try await store.statusCounts(tenantID: tenantID, in: tx) }
        let (total, pending, queued, running, completed, failed, cancelled, average) = (
            counts.total, counts.pending, counts.queued, counts.running, counts.completed, counts.failed, counts.cancelled, counts.averageSeconds)
        func ratio(_ part: Int, _ whole: Int) -> Double { whole == 0 ? 0 : (Double(part) / Double(whole) * 10_000).rounded() / 10_000 }
        return TaskStats(
            totalTasks: total, pending: pending, queued: queued, running: running, inProgress: running, completed: completed,
            failed: failed, cancelled: cancelled, completionRate: ratio(completed, total), successRate: ratio(completed, completed + failed),
            avgCompletionTime: average.map { ($0 * 1000).rounded() / 1000 })
    }

    func context(_ request: Request, _ context: AuthenticatedContext) async throws -> ContextView {
        let id = try context.pathUUID("id", or: .taskNotFound)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            _ = try await TaskController.find(id, context, in: tx)
            guard let view = try await store.context(of: id, tenantID: tenantID, in: tx) else { throw APIError.taskNotFound }
            return view
        }
    }

    func patches(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<ContextPatch> {
        let id = try context.pathUUID("id", or: .taskNotFound)
        let page = try request.query(PagingQuery.self).paging
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let task = try await TaskController.find(id, context, in: tx)
            let items = try await store.patches(of: id, tenantID: tenantID, page: page, in: tx)
            return Page(items: items, total: task.contextVersion, request: page)
        }
    }

    func snapshot(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<Snapshot> {
        let id = try context.pathUUID("id", or: .taskNotFound)
        let tenantID = context.principal.tenantID
        let snapshot = try await database.withTenant(context.tenant) { tx -> Snapshot in
            _ = try await TaskController.find(id, context, in: tx)
            guard let snapshot = try await store.snapshot(id, tenantID: tenantID, by: context.principal.userID, in: tx) else { throw APIError.taskNotFound }
            return snapshot
        }
        return Created(snapshot)
    }

    func events(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<TaskEventRecord> {
        let id = try context.pathUUID("id", or: .taskNotFound)
        let page = try request.query(PagingQuery.self).paging
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            _ = try await TaskController.find(id, context, in: tx)
            let total = try await store.eventCount(of: id, tenantID: tenantID, in: tx)
            let items = try await store.events(of: id, tenantID: tenantID, page: page, in: tx)
            return Page(items: items, total: total, request: page)
        }
    }

    static let finalEvents: Set<String> = ["task.completed", "task.failed", "task.cancelled", "task.deleted"]

    func progressStream(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.pathUUID("id", or: .taskNotFound)
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
            if views.hasProgressMessages(task.taskType) {
                let database = self.database, views = self.views, scope = context.tenant
                stream.companion = { _ in
                    let message = try? await database.withTenant(scope) { tx -> JSONValue? in
                        guard let current = try await TaskStore.find(id, tenantID: tenantID, in: tx) else { return nil }
                        return try await views.progressMessage(for: current, in: tx)
                    }
                    return message.flatMap { $0 }.map { EventStreamResponse.message($0) }
                }
            }
            if last == nil { stream.opening = [EventStreamResponse.frame(event: "snapshot", data: task)] }
            // A finished task's stream ends after what it has to say, resumed or not.
            stream.closed = task.status.isTerminal
        } catch {
            bus.unsubscribe(subscription.id)
            throw error
        }
        return stream.response(bus: bus, subscription: subscription)
    }
}
