import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// The queue side of tasks: enqueueing, where a task stands, the queues themselves, and the
/// HTTP API of external workers (claim, batched callback, retry).
struct TaskQueueController: Sendable {
    let database: Database
    let engine: TaskEngineSettings
    let views: TaskViewExtensions
    let store = TaskQueueStore()

    struct EnqueueResult: Codable, Sendable, ResponseEncodable {
        var message: String
        var jobId: UUID
        var queueName: String
        var status: TaskStatus
        var task: TaskRecord
    }

    enum QueueStatus: String, Codable, Sendable, SchemaEnum, CaseIterable {
        /// Not in a queue (pending).
        case notQueued = "not_queued"
        case waiting, scheduled
        /// Waiting for dependencies to complete.
        case blocked, running, finished
    }

    struct QueueStatusView: Codable, Sendable, ResponseEncodable {
        var taskId: UUID
        var status: TaskStatus
        var queueName: String
        var queueStatus: QueueStatus
        /// Runnable tasks ahead of this one in its queue.
        var position: Int?
        var waitingOn: [UUID]
        var attempts: Int
        var maxAttempts: Int
        var workerId: String?
        var leaseExpiresAt: Date?
        var scheduledAt: Date?
        var enqueuedAt: Date?
    }

    struct QueueCounts: Codable, Sendable {
        var name: String
        var pending: Int
        var queued: Int
        var running: Int
        var completed: Int
        var failed: Int
        var cancelled: Int
        var total: Int
    }

    struct QueueInfo: Codable, Sendable, ResponseEncodable {
        var queues: [QueueCounts]
        var totalQueued: Int
        var totalRunning: Int
    }

    struct PurgeResult: Codable, Sendable, ResponseEncodable {
        var message: String
        var queues: [String]
        var cancelled: Int
        var byQueue: [String: Int]
    }

    struct ClaimRequest: Codable, Sendable {
        var workerId: String
        var queues: [String]?
        var taskTypes: [String]?
        var limit: Int?
        var leaseSeconds: Int?
    }

    struct CallbackItem: Codable, Sendable {
        var taskId: UUID
        var status: TaskStatus?
        var progress: Int?
        var currentStep: String?
        var taskOutput: JSONValue?
        var output: JSONValue?
        var errorMessage: String?
        var taskMetadata: JSONValue?
    }

    struct CallbackRequest: Codable, Sendable {
        var reportType: String
        var worker: String
        var data: [CallbackItem]
    }

    struct CallbackItemResult: Codable, Sendable {
        var taskId: UUID
        var ok: Bool
        var status: TaskStatus?
        var error: String?
    }

    struct CallbackResult: Codable, Sendable, ResponseEncodable {
        var reportType: String
        var processed: Int
        var failed: Int
        var results: [CallbackItemResult]
    }

    struct RetryResult: Codable, Sendable, ResponseEncodable {
        var message: String
        var jobId: UUID
        var status: TaskStatus
    }

