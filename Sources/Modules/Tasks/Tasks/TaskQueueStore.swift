import Foundation
import PlatformDatabase
import TaskEngine

/// Reads about queues and a task's place in one.
struct TaskQueueStore: Sendable {
    /// The task's dependencies that have not completed.
    func unfinishedDependencies(of task: TaskRecord, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [UUID] {
        try await tx.rows(
            """
            SELECT d.id FROM unnest(\(task.dependencies)::uuid[]) AS d(id)
            WHERE NOT EXISTS (SELECT 1 FROM tasks x WHERE x.tenant_id = \(tenantID) AND x.id = d.id AND x.status = 'completed')
            """, decoding: UUID.self)
    }

    /// Runnable tasks ahead of `task` in its queue (higher priority, or older at the same one).
    func runnableAhead(of task: TaskRecord, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value(
            """
            SELECT count(*)::int FROM tasks c
            WHERE c.tenant_id = \(tenantID) AND c.queue = \(task.queue) AND c.status = 'queued' AND c.deleted_at IS NULL
              AND (c.scheduled_at IS NULL OR c.scheduled_at <= now())
              AND (c.priority > \(task.priority) OR (c.priority = \(task.priority) AND c.id < \(task.id)))
            """, as: Int.self) ?? 0
    }

    func queueCounts(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [TaskQueueController.QueueCounts] {
        try await tx.rows(
            """
            SELECT queue AS name, count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'queued')::int AS queued,
                   count(*) FILTER (WHERE status = 'running')::int AS running, count(*) FILTER (WHERE status = 'completed')::int AS completed,
                   count(*) FILTER (WHERE status = 'failed')::int AS failed, count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
                   count(*)::int AS total
            FROM tasks WHERE tenant_id = \(tenantID) AND deleted_at IS NULL AND kind <> 'internal' GROUP BY queue ORDER BY queue
            """, decoding: TaskQueueController.QueueCounts.self)
    }

    func queueNames(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [String] {
        try await tx.rows(
            "SELECT DISTINCT queue FROM tasks WHERE tenant_id = \(tenantID) AND deleted_at IS NULL AND kind <> 'internal' ORDER BY queue",
            decoding: String.self)
    }
}
