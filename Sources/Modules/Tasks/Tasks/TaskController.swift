import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// Task CRUD and the status runtime (start, complete, fail, cancel, a worker's PATCH).
struct TaskController: Sendable {
    typealias CreateTask = TaskInputs.CreateTask
    typealias BatchCreate = TaskInputs.BatchCreate
    typealias UpdateTask = TaskInputs.UpdateTask
    typealias StatusUpdate = TaskInputs.StatusUpdate
    typealias CompleteTask = TaskInputs.CompleteTask
    typealias FailTask = TaskInputs.FailTask
    typealias CancelTask = TaskInputs.CancelTask

    let database: Database
    let views: TaskViewExtensions
    /// Types only their modules create (workflow runs).
    let reservedTypes: Set<String>

    let store = TaskListStore()

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("id")]
        routes.post("", "Create a task (pending, or queued with `enqueue: true`)", .permission("workflow:task:create"), body: CreateTask.self, use: create)
        routes.post("/batch", "Create several tasks at once (all or none)", .permission("workflow:task:create"), body: BatchCreate.self, use: createBatch)
        routes.get("", "List tasks", .permission("workflow:task:list"), query: TaskInputs.ListQuery.self, use: list)
        routes.get("/{id}", "One task", .permission("workflow:task:read"), parameters: id, use: get)
        routes.put(
            "/{id}", "Change a task's definition (input, queue and schedule only while it waits)", .permission("workflow:task:update"),
            parameters: id, body: UpdateTask.self,
            responses: [.error(.conflict, "The task has started; only its name, metadata and visibility can change")], use: update)
        routes.patch(
            "/{id}", "A worker's status report: status, progress, step, output, context", .permission("workflow:task:execute"),
            parameters: id, body: StatusUpdate.self,
            responses: [.error(.conflict, "The status cannot change that way (details.current_status), or another worker holds the lease")], use: patch)
        routes.delete(
            "/{id}", "Delete a task that is not running", .permission("workflow:task:delete"), parameters: id,
            responses: [.noContent("Deleted"), .error(.conflict, "The task is running; cancel it first")], use: delete)
        routes.post(
            "/{id}/start", "Mark a task running (outside the queue: no lease)", .permission("workflow:task:execute"), parameters: id,
            responses: [.error(.conflict, "Not pending or queued")], use: start)
        routes.post(
            "/{id}/complete", "Complete a running task with its output", .permission("workflow:task:execute"), parameters: id,
            body: CompleteTask.self, bodyRequired: false, responses: [.error(.conflict, "Not running")], use: complete)
        routes.post(
            "/{id}/fail", "Fail a running task", .permission("workflow:task:execute"), parameters: id,
            body: FailTask.self, bodyRequired: false, responses: [.error(.conflict, "Not running")], use: fail)
        routes.post(
            "/{id}/cancel", "Cancel a task; a running handler is stopped", .permission("workflow:task:cancel"), parameters: id,
            body: CancelTask.self, bodyRequired: false, responses: [.error(.conflict, "Already finished")], use: cancel)
    }

    /// Checks a create body; every bad field is named.
    static func validate(_ body: CreateTask, field prefix: String = "", reserved: Set<String> = []) -> (NewTask?, [String: String]) {
        var problems: [String: String] = [:]
        let type = body.taskType ?? "generic"
        if !TaskRules.isTaskType(type) { problems[prefix + "task_type"] = "must be 1-100 letters, digits or _ . : -" }
        if reserved.contains(type) { problems[prefix + "task_type"] = "\(type) tasks are created through their own routes" }
        if let name = body.taskName, name.count > 300 { problems[prefix + "task_name"] = "must be at most 300 characters" }
        if let queue = body.queue, !TaskRules.isQueueName(queue) { problems[prefix + "queue"] = "must be 1-63 lowercase letters, digits or _ . : -" }
        if let priority = body.priority, !(0...100).contains(priority) { problems[prefix + "priority"] = "must be from 0 to 100" }
        if let attempts = body.maxAttempts, !(1...100).contains(attempts) { problems[prefix + "max_attempts"] = "must be from 1 to 100" }
        if !TaskRules.isObject(body.taskInput) { problems[prefix + "task_input"] = "must be an object" }
        if !TaskRules.isObject(body.taskMetadata) { problems[prefix + "task_metadata"] = "must be an object" }
        if let dependencies = body.dependencies, dependencies.count > 100 { problems[prefix + "dependencies"] = "at most 100" }
        if let submit = body.submitId, submit.count > 200 { problems[prefix + "submit_id"] = "must be at most 200 characters" }
        for (key, value) in [("topic", body.topic), ("primary_keyword", body.primaryKeyword), ("target_audience", body.targetAudience), ("category", body.category)] {
            if let value, value.count > 1000 { problems[prefix + key] = "must be at most 1000 characters" }
        }
        guard problems.isEmpty else { return (nil, problems) }
        var new = NewTask(taskType: type)
        new.taskName = body.taskName
        new.queue = body.queue ?? "default"
        new.priority = body.priority ?? 50
        var input: [String: JSONValue] = [:]
        if case .object(let given)? = body.taskInput { input = given }
        for (key, value) in [("topic", body.topic), ("primary_keyword", body.primaryKeyword), ("target_audience", body.targetAudience), ("category", body.category)] {
            if let value, input[key] == nil { input[key] = .string(value) }
        }
        new.input = .object(input)
        new.metadata = body.taskMetadata ?? [:]
        new.dependencies = Array(NSOrderedSet(array: body.dependencies ?? []).compactMap { $0 as? UUID })
        new.projectID = body.projectId
        new.platformAccountID = body.platformAccountId
        new.submitID = body.submitId
        new.maxAttempts = body.maxAttempts ?? 3
        new.scheduledAt = body.scheduledAt
        new.visibility = body.visibility ?? .private
        new.enqueue = body.enqueue ?? false
        return (new, [:])
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<TaskRecord> {
        let body = try await request.decode(as: CreateTask.self, context: context)
        let (new, problems) = Self.validate(body, reserved: reservedTypes)
        guard let new else { throw APIError.validation(problems) }
        let task = try await database.withTenant(context.tenant) { tx in
            try await Self.insert(new, context, field: "dependencies", in: tx)
        }
        return Created(task)
    }

    static func insert(_ new: NewTask, _ context: AuthenticatedContext, field: String, in tx: DatabaseTransaction) async throws -> TaskRecord {
        let missing = try await TaskStore.missing(new.dependencies, tenantID: context.principal.tenantID, in: tx)
        if let first = missing.first {
            throw APIError.validation([field: "no task \(first.uuidString.lowercased())"])
        }
        return try await TaskStore.insert(new, tenantID: context.principal.tenantID, ownerID: context.principal.userID, in: tx)
    }

    func createBatch(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<[TaskRecord]> {
        let body = try await request.decode(as: BatchCreate.self, context: context)
        guard (1...500).contains(body.tasks.count) else { throw APIError.validation(["tasks": "must hold 1 to 500 tasks"]) }
        var problems: [String: String] = [:]
        var news: [NewTask] = []
        for (index, item) in body.tasks.enumerated() {
            let (new, itemProblems) = Self.validate(item, field: "tasks[\(index)].", reserved: reservedTypes)
            problems.merge(itemProblems) { first, _ in first }
            if let new { news.append(new) }
        }
        guard problems.isEmpty else { throw APIError.validation(problems) }
        let tasks = try await database.withTenant(context.tenant) { tx in
            var created: [TaskRecord] = []
            for (index, new) in news.enumerated() {
                created.append(try await Self.insert(new, context, field: "tasks[\(index)].dependencies", in: tx))
            }
            return created
        }
        return Created(tasks)
    }

    /// Items carry the fields their type adds (a workflow run's `workflow_id`, `node_executions`).
    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<TaskView> {
        let query = try request.query(TaskInputs.ListQuery.self)
        let filter = TaskFilter(
            tenantID: context.principal.tenantID, status: query.status, projectID: query.projectId, taskType: query.taskType, queue: query.queue,
            workflowID: query.workflowId, assetID: query.assetId, from: query.from, to: query.to)
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.count(filter, in: tx)
            let tasks = try await store.list(filter, sortBy: query.sortBy ?? .createdAt, ascending: query.order == .asc, page: query.paging, in: tx)
            var items: [TaskView] = []
            for task in tasks { items.append(try await views.view(task, in: tx)) }
            return Page(items: items, total: total, request: query.paging)
        }
    }

    static func find(_ id: UUID, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> TaskRecord {
        guard let task = try await TaskStore.find(id, tenantID: context.principal.tenantID, kind: .task, in: tx) else {
            throw APIError.taskNotFound
        }
        return task
    }

    /// The task, with the fields its type adds (a workflow run's progress per node).
    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> TaskView {
        let id = try context.pathUUID("id", or: .taskNotFound)
        return try await database.withTenant(context.tenant) { tx in try await views.view(try await Self.find(id, context, in: tx), in: tx) }
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> TaskRecord {
        let id = try context.pathUUID("id", or: .taskNotFound)
        let body = try await request.decode(as: UpdateTask.self, context: context)
        var problems: [String: String] = [:]
        if let name = body.taskName, name.count > 300 { problems["task_name"] = "must be at most 300 characters" }
        if let queue = body.queue, !TaskRules.isQueueName(queue) { problems["queue"] = "must be 1-63 lowercase letters, digits or _ . : -" }
        if let priority = body.priority, !(0...100).contains(priority) { problems["priority"] = "must be from 0 to 100" }
        if let attempts = body.maxAttempts, !(1...100).contains(attempts) { problems["max_attempts"] = "must be from 1 to 100" }
        if !TaskRules.isObject(body.taskInput) { problems["task_input"] = "must be an object" }
        if !TaskRules.isObject(body.taskMetadata) { problems["task_metadata"] = "must be an object" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let before = try await Self.find(id, context, in: tx)
            let changesDefinition = body.taskInput != nil || body.queue != nil || body.scheduledAt != nil || body.priority != nil || body.maxAttempts != nil
            if changesDefinition && !(before.status == .pending || before.status == .queued) {
                throw APIError.taskStarted(before.status)
            }
            let change = TaskDefinitionChange(
                taskName: body.taskName, priority: body.priority, queue: body.queue, taskInput: body.taskInput, taskMetadata: body.taskMetadata,
                scheduledAt: body.scheduledAt, maxAttempts: body.maxAttempts, visibility: body.visibility, projectID: body.projectId,
                platformAccountID: body.platformAccountId)
            guard let task = try await store.updateDefinition(id, tenantID: tenantID, change, in: tx) else { throw APIError.taskNotFound }
            try await TaskStore.publish(task, "updated", in: tx)
            return task
        }
    }

    func patch(_ request: Request, _ context: AuthenticatedContext) async throws -> TaskRecord {
        let id = try context.pathUUID("id", or: .taskNotFound)
        let body = try await request.decode(as: StatusUpdate.self, context: context)
        var problems: [String: String] = [:]
        if let progress = body.progress, !(0...100).contains(progress) { problems["progress"] = "must be from 0 to 100" }
        if let step = body.currentStep, step.count > 300 { problems["current_step"] = "must be at most 300 characters" }
        if let error = body.errorMessage, error.count > 10_000 { problems["error_message"] = "must be at most 10000 characters" }
        if !TaskRules.isObject(body.taskMetadata) { problems["task_metadata"] = "must be an object" }
        if !TaskRules.isObject(body.context) { problems["context"] = "must be an object" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            var task = try await Self.find(id, context, in: tx)
            var change = TaskStatusChange(
                output: body.taskOutput, errorMessage: body.errorMessage, progress: body.progress,
                currentStep: body.currentStep, metadata: body.taskMetadata)
            change.requireLeaseOwner = body.workerId
            if let status = body.status, status != task.status {
                task = try await TaskStore.transition(id, tenantID: tenantID, to: status, change: change, kind: .task, in: tx)
            } else if body.progress != nil || body.currentStep != nil || body.taskOutput != nil || body.taskMetadata != nil || body.errorMessage != nil {
                do {
                    task = try await TaskStore.report(id, tenantID: tenantID, change: change, kind: .task, in: tx)
                } catch is CancellationError {
                    throw APIError.conflict("The task's lease is held by another worker", code: "LEASE_LOST",
                                            details: ["current_status": .string(task.status.rawValue)])
                }
            }
            if let document = body.context {
                try await TaskStore.setContext(task, to: document, in: tx)
                task = try await Self.find(id, context, in: tx)
            }
            return task
        }
    }

    func start(_ request: Request, _ context: AuthenticatedContext) async throws -> TaskRecord {
        try await move(context, to: .running, TaskStatusChange())
    }

    func move(_ context: AuthenticatedContext, to status: TaskStatus, _ change: TaskStatusChange) async throws -> TaskRecord {
        let id = try context.pathUUID("id", or: .taskNotFound)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            try await TaskStore.transition(id, tenantID: tenantID, to: status, change: change, kind: .task, in: tx)
        }
    }

    func complete(_ request: Request, _ context: AuthenticatedContext) async throws -> TaskRecord {
        let body = try await request.decodeIfPresent(as: CompleteTask.self, context: context)
        var change = TaskStatusChange(output: body?.taskOutput ?? body?.output ?? body?.result ?? .null)
        change.requireLeaseOwner = body?.workerId
        return try await move(context, to: .completed, change)
    }

    func fail(_ request: Request, _ context: AuthenticatedContext) async throws -> TaskRecord {
        let body = try await request.decodeIfPresent(as: FailTask.self, context: context)
        let message = body?.errorMessage ?? body?.error ?? "failed"
        if message.count > 10_000 { throw APIError.validation(["error_message": "must be at most 10000 characters"]) }
        var change = TaskStatusChange(errorMessage: message)
        change.requireLeaseOwner = body?.workerId
        return try await move(context, to: .failed, change)
    }

    func cancel(_ request: Request, _ context: AuthenticatedContext) async throws -> TaskRecord {
        let body = try await request.decodeIfPresent(as: CancelTask.self, context: context)
        if let reason = body?.reason, reason.count > 1000 { throw APIError.validation(["reason": "must be at most 1000 characters"]) }
        return try await move(context, to: .cancelled, TaskStatusChange(errorMessage: "cancelled" + (body?.reason.map { ": \($0)" } ?? "")))
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .taskNotFound)
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            let task = try await Self.find(id, context, in: tx)
            if task.status == .running {
                throw APIError.taskRunning(task.status)
            }
            try await TaskStore.softDelete([id], tenantID: tenantID, in: tx)
        }
        return NoContent()
    }
}