    /// Routes under `/api/v1/tasks`, documented as task queues.
    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("id")]
        routes.get("/queue-info", "Every queue of the tenant with its task counts by status", .permission("workflow:queue:read"), use: queueInfo)
        routes.get(
            "/list-redis-queues", "The names of the tenant's queues (the seed's name, kept for its clients)", .permission("workflow:queue:read"),
            use: queueNames)
        routes.post(
            "/delete-all-queues", "Empty every queue: queued tasks are cancelled; reports what was removed", .permission("workflow:queue:purge"),
            use: purge)
        routes.post(
            "/claim", "An external worker claims runnable tasks under a lease", .permission("workflow:task:claim"),
            description: "Runnable: queued, due, dependencies completed. Renew the lease with PATCH (progress) before `lease_expires_at`, or the task returns to the queue.",
            body: ClaimRequest.self, responses: [.json(.ok, [TaskView].self, "The claimed tasks (empty when there is nothing to do), with what modules add for workers")], use: claim)
        routes.post(
            "/callback", "A worker's batched report: each item's status change or progress", .permission("workflow:task:claim"),
            body: CallbackRequest.self, responses: [.json(.ok, CallbackResult.self, "Each item's outcome; items are applied independently")], use: callback)
        routes.post(
            "/{id}/enqueue", "Put a pending task in its queue", .permission("workflow:task:execute"), parameters: id,
            responses: [.error(.conflict, "Not pending")], use: enqueue)
        routes.get("/{id}/queue-status", "Where a task stands in its queue", .permission("workflow:task:read"), parameters: id, use: queueStatus)
        routes.post(
            "/monitoring/{id}/retry", "Retry a failed or cancelled task (attempts start afresh)", .permission("workflow:task:execute"),
            parameters: id, responses: [.error(.conflict, "Not failed or cancelled")], use: retry)
    }

    func enqueue(_ request: Request, _ context: AuthenticatedContext) async throws -> EnqueueResult {
        let id = try context.pathUUID("id", or: .taskNotFound)
        let tenantID = context.principal.tenantID
        let task = try await database.withTenant(context.tenant) { tx -> TaskRecord in
            let task = try await TaskController.find(id, context, in: tx)
            guard task.status == .pending else { throw TaskStore.invalidTransition(task, to: .queued) }
            return try await TaskStore.transition(id, tenantID: tenantID, to: .queued, kind: .task, in: tx)
        }
        return EnqueueResult(message: "Task queued", jobId: task.id, queueName: task.queue, status: task.status, task: task)
    }

    func queueStatus(_ request: Request, _ context: AuthenticatedContext) async throws -> QueueStatusView {
        let id = try context.pathUUID("id", or: .taskNotFound)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let task = try await TaskController.find(id, context, in: tx)
            let waitingOn = try await store.unfinishedDependencies(of: task, tenantID: tenantID, in: tx)
            var position: Int?
            let queueStatus: QueueStatus
            switch task.status {
            case .pending: queueStatus = .notQueued
            case .running: queueStatus = .running
            case .completed, .failed, .cancelled: queueStatus = .finished
            case .queued:
                if !waitingOn.isEmpty {
                    queueStatus = .blocked
                } else if let at = task.scheduledAt, at > Date() {
                    queueStatus = .scheduled
                } else {
                    queueStatus = .waiting
                    position = try await store.runnableAhead(of: task, tenantID: tenantID, in: tx)
                }
            }
            return QueueStatusView(
                taskId: task.id, status: task.status, queueName: task.queue, queueStatus: queueStatus, position: position,
                waitingOn: waitingOn, attempts: task.attempts, maxAttempts: task.maxAttempts, workerId: task.workerId,
                leaseExpiresAt: task.leaseExpiresAt, scheduledAt: task.scheduledAt, enqueuedAt: task.enqueuedAt)
        }
    }

    func queueInfo(_ request: Request, _ context: AuthenticatedContext) async throws -> QueueInfo {
        let tenantID = context.principal.tenantID
        let queues = try await database.withTenant(context.tenant) { tx in try await store.queueCounts(tenantID: tenantID, in: tx) }
        return QueueInfo(queues: queues, totalQueued: queues.reduce(0) { $0 + $1.queued }, totalRunning: queues.reduce(0) { $0 + $1.running })
    }

    func queueNames(_ request: Request, _ context: AuthenticatedContext) async throws -> [String] {
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in try await store.queueNames(tenantID: tenantID, in: tx) }
    }

    func purge(_ request: Request, _ context: AuthenticatedContext) async throws -> PurgeResult {
        let tenantID = context.principal.tenantID
        let cancelled = try await database.withTenant(context.tenant) { tx in
            try await TaskStore.cancelQueued(tenantID: tenantID, reason: "queue emptied by \(context.principal.userID.uuidString.lowercased())", in: tx)
        }
        var byQueue: [String: Int] = [:]
        for task in cancelled { byQueue[task.queue, default: 0] += 1 }
        return PurgeResult(
            message: "Cancelled \(cancelled.count) queued task(s) in \(byQueue.count) queue(s)",
            queues: byQueue.keys.sorted(), cancelled: cancelled.count, byQueue: byQueue)
    }

    func claim(_ request: Request, _ context: AuthenticatedContext) async throws -> [TaskView] {
        let body = try await request.decode(as: ClaimRequest.self, context: context)
        var problems: [String: String] = [:]
        if body.workerId.isEmpty || body.workerId.count > 200 { problems["worker_id"] = "must be 1-200 characters" }
        if let queues = body.queues, queues.isEmpty || queues.count > 50 || queues.contains(where: { !TaskRules.isQueueName($0) }) {
            problems["queues"] = "must list 1-50 queue names"
        }
        if let types = body.taskTypes, types.isEmpty || types.count > 100 || types.contains(where: { !TaskRules.isTaskType($0) }) {
            problems["task_types"] = "must list 1-100 task types"
        }
        if let limit = body.limit, !(1...100).contains(limit) { problems["limit"] = "must be from 1 to 100" }
        if let lease = body.leaseSeconds, !(5...3600).contains(lease) { problems["lease_seconds"] = "must be from 5 to 3600" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let claimed = try await TaskStore.claim(
                worker: body.workerId, leaseSeconds: body.leaseSeconds ?? engine.leaseSeconds, limit: body.limit ?? 1,
                queues: body.queues, taskTypes: body.taskTypes, tenantID: tenantID, in: tx)
            var views: [TaskView] = []
            for task in claimed { views.append(try await self.views.claimView(task, in: tx)) }
            return views
        }
    }

    func callback(_ request: Request, _ context: AuthenticatedContext) async throws -> CallbackResult {
        let body = try await request.decode(as: CallbackRequest.self, context: context)
        var problems: [String: String] = [:]
        if body.reportType.isEmpty || body.reportType.count > 100 { problems["report_type"] = "must be 1-100 characters" }
        if body.worker.isEmpty || body.worker.count > 200 { problems["worker"] = "must be 1-200 characters" }
        if !(1...500).contains(body.data.count) { problems["data"] = "must hold 1 to 500 reports" }
        for (index, item) in body.data.enumerated() {
            if let progress = item.progress, !(0...100).contains(progress) { problems["data[\(index)].progress"] = "must be from 0 to 100" }
            if let step = item.currentStep, step.count > 300 { problems["data[\(index)].current_step"] = "must be at most 300 characters" }
            if let error = item.errorMessage, error.count > 10_000 { problems["data[\(index)].error_message"] = "must be at most 10000 characters" }
            if !TaskRules.isObject(item.taskMetadata) { problems["data[\(index)].task_metadata"] = "must be an object" }
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        var results: [CallbackItemResult] = []
        for item in body.data {
            do {
                let task = try await database.withTenant(context.tenant) { tx -> TaskRecord in
                    let current = try await TaskController.find(item.taskId, context, in: tx)
                    let change = TaskStatusChange(
                        output: item.taskOutput ?? item.output, errorMessage: item.errorMessage, progress: item.progress,
                        currentStep: item.currentStep, metadata: item.taskMetadata)
                    if let status = item.status, status != current.status {
                        return try await TaskStore.transition(item.taskId, tenantID: tenantID, to: status, change: change, kind: .task, in: tx)
                    }
                    return try await TaskStore.report(item.taskId, tenantID: tenantID, change: change, kind: .task, in: tx)
                }
                results.append(CallbackItemResult(taskId: item.taskId, ok: true, status: task.status))
            } catch let error as APIError {
                results.append(CallbackItemResult(taskId: item.taskId, ok: false, error: error.message))
            }
        }
        let failed = results.filter { !$0.ok }.count
        return CallbackResult(reportType: body.reportType, processed: results.count - failed, failed: failed, results: results)
    }

    func retry(_ request: Request, _ context: AuthenticatedContext) async throws -> RetryResult {
        let id = try context.pathUUID("id", or: .taskNotFound)
        let tenantID = context.principal.tenantID
        let task = try await database.withTenant(context.tenant) { tx -> TaskRecord in
            let current = try await TaskController.find(id, context, in: tx)
            guard current.status == .failed || current.status == .cancelled else { throw TaskStore.invalidTransition(current, to: .queued) }
            var change = TaskStatusChange()
            change.resetAttempts = true
            return try await TaskStore.transition(id, tenantID: tenantID, to: .queued, change: change, kind: .task, in: tx)
        }
        return RetryResult(message: "Task queued again", jobId: task.id, status: task.status)
    }
}
