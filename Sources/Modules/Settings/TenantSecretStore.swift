import Foundation
import NIOCore
import PlatformDatabase
import PlatformSupport

/// Every statement on `tenant_secrets`. Values are sealed (`SecretSealer`) before they get here.
struct TenantSecretStore: Sendable {
    func list(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [SecretView] {
        try await tx.rows("SELECT name, created_at, updated_at FROM tenant_secrets WHERE tenant_id = \(tenantID) ORDER BY name", decoding: SecretView.self)
    }

    func sealed(_ name: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> ByteBuffer? {
        try await tx.value("SELECT sealed FROM tenant_secrets WHERE tenant_id = \(tenantID) AND name = \(name)", as: ByteBuffer.self)
    }

    /// Stores or replaces a secret.
    func put(_ name: String, sealed: ByteBuffer, tenantID: UUID, by userID: UUID, in tx: DatabaseTransaction) async throws -> SecretView? {
        try await tx.row(
            """
            INSERT INTO tenant_secrets (tenant_id, name, sealed, updated_by) VALUES (\(tenantID), \(name), \(sealed), \(userID))
            ON CONFLICT (tenant_id, name) DO UPDATE SET sealed = EXCLUDED.sealed, updated_by = EXCLUDED.updated_by, updated_at = now()
            RETURNING name, created_at, updated_at
            """, decoding: SecretView.self)
    }

    /// Whether a secret was deleted.
    func delete(_ name: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.run("DELETE FROM tenant_secrets WHERE tenant_id = \(tenantID) AND name = \(name) RETURNING 1") > 0
    }

    struct KeyDate: Decodable, Sendable {
        var name: String
        var updatedAt: Date
    }

    /// The tenant's provider keys (`<provider>.api_key`) and when each was last set.
    func apiKeys(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [KeyDate] {
        try await tx.rows(
            "SELECT name, updated_at FROM tenant_secrets WHERE tenant_id = \(tenantID) AND name LIKE '%.api_key'", decoding: KeyDate.self)
    }
}
