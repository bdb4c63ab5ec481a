import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// The seed's monitoring tasks: crawls, downloads and analyses, each a task of the task engine
/// (so `POST /api/v1/tasks/monitoring/{id}/retry` and the task routes reach them too).
struct MonitoringTaskController: Sendable {
    let database: Database
    let store = MonitoringTaskStore()

    func register(in routes: RouteGroup) {
        routes.get(
            "/tasks", "Monitoring tasks, newest first (a bare array)", .permission("analysis:task:list"), query: MonitoringTaskQuery.self, use: list)
        routes.put(
            "/tasks/{task_id}", "Cancel, retry or re-prioritise a monitoring task", .permission("analysis:task:update"),
            description: "`status: cancelled` stops a waiting or running task; `status: queued` retries a failed or cancelled one (attempts start afresh); `priority` (0-100, higher first) changes a task that has not started. Other moves answer 409 with the current status.",
            parameters: [.uuid("task_id")], body: MonitoringTaskUpdate.self,
            responses: [.error(.conflict, "The task's status does not allow the change")], use: update)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> [MonitoringTaskView] {
        let query = try request.query(MonitoringTaskQuery.self)
        let filter = MonitoringTaskFilter(
            tenantID: context.principal.tenantID, accountID: query.accountId, videoID: query.videoId, type: query.taskType, status: query.status)
        return try await database.withTenant(context.tenant) { tx in
            try await store.list(filter, limit: query.limit ?? 100, offset: query.skip ?? 0, in: tx).map(MonitoringTaskView.init)
        }
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> MonitoringTaskView {
        let id = try context.pathUUID("task_id", or: .monitoringTaskNotFound)
        let input = try await request.decode(as: MonitoringTaskUpdate.self, context: context)
        var problems: [String: String] = [:]
        if let status = input.status, ![.cancelled, .queued].contains(status) { problems["status"] = "may be cancelled (stop it) or queued (retry it)" }
        if let priority = input.priority, !(0...100).contains(priority) { problems["priority"] = "must be from 0 to 100 (higher runs first)" }
        if input.status == nil && input.priority == nil { problems["status"] = "send status or priority" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        return MonitoringTaskView(try await database.withTenant(context.tenant) { tx in
            guard let task = try await store.find(id, tenantID: tenantID, in: tx) else { throw APIError.monitoringTaskNotFound }
            if let priority = input.priority, priority != task.priority {
                guard try await store.reprioritize(id, to: priority, tenantID: tenantID, in: tx) else {
                    throw APIError.conflict(
                        "Only a task that has not started can change its priority", code: "INVALID_STATUS_TRANSITION",
                        details: ["current_status": .string(task.status.rawValue)])
                }
            }
            switch input.status {
            case .cancelled?:
                _ = try await TaskStore.transition(
                    id, tenantID: tenantID, to: .cancelled, change: TaskStatusChange(errorMessage: "cancelled by a user"), kind: .task, in: tx)
            case .queued?:
                guard task.status == .failed || task.status == .cancelled else {
                    throw APIError(
                        .conflict, code: "INVALID_STATUS_TRANSITION", message: "Only a failed or cancelled task can be retried",
                        details: ["current_status": .string(task.status.rawValue), "requested_status": "queued"])
                }
                var change = TaskStatusChange()
                change.resetAttempts = true
                _ = try await TaskStore.transition(id, tenantID: tenantID, to: .queued, change: change, kind: .task, in: tx)
            default:
                break
            }
            guard let updated = try await store.find(id, tenantID: tenantID, in: tx) else { throw APIError.monitoringTaskNotFound }
            return updated
        })
    }
}
