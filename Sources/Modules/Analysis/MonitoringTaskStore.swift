import Foundation
import PlatformDatabase
import PlatformSupport
import TaskEngine

/// Which monitoring tasks a list shows.
struct MonitoringTaskFilter: Sendable {
    var tenantID: UUID
    var accountID: UUID?
    var videoID: UUID?
    var type: MonitoringTaskType?
    var status: TaskStatus?

    var condition: SQL {
        """
        m.tenant_id = \(tenantID) AND (\(accountID)::uuid IS NULL OR m.target_account_id = \(accountID))
        AND (\(videoID)::uuid IS NULL OR m.video_id = \(videoID)) AND (\(type?.rawValue)::text IS NULL OR m.task_type = \(type?.rawValue))
        AND (\(status?.rawValue)::text IS NULL OR t.status = \(status?.rawValue))
        """
    }
}

/// Every statement on `analysis_tasks`, each link read with its task of the task engine.
struct MonitoringTaskStore: Sendable {
    static let columns = """
        t.id, m.task_type, t.status, t.priority, t.dependencies, m.target_account_id, m.video_id, t.error_message, t.started_at, t.completed_at,
        t.created_at, t.updated_at, m.trigger, t.progress, t.current_step, t.attempts, t.max_attempts, t.scheduled_at
        """
    static let from = "analysis_tasks m JOIN tasks t ON t.tenant_id = m.tenant_id AND t.id = m.task_id AND t.deleted_at IS NULL"

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredMonitoringTask? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from) WHERE m.tenant_id = \(tenantID) AND m.task_id = \(id)",
            decoding: StoredMonitoringTask.self)
    }

    /// Newest first.
    func list(_ filter: MonitoringTaskFilter, limit: Int, offset: Int, in tx: DatabaseTransaction) async throws -> [StoredMonitoringTask] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from) WHERE \(filter.condition)
            ORDER BY t.id DESC LIMIT \(limit) OFFSET \(offset)
            """, decoding: StoredMonitoringTask.self)
    }

    /// The waiting or running task of this type about the account (and video), if there is one.
    func inFlight(_ type: MonitoringTaskType, accountID: UUID, videoID: UUID?, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredMonitoringTask? {
        try await tx.row(
            """
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from)
            WHERE m.tenant_id = \(tenantID) AND m.task_type = \(type.rawValue) AND m.target_account_id = \(accountID)
              AND (\(videoID)::uuid IS NULL OR m.video_id = \(videoID)) AND t.status IN ('pending', 'queued', 'running')
            ORDER BY t.id DESC LIMIT 1
            """, decoding: StoredMonitoringTask.self)
    }

    /// Queues the task on the task engine (visible to the whole tenant, as the account is) and
    /// links it to its account and video.
    func create(_ new: NewMonitoringTask, tenantID: UUID, ownerID: UUID?, in tx: DatabaseTransaction) async throws -> StoredMonitoringTask {
        var task = NewTask(taskType: new.type.engineType)
        task.taskName = new.type.rawValue.replacingOccurrences(of: "_", with: " ")
        task.queue = new.type.queue
        task.priority = new.priority
        task.input = new.input
        task.metadata = ["trigger": .string(new.trigger.rawValue)]
        task.dependencies = new.dependencies
        task.maxAttempts = new.type == .videoAnalysis ? 2 : 3
        task.visibility = .tenant
        task.enqueue = true
        let record = try await TaskStore.insert(task, tenantID: tenantID, ownerID: ownerID, in: tx)
        try await tx.run(
            """
            INSERT INTO analysis_tasks (tenant_id, task_id, task_type, target_account_id, video_id, trigger, trigger_key)
            VALUES (\(tenantID), \(record.id), \(new.type.rawValue), \(new.accountID), \(new.videoID), \(new.trigger.rawValue), \(new.triggerKey))
            """)
        guard let created = try await find(record.id, tenantID: tenantID, in: tx) else { throw APIError.internalError }
        return created
    }

    /// Changes the priority of a task that has not started; false when it has.
    func reprioritize(_ id: UUID, to priority: Int, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.run(
            """
            UPDATE tasks SET priority = \(priority), updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(id) AND status IN ('pending', 'queued') AND deleted_at IS NULL RETURNING id
            """) > 0
    }

    /// The account's tasks that have not finished.
    func unfinished(accountID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [UUID] {
        try await tx.rows(
            """
            SELECT t.id FROM \(unescaped: Self.from)
            WHERE m.tenant_id = \(tenantID) AND m.target_account_id = \(accountID) AND t.status IN ('pending', 'queued', 'running')
            """, decoding: UUID.self)
    }
}
