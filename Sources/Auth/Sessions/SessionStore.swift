import Foundation
import NIOCore
import PlatformDatabase
import PlatformSupport
import PostgresNIO

/// Whether a session (or key) may still act: user, tenant and membership all active. A row of
/// `app.session_state` (policies/35_auth_functions.sql).
struct CredentialState: Sendable, Decodable {
    var live: Bool
    var userStatus: String
    var isPlatformAdmin: Bool
    var tenantStatus: String
    var membershipStatus: String?
    var plan: String

    var usable: Bool { live && userStatus == "active" && tenantStatus == "active" && membershipStatus == "active" }
}

/// A tenant's state and the user's membership in it.
struct TenantAccess: Sendable, Decodable {
    var tenantStatus: String
    var plan: String
    var membershipStatus: String?
}

enum RefreshOutcome {
    case consumed(tenantID: UUID, sessionID: UUID, userID: UUID)
    case reused(tenantID: UUID, sessionID: UUID, userID: UUID)
    case invalid
}

/// Every statement on `sessions` and `refresh_tokens`.
struct SessionStore: Sendable {
    func create(
        tenantID: UUID, userID: UUID, expiresAt: Date, clientIP: String?, userAgent: String?, in tx: DatabaseTransaction
    ) async throws -> UUID {
        let id = UUID.v7()
        try await tx.run(
            """
            INSERT INTO sessions (tenant_id, id, user_id, expires_at, client_ip, user_agent)
            VALUES (\(tenantID), \(id), \(userID), \(expiresAt), \(clientIP), \(userAgent.map { String($0.prefix(500)) }))
            """)
        return id
    }

    func addRefreshToken(tenantID: UUID, sessionID: UUID, hash: ByteBuffer, expiresAt: Date, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            INSERT INTO refresh_tokens (tenant_id, id, session_id, token_hash, expires_at)
            VALUES (\(tenantID), \(UUID.v7()), \(sessionID), \(hash), \(expiresAt))
            """)
    }

    private struct TokenOwner: Decodable {
        var tenantId: UUID
        var sessionId: UUID
        var userId: UUID
    }

    /// Spends a refresh token. The row lock makes concurrent spends of one token take turns:
    /// exactly one finds it unused; the others find it spent.
    func consumeRefreshToken(hash: ByteBuffer, in tx: DatabaseTransaction) async throws -> RefreshOutcome {
        if let owner = try await tx.row(
            """
            UPDATE refresh_tokens r SET used_at = now()
            FROM sessions s
            WHERE r.token_hash = \(hash) AND r.used_at IS NULL AND r.expires_at > now()
              AND s.tenant_id = r.tenant_id AND s.id = r.session_id
            RETURNING r.tenant_id, r.session_id, s.user_id
            """, decoding: TokenOwner.self)
        {
            return .consumed(tenantID: owner.tenantId, sessionID: owner.sessionId, userID: owner.userId)
        }
        if let owner = try await tx.row(
            """
            SELECT r.tenant_id, r.session_id, s.user_id FROM refresh_tokens r
            JOIN sessions s ON s.tenant_id = r.tenant_id AND s.id = r.session_id
            WHERE r.token_hash = \(hash) AND r.used_at IS NOT NULL
            """, decoding: TokenOwner.self)
        {
            return .reused(tenantID: owner.tenantId, sessionID: owner.sessionId, userID: owner.userId)
        }
        return .invalid
    }

    static func stateQuery(tenantID: UUID, sessionID: UUID, userID: UUID) -> SQL {
        "SELECT * FROM app.session_state(\(tenantID), \(sessionID), \(userID))"
    }

    /// Through `app.session_state`, the same check the per-request path runs as a single statement.
    func state(tenantID: UUID, sessionID: UUID, userID: UUID, in tx: DatabaseTransaction) async throws -> CredentialState? {
        try await tx.row(Self.stateQuery(tenantID: tenantID, sessionID: sessionID, userID: userID), decoding: CredentialState.self)
    }

    /// The same check as one statement outside any transaction: `app.session_state` scopes
    /// itself, so the per-request path takes one round trip instead of four.
    func selfScopedState(tenantID: UUID, sessionID: UUID, userID: UUID, on database: Database) async throws -> CredentialState? {
        let query = try Self.stateQuery(tenantID: tenantID, sessionID: sessionID, userID: userID).rendered()
        let rows = try await database.client.withConnection { connection in
            try await connection.query(query, logger: database.logger).collect()
        }
        return try rows.first.map { try RowDecoder.decode(CredentialState.self, from: $0) }
    }

    func tenantAccess(tenantID: UUID, userID: UUID, in tx: DatabaseTransaction) async throws -> TenantAccess? {
        try await tx.row(
            """
            SELECT t.status AS tenant_status, t.plan, m.status AS membership_status FROM tenants t
            LEFT JOIN tenant_memberships m ON m.tenant_id = t.id AND m.user_id = \(userID)
            WHERE t.id = \(tenantID) AND t.deleted_at IS NULL
            """, decoding: TenantAccess.self)
    }

    @discardableResult
    func revoke(tenantID: UUID, sessionID: UUID, reason: String, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.run(
            """
            UPDATE sessions SET revoked_at = now(), revoked_reason = \(reason)
            WHERE tenant_id = \(tenantID) AND id = \(sessionID) AND revoked_at IS NULL RETURNING id
            """) > 0
    }

    /// Ends every other session of the user, in every tenant (platform scope); how many ended.
    func revokeOthers(userID: UUID, except sessionID: UUID?, reason: String, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.run(
            """
            UPDATE sessions SET revoked_at = now(), revoked_reason = \(reason)
            WHERE user_id = \(userID) AND revoked_at IS NULL AND (\(sessionID)::uuid IS NULL OR id <> \(sessionID))
            RETURNING id
            """)
    }

    func touch(tenantID: UUID, sessionID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE sessions SET last_used_at = now() WHERE tenant_id = \(tenantID) AND id = \(sessionID)")
    }
}
