import Foundation
import PlatformDatabase
import PlatformSupport

/// Every statement on `n8n_callbacks`, and the look-ups that find a callback's tenant.
struct N8nCallbackStore: Sendable {
    /// Records an applied callback; false when its event id was applied before (a repeat).
    func recordApplied(
        _ kind: CallbackKind, subject: UUID, eventID: String?, registryID: UUID, proof: String, payload: JSONValue, tenantID: UUID,
        in tx: DatabaseTransaction
    ) async throws -> Bool {
        try await tx.run(
            """
            INSERT INTO n8n_callbacks (tenant_id, id, kind, subject_id, event_id, registry_id, proof, outcome, payload)
            VALUES (\(tenantID), \(UUID.v7()), \(kind.rawValue), \(subject), \(eventID), \(registryID), \(proof), 'applied',
                    \(try PlatformJSON.text(payload))::jsonb)
            ON CONFLICT (tenant_id, kind, subject_id, event_id) WHERE outcome = 'applied' AND event_id IS NOT NULL DO NOTHING
            RETURNING 1
            """) == 1
    }

    /// Records a callback acknowledged without effect.
    func recordDuplicate(
        _ kind: CallbackKind, subject: UUID, eventID: String?, registryID: UUID, proof: String, payload: JSONValue, tenantID: UUID,
        in tx: DatabaseTransaction
    ) async throws {
        try await tx.run(
            """
            INSERT INTO n8n_callbacks (tenant_id, id, kind, subject_id, event_id, registry_id, proof, outcome, payload)
            VALUES (\(tenantID), \(UUID.v7()), \(kind.rawValue), \(subject), \(eventID), \(registryID), \(proof), 'duplicate',
                    \(try PlatformJSON.text(payload))::jsonb)
            """)
    }

    /// A live task of kind `task` by its id alone: its tenant and project.
    func task(_ id: UUID, in tx: DatabaseTransaction) async throws -> (tenantID: UUID, projectID: UUID?)? {
        struct Row: Decodable { var tenantId: UUID; var projectId: UUID? }
        guard let row = try await tx.row(
            "SELECT tenant_id, project_id FROM tasks WHERE id = \(id) AND kind = 'task' AND deleted_at IS NULL", decoding: Row.self)
        else { return nil }
        return (row.tenantId, row.projectId)
    }
}
