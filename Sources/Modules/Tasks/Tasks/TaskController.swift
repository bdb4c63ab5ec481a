import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// Task CRUD and the status runtime (start, complete, fail, cancel, a worker's PATCH).
struct TaskController: Sendable {
    let database: Database

    struct CreateTask: Codable, Sendable {
        var taskType: String?
        var taskName: String?
        var queue: String?
        var priority: Int?
        var taskInput: JSONValue?
        var taskMetadata: JSONValue?
        var dependencies: [UUID]?
        var projectId: UUID?
        var platformAccountId: UUID?
        var submitId: String?
        var maxAttempts: Int?
        var scheduledAt: Date?
        var visibility: RowVisibility?
        /// Queue at once (runnable) instead of leaving the task pending.
        var enqueue: Bool?
        // The content platform's task fields; kept in task_input.
        var topic: String?
        var primaryKeyword: String?
        var targetAudience: String?
        var category: String?
    }

    struct BatchCreate: Codable, Sendable {
        var tasks: [CreateTask]
    }

    struct UpdateTask: Codable, Sendable {
        var taskName: String?
        var priority: Int?
        var queue: String?
        var taskInput: JSONValue?
        var taskMetadata: JSONValue?
        var scheduledAt: Date?
        var maxAttempts: Int?
        var visibility: RowVisibility?
        var projectId: UUID?
        var platformAccountId: UUID?
    }

    struct StatusUpdate: Codable, Sendable {
        var status: TaskStatus?
        var taskOutput: JSONValue?
        var taskMetadata: JSONValue?
        var errorMessage: String?
        var progress: Int?
        var currentStep: String?
        /// The task's context document, replaced whole (its history is kept as JSON Patch).
        var context: JSONValue?
        /// The reporting worker; when given, the report only applies under its lease.
        var workerId: String?
    }

    struct CompleteTask: Codable, Sendable {
        var taskOutput: JSONValue?
        var output: JSONValue?
        var result: JSONValue?
        var workerId: String?
    }

    struct FailTask: Codable, Sendable {
        var errorMessage: String?
        var error: String?
        var workerId: String?
    }

    struct CancelTask: Codable, Sendable {
        var reason: String?
    }

