import Foundation
import PlatformDatabase
import PlatformSupport
import TaskEngine

/// Reads of tasks over time: counts, context documents and their history, the event log.
struct TaskInsightStore: Sendable {
    func usedTypes(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [String] {
        try await tx.rows("SELECT DISTINCT task_type FROM tasks WHERE tenant_id = \(tenantID) AND kind = 'task' AND deleted_at IS NULL", decoding: String.self)
    }

    struct StatusCounts: Decodable {
        var total: Int
        var pending: Int
        var queued: Int
        var running: Int
        var completed: Int
        var failed: Int
        var cancelled: Int
        var averageSeconds: Double?
    }

    func statusCounts(tenantID: UUID, in tx: DatabaseTransaction) async throws -> StatusCounts {
        guard let counts = try await tx.row(
            """
            SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'pending')::int AS pending,
                   count(*) FILTER (WHERE status = 'queued')::int AS queued, count(*) FILTER (WHERE status = 'running')::int AS running,
                   count(*) FILTER (WHERE status = 'completed')::int AS completed, count(*) FILTER (WHERE status = 'failed')::int AS failed,
                   count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
                   avg(extract(epoch FROM completed_at - started_at)) FILTER (WHERE status = 'completed' AND started_at IS NOT NULL)::float8
                       AS average_seconds
            FROM tasks WHERE tenant_id = \(tenantID) AND kind = 'task' AND deleted_at IS NULL
            """, decoding: StatusCounts.self)
        else { throw APIError.internalError }
        return counts
    }

    func context(of id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> TaskInsightController.ContextView? {
        try await tx.row(
            "SELECT id AS task_id, context_version AS version, context FROM tasks WHERE tenant_id = \(tenantID) AND id = \(id)",
            decoding: TaskInsightController.ContextView.self)
    }

    func patches(of id: UUID, tenantID: UUID, page: PageRequest, in tx: DatabaseTransaction) async throws -> [TaskInsightController.ContextPatch] {
        try await tx.rows(
            """
            SELECT version, operations, created_at FROM task_context_patches
            WHERE tenant_id = \(tenantID) AND task_id = \(id) ORDER BY version LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: TaskInsightController.ContextPatch.self)
    }

    /// Keeps a copy of the task's context as it is now.
    func snapshot(_ id: UUID, tenantID: UUID, by userID: UUID, in tx: DatabaseTransaction) async throws -> TaskInsightController.Snapshot? {
        try await tx.row(
            """
            INSERT INTO task_context_snapshots (tenant_id, id, task_id, version, context, created_by)
            SELECT tenant_id, \(UUID.v7()), id, context_version, context, \(userID)
            FROM tasks WHERE tenant_id = \(tenantID) AND id = \(id)
            RETURNING id, task_id, version, context, created_at
            """, decoding: TaskInsightController.Snapshot.self)
    }

    func eventCount(of id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM event_log WHERE tenant_id = \(tenantID) AND subject_id = \(id)", as: Int.self) ?? 0
    }

    func events(of id: UUID, tenantID: UUID, page: PageRequest, in tx: DatabaseTransaction) async throws -> [TaskEventRecord] {
        try await tx.rows(
            """
            SELECT id, subject_id AS task_id, type, data, occurred_at FROM event_log WHERE tenant_id = \(tenantID) AND subject_id = \(id)
            ORDER BY id LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: TaskEventRecord.self)
    }
}
