import Foundation
import PlatformDatabase
import PlatformSupport

/// A user as sign-in sees them (a row of `users`).
struct UserRecord: Sendable, Decodable {
    var id: UUID
    var username: String
    var email: String?
    var displayName: String?
    var passwordHash: String?
    var status: String
    var isPlatformAdmin: Bool
}

/// One of a user's memberships, with its tenant.
struct MembershipRecord: Sendable, Equatable, Decodable {
    var tenantID: UUID
    var tenantCode: String
    var tenantName: String
    var tenantStatus: String
    var membershipStatus: String
    var isDefault: Bool

    var isUsable: Bool { tenantStatus == "active" && membershipStatus == "active" }
}

/// Users, their memberships and tenants by code, as sign-in, OAuth and bootstrap need them.
/// Every method runs inside the caller's transaction (the platform scope: no tenant is known yet).
struct AccountStore: Sendable {
    static let userColumns = "id, username, email, display_name, password_hash, status, is_platform_admin"

    /// By username or e-mail (case-insensitive); a username match wins.
    func user(identifier: String, in tx: DatabaseTransaction) async throws -> UserRecord? {
        try await tx.row(
            """
            SELECT \(unescaped: Self.userColumns) FROM users
            WHERE deleted_at IS NULL AND (lower(username) = lower(\(identifier)) OR lower(email) = lower(\(identifier)))
            ORDER BY (lower(username) = lower(\(identifier))) DESC LIMIT 1
            """, decoding: UserRecord.self)
    }

    func user(id: UUID, in tx: DatabaseTransaction) async throws -> UserRecord? {
        try await tx.row("SELECT \(unescaped: Self.userColumns) FROM users WHERE id = \(id) AND deleted_at IS NULL", decoding: UserRecord.self)
    }

    func user(email: String, in tx: DatabaseTransaction) async throws -> UserRecord? {
        try await tx.row(
            "SELECT \(unescaped: Self.userColumns) FROM users WHERE deleted_at IS NULL AND lower(email) = lower(\(email))", decoding: UserRecord.self)
    }

    /// The user's memberships in live tenants, the default first.
    func memberships(userID: UUID, in tx: DatabaseTransaction) async throws -> [MembershipRecord] {
        try await tx.rows(
            """
            SELECT t.id AS tenant_id, t.code AS tenant_code, t.name AS tenant_name, t.status AS tenant_status,
                   m.status AS membership_status, m.is_default
            FROM tenant_memberships m JOIN tenants t ON t.id = m.tenant_id
            WHERE m.user_id = \(userID) AND t.deleted_at IS NULL
            ORDER BY m.is_default DESC, m.created_at
            """, decoding: MembershipRecord.self)
    }

    func usernameTaken(_ username: String, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value("SELECT 1 FROM users WHERE lower(username) = lower(\(username)) AND deleted_at IS NULL", as: Int.self) != nil
    }

    /// A user without a password (one who signs in through a provider).
    func insertUser(id: UUID, username: String, email: String?, displayName: String?, in tx: DatabaseTransaction) async throws {
        try await tx.run("INSERT INTO users (id, username, email, display_name) VALUES (\(id), \(username), \(email), \(displayName))")
    }

    func addDefaultMembership(userID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("INSERT INTO tenant_memberships (tenant_id, id, user_id, is_default) VALUES (\(tenantID), \(UUID.v7()), \(userID), true)")
    }

    /// The live tenant with `code` (suspended ones too).
    func tenantID(code: String, in tx: DatabaseTransaction) async throws -> UUID? {
        try await tx.value("SELECT id FROM tenants WHERE code = \(code) AND deleted_at IS NULL", as: UUID.self)
    }

    func setPasswordHash(userID: UUID, hash: String, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE users SET password_hash = \(hash), updated_at = now() WHERE id = \(userID)")
    }

    func recordLogin(userID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE users SET last_login_at = now() WHERE id = \(userID)")
    }
}