    func register(in registry: RouteRegistry) {
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/tasks", summary: "Create a task (pending, or queued with `enqueue: true`)", tag: "tasks",
                access: .permission("workflow:task:create"), body: .type(CreateTask.self),
                responses: [.json(.created, TaskRecord.self)])
        ) { request, context in try await self.create(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/tasks/batch", summary: "Create several tasks at once (all or none)", tag: "tasks",
                access: .permission("workflow:task:create"), body: .type(BatchCreate.self),
                responses: [.json(.created, [TaskRecord].self)])
        ) { request, context in try await self.createBatch(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/tasks", summary: "List tasks", tag: "tasks", access: .permission("workflow:task:list"),
                parameters: RouteParameter.paging + [
                    .query("project_id", ["type": "string", "format": "uuid"]),
                    .query("task_type", ["type": "string"]),
                    .query("queue", ["type": "string"]),
                    .query("status", ["type": "string", "enum": ["pending", "queued", "running", "in_progress", "completed", "failed", "cancelled"]]),
                    .query("sort_by", ["type": "string", "enum": ["created_at", "updated_at", "status", "priority"]]),
                    .query("order", ["type": "string", "enum": ["asc", "desc"]]),
                ],
                responses: [.json(.ok, Page<TaskRecord>.self)])
        ) { request, context in try await self.list(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/tasks/{id}", summary: "One task", tag: "tasks", access: .permission("workflow:task:read"),
                parameters: [taskIDParameter], responses: [.json(.ok, TaskRecord.self)])
        ) { _, context in try await self.get(context) }
        registry.addProtected(
            RouteDeclaration(
                .put, "/api/v1/tasks/{id}", summary: "Change a task's definition (input, queue and schedule only while it waits)",
                tag: "tasks", access: .permission("workflow:task:update"), parameters: [taskIDParameter], body: .type(UpdateTask.self),
                responses: [.json(.ok, TaskRecord.self), .error(.conflict, "The task has started; only its name, metadata and visibility can change")])
        ) { request, context in try await self.update(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .patch, "/api/v1/tasks/{id}", summary: "A worker's status report: status, progress, step, output, context",
                tag: "tasks", access: .permission("workflow:task:execute"), parameters: [taskIDParameter], body: .type(StatusUpdate.self),
                responses: [.json(.ok, TaskRecord.self), .error(.conflict, "The status cannot change that way (details.current_status), or another worker holds the lease")])
        ) { request, context in try await self.patch(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .delete, "/api/v1/tasks/{id}", summary: "Delete a task that is not running", tag: "tasks",
                access: .permission("workflow:task:delete"), parameters: [taskIDParameter],
                responses: [.noContent("Deleted"), .error(.conflict, "The task is running; cancel it first")])
        ) { _, context in try await self.delete(context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/tasks/{id}/start", summary: "Mark a task running (outside the queue: no lease)", tag: "tasks",
                access: .permission("workflow:task:execute"), parameters: [taskIDParameter],
                responses: [.json(.ok, TaskRecord.self), .error(.conflict, "Not pending or queued")])
        ) { _, context in try await self.move(context, to: .running, TaskStatusChange()) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/tasks/{id}/complete", summary: "Complete a running task with its output", tag: "tasks",
                access: .permission("workflow:task:execute"), parameters: [taskIDParameter], body: .type(CompleteTask.self), bodyRequired: false,
                responses: [.json(.ok, TaskRecord.self), .error(.conflict, "Not running")])
        ) { request, context in try await self.complete(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/tasks/{id}/fail", summary: "Fail a running task", tag: "tasks",
                access: .permission("workflow:task:execute"), parameters: [taskIDParameter], body: .type(FailTask.self), bodyRequired: false,
                responses: [.json(.ok, TaskRecord.self), .error(.conflict, "Not running")])
        ) { request, context in try await self.fail(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/tasks/{id}/cancel", summary: "Cancel a task; a running handler is stopped", tag: "tasks",
                access: .permission("workflow:task:cancel"), parameters: [taskIDParameter], body: .type(CancelTask.self), bodyRequired: false,
                responses: [.json(.ok, TaskRecord.self), .error(.conflict, "Already finished")])
        ) { request, context in try await self.cancel(request, context) }
    }

    /// Checks a create body; every bad field is named.
    static func validate(_ body: CreateTask, field prefix: String = "") -> (NewTask?, [String: String]) {
        var problems: [String: String] = [:]
        let type = body.taskType ?? "generic"
        if !TaskRules.isTaskType(type) { problems[prefix + "task_type"] = "must be 1-100 letters, digits or _ . : -" }
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

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> EditedResponse<TaskRecord> {
        let body = try await request.decode(as: CreateTask.self, context: context)
        let (new, problems) = Self.validate(body)
        guard let new else { throw APIError.validation(problems) }
        let task = try await database.withTenant(context.tenant) { tx in
            try await Self.insert(new, context, field: "dependencies", in: tx)
        }
        return EditedResponse(status: .created, response: task)
    }

    static func insert(_ new: NewTask, _ context: AuthenticatedContext, field: String, in tx: DatabaseTransaction) async throws -> TaskRecord {
        let missing = try await TaskStore.missing(new.dependencies, tenantID: context.principal.tenantID, in: tx)
        if let first = missing.first {
            throw APIError.validation([field: "no task \(first.uuidString.lowercased())"])
        }
        return try await TaskStore.insert(new, tenantID: context.principal.tenantID, ownerID: context.principal.userID, in: tx)
    }

    func createBatch(_ request: Request, _ context: AuthenticatedContext) async throws -> EditedResponse<[TaskRecord]> {
        let body = try await request.decode(as: BatchCreate.self, context: context)
        guard (1...500).contains(body.tasks.count) else { throw APIError.validation(["tasks": "must hold 1 to 500 tasks"]) }
        var problems: [String: String] = [:]
        var news: [NewTask] = []
        for (index, item) in body.tasks.enumerated() {
            let (new, itemProblems) = Self.validate(item, field: "tasks[\(index)].")
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
        return EditedResponse(status: .created, response: tasks)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<TaskRecord> {
        let page = try PageRequest(request: request)
        let query = request.uri.queryParameters
        var problems: [String: String] = [:]
        let status = query["status"].map(String.init)
        let parsedStatus = status.flatMap(TaskStatus.init(wire:))
        if status != nil && parsedStatus == nil { problems["status"] = "must be one of pending, queued, running, in_progress, completed, failed, cancelled" }
        let projectText = query["project_id"].map(String.init)
        let projectID = projectText.flatMap(UUID.init(uuidString:))
        if projectText != nil && projectID == nil { problems["project_id"] = "must be a UUID" }
        let sortColumns = ["created_at": "t.created_at", "updated_at": "t.updated_at", "status": "t.status", "priority": "t.priority"]
        let sortBy = query["sort_by"].map(String.init) ?? "created_at"
        if sortColumns[sortBy] == nil { problems["sort_by"] = "must be one of created_at, updated_at, status, priority" }
        let order = query["order"].map(String.init) ?? "desc"
        if order != "asc" && order != "desc" { problems["order"] = "must be asc or desc" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let taskType = query["task_type"].map(String.init)
        let queue = query["queue"].map(String.init)
        // Only the two fixed words and a column from the table above reach the SQL text.
        let orderBy = "\(sortColumns[sortBy] ?? "t.created_at") \(order == "asc" ? "ASC" : "DESC"), t.id \(order == "asc" ? "ASC" : "DESC")"
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let total = try await tx.first(
                """
                SELECT count(*)::int FROM tasks t WHERE t.tenant_id = \(tenantID) AND t.kind = 'task' AND t.deleted_at IS NULL
                  AND (\(parsedStatus?.rawValue)::text IS NULL OR t.status = \(parsedStatus?.rawValue))
                  AND (\(projectID)::uuid IS NULL OR t.project_id = \(projectID))
                  AND (\(taskType)::text IS NULL OR t.task_type = \(taskType))
                  AND (\(queue)::text IS NULL OR t.queue = \(queue))
                """, as: Int.self) ?? 0
            let tasks = try await TaskStore.records(
                """
                SELECT \(unescaped: TaskRecord.columns) FROM tasks t WHERE t.tenant_id = \(tenantID) AND t.kind = 'task' AND t.deleted_at IS NULL
                  AND (\(parsedStatus?.rawValue)::text IS NULL OR t.status = \(parsedStatus?.rawValue))
                  AND (\(projectID)::uuid IS NULL OR t.project_id = \(projectID))
                  AND (\(taskType)::text IS NULL OR t.task_type = \(taskType))
                  AND (\(queue)::text IS NULL OR t.queue = \(queue))
                ORDER BY \(unescaped: orderBy) LIMIT \(page.limit) OFFSET \(page.offset)
                """, in: tx)
            return Page(items: tasks, total: total, request: page)
        }
    }

    static func find(_ id: UUID, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> TaskRecord {
        guard let task = try await TaskStore.find(id, tenantID: context.principal.tenantID, kind: .task, in: tx) else {
            throw APIError.notFound("Task", code: "TASK_NOT_FOUND")
        }
        return task
    }

    func get(_ context: AuthenticatedContext) async throws -> TaskRecord {
        let id = try pathID(context)
        return try await database.withTenant(context.tenant) { tx in try await Self.find(id, context, in: tx) }
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> TaskRecord {
        let id = try pathID(context)
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
                throw APIError(
                    .conflict, code: "TASK_STARTED", message: "A \(before.status.rawValue) task's input, queue, priority and schedule are fixed",
                    details: ["current_status": .string(before.status.rawValue)])
            }
            let rows = try await TaskStore.records(
                """
                UPDATE tasks AS t SET
                    task_name = coalesce(\(body.taskName), t.task_name),
                    priority = coalesce(\(body.priority), t.priority),
                    queue = coalesce(\(body.queue), t.queue),
                    task_input = coalesce(\(try PlatformJSON.text(body.taskInput))::jsonb, t.task_input),
                    task_metadata = coalesce(\(try PlatformJSON.text(body.taskMetadata))::jsonb, t.task_metadata),
                    scheduled_at = coalesce(\(body.scheduledAt), t.scheduled_at),
                    max_attempts = coalesce(\(body.maxAttempts), t.max_attempts),
                    visibility = coalesce(\(body.visibility?.rawValue)::visibility, t.visibility),
                    project_id = coalesce(\(body.projectId), t.project_id),
                    platform_account_id = coalesce(\(body.platformAccountId), t.platform_account_id),
                    updated_at = now()
                WHERE t.tenant_id = \(tenantID) AND t.id = \(id) AND t.deleted_at IS NULL
                RETURNING \(unescaped: TaskRecord.columns)
                """, in: tx)
            guard let task = rows.first else { throw APIError.notFound("Task", code: "TASK_NOT_FOUND") }
            try await TaskStore.publish(task, "updated", in: tx)
            return task
        }
    }

    func patch(_ request: Request, _ context: AuthenticatedContext) async throws -> TaskRecord {
        let id = try pathID(context)
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

    func move(_ context: AuthenticatedContext, to status: TaskStatus, _ change: TaskStatusChange) async throws -> TaskRecord {
        let id = try pathID(context)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            try await TaskStore.transition(id, tenantID: tenantID, to: status, change: change, kind: .task, in: tx)
        }
    }

    func complete(_ request: Request, _ context: AuthenticatedContext) async throws -> TaskRecord {
        let body = try await optionalBody(CompleteTask.self, request, context)
        var change = TaskStatusChange(output: body?.taskOutput ?? body?.output ?? body?.result ?? .null)
        change.requireLeaseOwner = body?.workerId
        return try await move(context, to: .completed, change)
    }

    func fail(_ request: Request, _ context: AuthenticatedContext) async throws -> TaskRecord {
        let body = try await optionalBody(FailTask.self, request, context)
        let message = body?.errorMessage ?? body?.error ?? "failed"
        if message.count > 10_000 { throw APIError.validation(["error_message": "must be at most 10000 characters"]) }
        var change = TaskStatusChange(errorMessage: message)
        change.requireLeaseOwner = body?.workerId
        return try await move(context, to: .failed, change)
    }

    func cancel(_ request: Request, _ context: AuthenticatedContext) async throws -> TaskRecord {
        let body = try await optionalBody(CancelTask.self, request, context)
        if let reason = body?.reason, reason.count > 1000 { throw APIError.validation(["reason": "must be at most 1000 characters"]) }
        return try await move(context, to: .cancelled, TaskStatusChange(errorMessage: "cancelled" + (body?.reason.map { ": \($0)" } ?? "")))
    }

    func delete(_ context: AuthenticatedContext) async throws -> Response {
        let id = try pathID(context)
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            let task = try await Self.find(id, context, in: tx)
            if task.status == .running {
                throw APIError(.conflict, code: "TASK_RUNNING", message: "The task is running; cancel it first",
                               details: ["current_status": .string(task.status.rawValue)])
            }
            try await TaskStore.softDelete([id], tenantID: tenantID, in: tx)
        }
        return Response(status: .noContent)
    }
}
