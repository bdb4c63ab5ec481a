import Foundation
import NIOCore
import PlatformDatabase
import PlatformSupport
import PostgresNIO

/// SQL of the authentication tables. Every function runs inside the caller's scoped transaction.
enum AuthRepository {
    struct UserRow: Sendable {
        var id: UUID
        var username: String
        var email: String?
        var displayName: String?
        var passwordHash: String?
        var status: String
        var isPlatformAdmin: Bool
    }

    struct MembershipRow: Sendable, Equatable {
        var tenantID: UUID
        var tenantCode: String
        var tenantName: String
        var tenantStatus: String
        var membershipStatus: String
        var isDefault: Bool

        var isUsable: Bool { tenantStatus == "active" && membershipStatus == "active" }
    }

    /// Whether a session (or key) may still act: user, tenant and membership all active.
    struct CredentialState: Sendable {
        var live: Bool
        var userStatus: String
        var isPlatformAdmin: Bool
        var tenantStatus: String
        var membershipStatus: String?
        var plan: String

        var usable: Bool { live && userStatus == "active" && tenantStatus == "active" && membershipStatus == "active" }
    }

    static let userColumns = "id, username, email, display_name, password_hash, status, is_platform_admin"

    static func decodeUser(_ row: (UUID, String, String?, String?, String?, String, Bool)) -> UserRow {
        UserRow(id: row.0, username: row.1, email: row.2, displayName: row.3, passwordHash: row.4, status: row.5, isPlatformAdmin: row.6)
    }

    // MARK: users (platform scope)

    static func user(identifier: String, in tx: DatabaseTransaction) async throws -> UserRow? {
        try await tx.first(
            """
            SELECT \(unescaped: userColumns) FROM users
            WHERE deleted_at IS NULL AND (lower(username) = lower(\(identifier)) OR lower(email) = lower(\(identifier)))
            ORDER BY (lower(username) = lower(\(identifier))) DESC LIMIT 1
            """, as: (UUID, String, String?, String?, String?, String, Bool).self
        ).map(decodeUser)
    }

    static func user(id: UUID, in tx: DatabaseTransaction) async throws -> UserRow? {
        try await tx.first(
            "SELECT \(unescaped: userColumns) FROM users WHERE id = \(id) AND deleted_at IS NULL",
            as: (UUID, String, String?, String?, String?, String, Bool).self
        ).map(decodeUser)
    }

    static func user(email: String, in tx: DatabaseTransaction) async throws -> UserRow? {
        try await tx.first(
            "SELECT \(unescaped: userColumns) FROM users WHERE deleted_at IS NULL AND lower(email) = lower(\(email))",
            as: (UUID, String, String?, String?, String?, String, Bool).self
        ).map(decodeUser)
    }

    static func memberships(userID: UUID, in tx: DatabaseTransaction) async throws -> [MembershipRow] {
        try await tx.all(
            """
            SELECT t.id, t.code, t.name, t.status, m.status, m.is_default
            FROM tenant_memberships m JOIN tenants t ON t.id = m.tenant_id
            WHERE m.user_id = \(userID) AND t.deleted_at IS NULL
            ORDER BY m.is_default DESC, m.created_at
            """, as: (UUID, String, String, String, String, Bool).self
        ).map { MembershipRow(tenantID: $0.0, tenantCode: $0.1, tenantName: $0.2, tenantStatus: $0.3, membershipStatus: $0.4, isDefault: $0.5) }
    }

    static func setPasswordHash(userID: UUID, hash: String, in tx: DatabaseTransaction) async throws {
        try await tx.query("UPDATE users SET password_hash = \(hash), updated_at = now() WHERE id = \(userID)")
    }

    static func recordLogin(userID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.query("UPDATE users SET last_login_at = now() WHERE id = \(userID)")
    }

    // MARK: sessions and refresh tokens

    static func createSession(
        tenantID: UUID, userID: UUID, expiresAt: Date, clientIP: String?, userAgent: String?, in tx: DatabaseTransaction
    ) async throws -> UUID {
        let id = UUID.v7()
        try await tx.query(
            """
            INSERT INTO sessions (tenant_id, id, user_id, expires_at, client_ip, user_agent)
            VALUES (\(tenantID), \(id), \(userID), \(expiresAt), \(clientIP), \(userAgent.map { String($0.prefix(500)) }))
            """)
        return id
    }

