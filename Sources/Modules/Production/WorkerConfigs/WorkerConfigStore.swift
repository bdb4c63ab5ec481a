import Foundation
import PlatformDatabase
import PlatformSupport

/// Which worker configs a list shows.
struct WorkerConfigFilter: Sendable {
    var tenantID: UUID
    var workerType: String?
    var configType: String?
    var isActive: Bool

    var condition: SQL {
        """
        tenant_id = \(tenantID) AND is_active = \(isActive)
        AND (\(workerType)::text IS NULL OR worker_type = \(workerType))
        AND (\(configType)::text IS NULL OR config_type = \(configType))
        """
    }
}

/// Every statement on `worker_configs` and `task_worker_configs`.
struct WorkerConfigStore: Sendable {
    static let columns = "id, config_name, config_type, worker_type, config_data, description, priority, is_active, created_at, updated_at"

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> WorkerConfigView? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM worker_configs WHERE tenant_id = \(tenantID) AND id = \(id)", decoding: WorkerConfigView.self)
    }

    /// The id of the config with this name, if any.
    func named(_ name: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> UUID? {
        try await tx.value("SELECT id FROM worker_configs WHERE tenant_id = \(tenantID) AND config_name = \(name)", as: UUID.self)
    }

    func list(_ filter: WorkerConfigFilter, skip: Int, limit: Int, in tx: DatabaseTransaction) async throws -> [WorkerConfigView] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM worker_configs WHERE \(filter.condition)
            ORDER BY priority DESC, config_name LIMIT \(limit) OFFSET \(skip)
            """, decoding: WorkerConfigView.self)
    }

    /// Nil when the name is taken.
    func insert(_ fields: WorkerConfigFields, name: String, type: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> WorkerConfigView? {
        try await tx.row(
            """
            INSERT INTO worker_configs (tenant_id, id, config_name, config_type, worker_type, config_data, description, priority, is_active)
            VALUES (\(tenantID), \(UUID.v7()), \(name), \(type), \(fields.workerType),
                COALESCE(\(try PlatformJSON.text(fields.configData))::jsonb, '{}'::jsonb), \(fields.description), COALESCE(\(fields.priority), 0),
                COALESCE(\(fields.isActive), true))
            ON CONFLICT (tenant_id, config_name) DO NOTHING
            RETURNING \(unescaped: Self.columns)
            """, decoding: WorkerConfigView.self)
    }

    /// Nil fields keep what is stored; `config_data` replaces the stored data.
    func update(_ id: UUID, _ fields: WorkerConfigFields, tenantID: UUID, in tx: DatabaseTransaction) async throws -> WorkerConfigView? {
        try await tx.row(
            """
            UPDATE worker_configs SET
                config_name = COALESCE(\(fields.configName), config_name), config_type = COALESCE(\(fields.configType), config_type),
                worker_type = COALESCE(\(fields.workerType), worker_type),
                config_data = COALESCE(\(try PlatformJSON.text(fields.configData))::jsonb, config_data),
                description = COALESCE(\(fields.description), description), priority = COALESCE(\(fields.priority), priority),
                is_active = COALESCE(\(fields.isActive), is_active), updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(id)
            RETURNING \(unescaped: Self.columns)
            """, decoding: WorkerConfigView.self)
    }

    /// Among `ids`, the active configs of the tenant.
    func activeIDs(_ ids: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> Set<UUID> {
        struct Row: Decodable { var id: UUID }
        return Set(try await tx.rows(
            "SELECT id FROM worker_configs WHERE tenant_id = \(tenantID) AND id = ANY(\(ids)) AND is_active", decoding: Row.self
        ).map(\.id))
    }

    /// Assigns each config to the task; an existing assignment takes the new override data.
    func assign(_ configIDs: [UUID], taskID: UUID, overrideData: JSONValue, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [ConfigAssignmentView] {
        var assignments: [ConfigAssignmentView] = []
        for configID in configIDs {
            guard let assignment = try await tx.row(
                """
                INSERT INTO task_worker_configs (tenant_id, id, task_id, config_id, override_data)
                VALUES (\(tenantID), \(UUID.v7()), \(taskID), \(configID), \(try PlatformJSON.text(overrideData))::jsonb)
                ON CONFLICT (tenant_id, task_id, config_id) DO UPDATE SET override_data = EXCLUDED.override_data
                RETURNING id, task_id, config_id, override_data, created_at
                """, decoding: ConfigAssignmentView.self)
            else { continue }
            assignments.append(assignment)
        }
        return assignments
    }

    /// The active configs assigned to a task, each type's most urgent first.
    func assigned(taskID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [AssignedConfig] {
        try await tx.rows(
            """
            SELECT c.id AS config_id, c.config_name, c.config_type, c.worker_type, c.priority, c.config_data, a.override_data
            FROM task_worker_configs a JOIN worker_configs c ON c.tenant_id = a.tenant_id AND c.id = a.config_id
            WHERE a.tenant_id = \(tenantID) AND a.task_id = \(taskID) AND c.is_active
            ORDER BY c.config_type, c.priority DESC, a.created_at DESC, c.id
            """, decoding: AssignedConfig.self)
    }

    /// Per config type, the configuration a worker runs the task with.
    func effective(taskID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [String: EffectiveConfig] {
        var result: [String: EffectiveConfig] = [:]
        for config in try await assigned(taskID: taskID, tenantID: tenantID, in: tx) where result[config.configType] == nil {
            result[config.configType] = EffectiveConfig(
                configId: config.configId, configName: config.configName, configType: config.configType, workerType: config.workerType,
                priority: config.priority, configData: config.configData.merging(config.overrideData))
        }
        return result
    }
}
