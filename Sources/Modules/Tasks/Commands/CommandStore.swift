import Foundation
import PlatformDatabase
import PlatformSupport
import TaskEngine

/// Which commands a list shows; the page and its count share it.
struct CommandFilter: Sendable {
    var tenantID: UUID
    /// Engine statuses (a command status may stand for several); nil: all.
    var statuses: [String]?

    var condition: SQL {
        """
        t.tenant_id = \(tenantID) AND t.kind = 'command' AND t.deleted_at IS NULL
          AND (\(statuses)::text[] IS NULL OR t.status = ANY(\(statuses)))
        """
    }
}

/// Commands are tasks of kind `command`; these are the statements only the command API needs.
struct CommandStore: Sendable {
    func list(_ filter: CommandFilter, page: PageRequest, in tx: DatabaseTransaction) async throws -> [TaskRecord] {
        try await TaskStore.records(
            "SELECT \(unescaped: TaskRecord.columns) FROM tasks t WHERE \(filter.condition) ORDER BY t.id DESC LIMIT \(page.limit) OFFSET \(page.offset)",
            in: tx)
    }

    func count(_ filter: CommandFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM tasks t WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    struct StatusCounts: Decodable {
        var queued: Int
        var processing: Int
        var completed: Int
        var failed: Int
        var cancelled: Int
        var averageMilliseconds: Double?
    }

    func statusCounts(tenantID: UUID, in tx: DatabaseTransaction) async throws -> StatusCounts {
        guard let counts = try await tx.row(
            """
            SELECT count(*) FILTER (WHERE status IN ('pending', 'queued'))::int AS queued, count(*) FILTER (WHERE status = 'running')::int AS processing,
                   count(*) FILTER (WHERE status = 'completed')::int AS completed, count(*) FILTER (WHERE status = 'failed')::int AS failed,
                   count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
                   (avg(extract(epoch FROM completed_at - started_at)) FILTER (WHERE status = 'completed' AND started_at IS NOT NULL) * 1000)::float8
                       AS average_milliseconds
            FROM tasks WHERE tenant_id = \(tenantID) AND kind = 'command' AND deleted_at IS NULL
            """, decoding: StatusCounts.self)
        else { throw APIError.internalError }
        return counts
    }

    /// Soft-deletes finished commands completed more than `days` ago; returns how many.
    func deleteFinished(tenantID: UUID, olderThanDays days: Int, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.run(
            """
            UPDATE tasks SET deleted_at = now(), updated_at = now()
            WHERE tenant_id = \(tenantID) AND kind = 'command' AND deleted_at IS NULL
              AND status IN ('completed', 'failed', 'cancelled') AND completed_at < now() - \(days) * interval '1 day'
            RETURNING 1
            """)
    }
}