    static func addRefreshToken(tenantID: UUID, sessionID: UUID, hash: ByteBuffer, expiresAt: Date, in tx: DatabaseTransaction) async throws {
        try await tx.query(
            """
            INSERT INTO refresh_tokens (tenant_id, id, session_id, token_hash, expires_at)
            VALUES (\(tenantID), \(UUID.v7()), \(sessionID), \(hash), \(expiresAt))
            """)
    }

    enum RefreshOutcome {
        case consumed(tenantID: UUID, sessionID: UUID, userID: UUID)
        case reused(tenantID: UUID, sessionID: UUID, userID: UUID)
        case invalid
    }

    /// Spends a refresh token. The row lock makes concurrent spends of one token take turns:
    /// exactly one finds it unused; the others find it spent.
    static func consumeRefreshToken(hash: ByteBuffer, in tx: DatabaseTransaction) async throws -> RefreshOutcome {
        if let row = try await tx.first(
            """
            UPDATE refresh_tokens r SET used_at = now()
            FROM sessions s
            WHERE r.token_hash = \(hash) AND r.used_at IS NULL AND r.expires_at > now()
              AND s.tenant_id = r.tenant_id AND s.id = r.session_id
            RETURNING r.tenant_id, r.session_id, s.user_id
            """, as: (UUID, UUID, UUID).self)
        {
            return .consumed(tenantID: row.0, sessionID: row.1, userID: row.2)
        }
        if let row = try await tx.first(
            """
            SELECT r.tenant_id, r.session_id, s.user_id FROM refresh_tokens r
            JOIN sessions s ON s.tenant_id = r.tenant_id AND s.id = r.session_id
            WHERE r.token_hash = \(hash) AND r.used_at IS NOT NULL
            """, as: (UUID, UUID, UUID).self)
        {
            return .reused(tenantID: row.0, sessionID: row.1, userID: row.2)
        }
        return .invalid
    }

    /// Through `app.session_state` (policies/35_auth_functions.sql), the same check the
    /// per-request path runs as a single statement.
    static func sessionState(tenantID: UUID, sessionID: UUID, userID: UUID, in tx: DatabaseTransaction) async throws -> CredentialState? {
        try await tx.first(
            "SELECT * FROM app.session_state(\(tenantID), \(sessionID), \(userID))",
            as: (Bool, String, Bool, String, String?, String).self
        ).map { CredentialState(live: $0.0, userStatus: $0.1, isPlatformAdmin: $0.2, tenantStatus: $0.3, membershipStatus: $0.4, plan: $0.5) }
    }

    struct TenantAccess: Sendable {
        var tenantStatus: String
        var plan: String
        var membershipStatus: String?
    }

    /// The tenant's state and the user's membership in it.
    static func tenantAccess(tenantID: UUID, userID: UUID, in tx: DatabaseTransaction) async throws -> TenantAccess? {
        try await tx.first(
            """
            SELECT t.status, t.plan, m.status FROM tenants t
            LEFT JOIN tenant_memberships m ON m.tenant_id = t.id AND m.user_id = \(userID)
            WHERE t.id = \(tenantID) AND t.deleted_at IS NULL
            """, as: (String, String, String?).self
        ).map { TenantAccess(tenantStatus: $0.0, plan: $0.1, membershipStatus: $0.2) }
    }

    @discardableResult
    static func revokeSession(tenantID: UUID, sessionID: UUID, reason: String, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.execute(
            """
            UPDATE sessions SET revoked_at = now(), revoked_reason = \(reason)
            WHERE tenant_id = \(tenantID) AND id = \(sessionID) AND revoked_at IS NULL RETURNING id
            """) > 0
    }

    /// Ends every other session of the user, in every tenant (platform scope).
    static func revokeOtherSessions(userID: UUID, except sessionID: UUID?, reason: String, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.execute(
            """
            UPDATE sessions SET revoked_at = now(), revoked_reason = \(reason)
            WHERE user_id = \(userID) AND revoked_at IS NULL AND (\(sessionID)::uuid IS NULL OR id <> \(sessionID))
            RETURNING id
            """)
    }

    static func touchSession(tenantID: UUID, sessionID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.query("UPDATE sessions SET last_used_at = now() WHERE tenant_id = \(tenantID) AND id = \(sessionID)")
    }
}
