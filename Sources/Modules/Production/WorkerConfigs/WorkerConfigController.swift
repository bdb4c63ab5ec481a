import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// The short-video seed's worker configs: named configuration documents by type, assigned to
/// tasks (with override data) and handed to the worker that claims the task.
struct WorkerConfigController: Sendable {
    let database: Database
    let store = WorkerConfigStore()

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("config_id")]
        let task = [RouteParameter.uuid("task_id")]
        routes.post(
            "", "Create a worker config", .permission("production:worker-config:create"), body: WorkerConfigInput.self,
            responses: [.error(.conflict, "A config with this name exists")], use: create)
        routes.get(
            "", "Worker configs, most urgent first (a bare array; active ones unless is_active=false)", .permission("production:worker-config:list"),
            query: WorkerConfigListQuery.self, use: list)
        routes.get("/{config_id}", "One worker config", .permission("production:worker-config:read"), parameters: id, use: get)
        routes.put(
            "/{config_id}", "Change a worker config (missing fields keep their value)", .permission("production:worker-config:update"),
            parameters: id, body: WorkerConfigInput.self, responses: [.error(.conflict, "A config with this name exists")], use: update)
        routes.delete("/{config_id}", "Deactivate a worker config (is_active=false)", .permission("production:worker-config:delete"), parameters: id, use: delete)
        routes.post(
            "/tasks/{task_id}/assign", "Assign configs to a task (override_data merged over each one's data)", .permission("production:worker-config:assign"),
            parameters: task, body: ConfigAssignmentInput.self, use: assign)
        routes.get(
            "/tasks/{task_id}/configs", "The task's effective configuration per config type", .permission("production:worker-config:read"),
            parameters: task, use: configs)
    }

    static func fields(_ input: WorkerConfigInput, creating: Bool) -> (WorkerConfigFields, FieldProblems) {
        var check = FieldProblems()
        var fields = WorkerConfigFields()
        fields.configName = check.text(input.configName, "config_name", 1...200, required: creating)
        fields.configType = check.text(input.configType, "config_type", 1...100, required: creating)
        if let workerType = input.workerType { fields.workerType = check.text(workerType, "worker_type", 1...100) }
        check.object(input.configData, "config_data")
        fields.configData = input.configData
        if let description = input.description { fields.description = check.text(description, "description", 0...10_000) }
        check.integer(input.priority, "priority", -1_000_000...1_000_000)
        fields.priority = input.priority
        fields.isActive = input.isActive
        return (fields, check)
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> WorkerConfigView {
        let input = try await request.decode(as: WorkerConfigInput.self, context: context)
        let (fields, check) = Self.fields(input, creating: true)
        try check.check()
        guard let name = fields.configName, let type = fields.configType else { throw APIError.internalError }
        let tenantID = context.principal.tenantID
        guard let created = try await database.withTenant(context.tenant, { tx in
            try await store.insert(fields, name: name, type: type, tenantID: tenantID, in: tx)
        }) else { throw APIError.workerConfigExists }
        return created
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> [WorkerConfigView] {
        let query = try request.query(WorkerConfigListQuery.self)
        let filter = WorkerConfigFilter(
            tenantID: context.principal.tenantID, workerType: query.workerType, configType: query.configType, isActive: query.isActive ?? true)
        return try await database.withTenant(context.tenant) { tx in
            try await store.list(filter, skip: SeedPaging.skip(query.skip), limit: SeedPaging.limit(query.limit), in: tx)
        }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> WorkerConfigView {
        let id = try context.pathUUID("config_id", or: .workerConfigNotFound)
        let tenantID = context.principal.tenantID
        guard let config = try await database.withTenant(context.tenant, { tx in try await store.find(id, tenantID: tenantID, in: tx) }) else {
            throw APIError.workerConfigNotFound
        }
        return config
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> WorkerConfigView {
        let id = try context.pathUUID("config_id", or: .workerConfigNotFound)
        let input = try await request.decode(as: WorkerConfigInput.self, context: context)
        let (fields, check) = Self.fields(input, creating: false)
        try check.check()
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            guard try await store.find(id, tenantID: tenantID, in: tx) != nil else { throw APIError.workerConfigNotFound }
            if let name = fields.configName, let holder = try await store.named(name, tenantID: tenantID, in: tx), holder != id {
                throw APIError.workerConfigExists
            }
            guard let updated = try await store.update(id, fields, tenantID: tenantID, in: tx) else { throw APIError.workerConfigNotFound }
            return updated
        }
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> DeletedWorkerConfig {
        let id = try context.pathUUID("config_id", or: .workerConfigNotFound)
        let tenantID = context.principal.tenantID
        guard try await database.withTenant(context.tenant, { tx in
            try await store.update(id, WorkerConfigFields(isActive: false), tenantID: tenantID, in: tx)
        }) != nil else { throw APIError.workerConfigNotFound }
        return DeletedWorkerConfig(message: "Worker config deactivated", configId: id)
    }

    func assign(_ request: Request, _ context: AuthenticatedContext) async throws -> [ConfigAssignmentView] {
        let taskID = try context.pathUUID("task_id", or: .taskNotFound)
        let input = try await request.decode(as: ConfigAssignmentInput.self, context: context)
        var check = FieldProblems()
        if !(1...50).contains(input.configIds.count) { check.add("config_ids", "must list 1-50 config ids") }
        if Set(input.configIds).count != input.configIds.count { check.add("config_ids", "must not repeat an id") }
        check.object(input.overrideData, "override_data")
        try check.check()
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            guard try await TaskStore.find(taskID, tenantID: tenantID, kind: .task, in: tx) != nil else { throw APIError.taskNotFound }
            try await Self.checkActive(input.configIds, store: store, tenantID: tenantID, in: tx)
            return try await store.assign(input.configIds, taskID: taskID, overrideData: input.overrideData ?? [:], tenantID: tenantID, in: tx)
        }
    }

    func configs(_ request: Request, _ context: AuthenticatedContext) async throws -> [String: EffectiveConfig] {
        let taskID = try context.pathUUID("task_id", or: .taskNotFound)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            guard try await TaskStore.find(taskID, tenantID: tenantID, kind: .task, in: tx) != nil else { throw APIError.taskNotFound }
            return try await store.effective(taskID: taskID, tenantID: tenantID, in: tx)
        }
    }

    /// Every id must be an active config of the tenant (a 422 naming each one that is not).
    static func checkActive(_ ids: [UUID], store: WorkerConfigStore, field: String = "config_ids", tenantID: UUID, in tx: DatabaseTransaction) async throws {
        let active = try await store.activeIDs(ids, tenantID: tenantID, in: tx)
        var check = FieldProblems()
        for (index, id) in ids.enumerated() where !active.contains(id) {
            check.add("\(field)[\(index)]", "no active worker config with this id in this tenant")
        }
        try check.check()
    }

    /// What a worker claiming a task receives (`worker_configs`): its effective configs.
    static func claimFields(_ task: TaskRecord, _ tx: DatabaseTransaction) async throws -> [String: JSONValue] {
        let effective = try await WorkerConfigStore().effective(taskID: task.id, tenantID: task.tenantId, in: tx)
        return ["worker_configs": try .encoding(effective)]
    }
}
