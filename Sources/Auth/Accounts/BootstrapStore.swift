import Foundation
import PlatformDatabase
import PlatformSupport

/// The statements of `platform bootstrap`, all in the platform scope.
struct BootstrapStore: Sendable {
    /// The live tenant with `code`, created if there is none.
    func ensureTenant(code: String, name: String, in tx: DatabaseTransaction) async throws -> UUID? {
        try await tx.value(
            """
            INSERT INTO tenants (id, code, name) VALUES (\(UUID.v7()), \(code), \(name))
            ON CONFLICT (code) WHERE deleted_at IS NULL DO UPDATE SET updated_at = tenants.updated_at
            RETURNING id
            """, as: UUID.self)
    }

    /// Makes an existing user an active platform administrator with this password.
    func promote(_ userID: UUID, passwordHash: String, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            "UPDATE users SET is_platform_admin = true, password_hash = \(passwordHash), status = 'active', updated_at = now() WHERE id = \(userID)")
    }

    func insertAdmin(id: UUID, username: String, email: String, passwordHash: String, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            "INSERT INTO users (id, username, email, password_hash, is_platform_admin) VALUES (\(id), \(username), \(email), \(passwordHash), true)")
    }

    /// The user's default membership of the tenant, re-activated if it exists.
    func ensureMembership(userID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            INSERT INTO tenant_memberships (tenant_id, id, user_id, is_default) VALUES (\(tenantID), \(UUID.v7()), \(userID), true)
            ON CONFLICT (tenant_id, user_id) DO UPDATE SET status = 'active'
            """)
    }

    func hasUsers(in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value("SELECT EXISTS (SELECT 1 FROM users)", as: Bool.self) ?? false
    }
}
