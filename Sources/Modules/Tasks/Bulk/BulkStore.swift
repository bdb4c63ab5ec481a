import Foundation
import PlatformDatabase
import TaskEngine

/// The statements of bulk operations over tasks.
struct BulkStore: Sendable {
    /// The tenant's live tasks among `ids`, in id order.
    func tasks(_ ids: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [TaskRecord] {
        try await TaskStore.records(
            """
            SELECT \(unescaped: TaskRecord.columns) FROM tasks t
            WHERE t.tenant_id = \(tenantID) AND t.id = ANY(\(ids)) AND t.kind = 'task' AND t.deleted_at IS NULL ORDER BY t.id
            """, in: tx)
    }

    func reassign(_ ids: [UUID], to owner: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [TaskRecord] {
        try await TaskStore.records(
            """
            UPDATE tasks AS t SET owner_id = \(owner), updated_at = now()
            WHERE t.tenant_id = \(tenantID) AND t.id = ANY(\(ids)) AND t.deleted_at IS NULL
            RETURNING \(unescaped: TaskRecord.columns)
            """, in: tx)
    }
}
