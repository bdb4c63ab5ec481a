import Foundation
import PlatformDatabase
import PlatformSupport
import TaskEngine

/// Which tasks a list shows; the page and its count share it.
struct TaskFilter: Sendable {
    var tenantID: UUID
    var status: TaskStatus?
    var projectID: UUID?
    var taskType: String?
    var queue: String?
    /// GoyaVision's filters: the workflow and asset a run's task records in its metadata.
    var workflowID: UUID?
    var assetID: UUID?
    var from: Date?
    var to: Date?

    var condition: SQL {
        """
        t.tenant_id = \(tenantID) AND t.kind = 'task' AND t.deleted_at IS NULL
          AND (\(status?.rawValue)::text IS NULL OR t.status = \(status?.rawValue))
          AND (\(projectID)::uuid IS NULL OR t.project_id = \(projectID))
          AND (\(taskType)::text IS NULL OR t.task_type = \(taskType))
          AND (\(queue)::text IS NULL OR t.queue = \(queue))
          AND (\(workflowID?.uuidString.lowercased())::text IS NULL OR t.task_metadata->>'workflow_id' = \(workflowID?.uuidString.lowercased()))
          AND (\(assetID?.uuidString.lowercased())::text IS NULL OR t.task_metadata->>'asset_id' = \(assetID?.uuidString.lowercased()))
          AND (\(from)::timestamptz IS NULL OR t.created_at >= \(from))
          AND (\(to)::timestamptz IS NULL OR t.created_at <= \(to))
        """
    }
}

/// The definition fields a task's owner may change (nil: keep).
struct TaskDefinitionChange: Sendable {
    var taskName: String?
    var priority: Int?
    var queue: String?
    var taskInput: JSONValue?
    var taskMetadata: JSONValue?
    var scheduledAt: Date?
    var maxAttempts: Int?
    var visibility: RowVisibility?
    var projectID: UUID?
    var platformAccountID: UUID?
}

/// The task module's own statements on `tasks` (the engine's are in `TaskStore`).
struct TaskListStore: Sendable {
    func list(_ filter: TaskFilter, sortBy: TaskInputs.SortField, ascending: Bool, page: PageRequest, in tx: DatabaseTransaction) async throws -> [TaskRecord] {
        let direction = ascending ? "ASC" : "DESC"
        return try await TaskStore.records(
            """
            SELECT \(unescaped: TaskRecord.columns) FROM tasks t WHERE \(filter.condition)
            ORDER BY \(unescaped: sortBy.column) \(unescaped: direction), t.id \(unescaped: direction) LIMIT \(page.limit) OFFSET \(page.offset)
            """, in: tx)
    }

    func count(_ filter: TaskFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM tasks t WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    func updateDefinition(_ id: UUID, tenantID: UUID, _ change: TaskDefinitionChange, in tx: DatabaseTransaction) async throws -> TaskRecord? {
        try await TaskStore.records(
            """
            UPDATE tasks AS t SET
                task_name = coalesce(\(change.taskName), t.task_name),
                priority = coalesce(\(change.priority), t.priority),
                queue = coalesce(\(change.queue), t.queue),
                task_input = coalesce(\(try PlatformJSON.text(change.taskInput))::jsonb, t.task_input),
                task_metadata = coalesce(\(try PlatformJSON.text(change.taskMetadata))::jsonb, t.task_metadata),
                scheduled_at = coalesce(\(change.scheduledAt), t.scheduled_at),
                max_attempts = coalesce(\(change.maxAttempts), t.max_attempts),
                visibility = coalesce(\(change.visibility?.rawValue)::visibility, t.visibility),
                project_id = coalesce(\(change.projectID), t.project_id),
                platform_account_id = coalesce(\(change.platformAccountID), t.platform_account_id),
                updated_at = now()
            WHERE t.tenant_id = \(tenantID) AND t.id = \(id) AND t.deleted_at IS NULL
            RETURNING \(unescaped: TaskRecord.columns)
            """, in: tx
        ).first
    }
}
