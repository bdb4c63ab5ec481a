import Foundation
import NIOCore
import PlatformDatabase
import PlatformSupport

/// A callback an `n8n` node waits for.
struct StoredCallback: Decodable, Sendable {
    var id: UUID
    var sentAt: Date?
    var receivedAt: Date?
    var payload: JSONValue?
}

/// What the callback route needs to check a callback: its entry's header name and tenant.
struct CallbackTarget: Decodable, Sendable {
    var tenantId: UUID
    var id: UUID
    var registryId: UUID
    var callbackHeaderName: String
    var receivedAt: Date?
}

/// Every statement on `workflow_callbacks`.
struct CallbackStore: Sendable {
    /// The node's callback, made on its first attempt and found again when the run resumes.
    func findOrCreate(runID: UUID, nodeKey: String, registryID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredCallback? {
        try await tx.run(
            """
            INSERT INTO workflow_callbacks (tenant_id, id, run_id, node_key, registry_id) VALUES (\(tenantID), \(UUID()), \(runID), \(nodeKey), \(registryID))
            ON CONFLICT (tenant_id, run_id, node_key) DO NOTHING
            """)
        return try await tx.row(
            "SELECT id, sent_at, received_at, payload FROM workflow_callbacks WHERE tenant_id = \(tenantID) AND run_id = \(runID) AND node_key = \(nodeKey)",
            decoding: StoredCallback.self)
    }

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredCallback? {
        try await tx.row("SELECT id, sent_at, received_at, payload FROM workflow_callbacks WHERE tenant_id = \(tenantID) AND id = \(id)", decoding: StoredCallback.self)
    }

    func markSent(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE workflow_callbacks SET sent_at = now() WHERE tenant_id = \(tenantID) AND id = \(id)")
    }

    /// The callback by its id alone (the caller is outside any tenant), locked until received.
    func target(_ id: UUID, in tx: DatabaseTransaction) async throws -> CallbackTarget? {
        try await tx.row(
            """
            SELECT c.tenant_id, c.id, c.registry_id, r.callback_header_name, c.received_at
            FROM workflow_callbacks c JOIN workflow_registry r ON r.tenant_id = c.tenant_id AND r.id = c.registry_id
            WHERE c.id = \(id) FOR UPDATE OF c
            """, decoding: CallbackTarget.self)
    }

    func sealedSecret(_ registryID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> ByteBuffer? {
        try await tx.value("SELECT callback_secret FROM workflow_registry WHERE tenant_id = \(tenantID) AND id = \(registryID)", as: ByteBuffer?.self) ?? nil
    }

    func receive(_ id: UUID, payload: JSONValue, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE workflow_callbacks SET received_at = now(), payload = \(try PlatformJSON.text(payload))::jsonb
            WHERE tenant_id = \(tenantID) AND id = \(id)
            """)
    }
}
