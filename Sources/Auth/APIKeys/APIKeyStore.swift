import Foundation
import NIOCore
import PlatformDatabase
import PlatformSupport

/// Whose keys a list shows; the page and its count share it.
struct APIKeyFilter: Sendable {
    var tenantID: UUID
    var userID: UUID

    var condition: SQL { "tenant_id = \(tenantID) AND user_id = \(userID)" }
}

/// Every statement on `api_keys`.
struct APIKeyStore: Sendable {
    struct NewKey: Sendable {
        var name: String
        var prefix: String
        var hash: ByteBuffer
        var scopes: [String]
        var expiresAt: Date?
    }

    /// Inserts the key; returns when it was created.
    func insert(_ key: NewKey, id: UUID, tenantID: UUID, userID: UUID, in tx: DatabaseTransaction) async throws -> Date? {
        try await tx.value(
            """
            INSERT INTO api_keys (tenant_id, id, user_id, name, prefix, key_hash, scopes, expires_at)
            VALUES (\(tenantID), \(id), \(userID), \(key.name), \(key.prefix), \(key.hash), \(key.scopes), \(key.expiresAt))
            RETURNING created_at
            """, as: Date.self)
    }

    func list(_ filter: APIKeyFilter, page: PageRequest, in tx: DatabaseTransaction) async throws -> [APIKeyService.Key] {
        try await tx.rows(
            """
            SELECT id, name, prefix, scopes, expires_at, last_used_at, revoked_at, created_at
            FROM api_keys WHERE \(filter.condition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: APIKeyService.Key.self)
    }

    func count(_ filter: APIKeyFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM api_keys WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    struct ActiveKey: Decodable, Sendable {
        var id: UUID
        var name: String
        var prefix: String
        var createdAt: Date
    }

    /// The newest 100 keys of the filter that are not revoked.
    func active(_ filter: APIKeyFilter, in tx: DatabaseTransaction) async throws -> [ActiveKey] {
        try await tx.rows(
            """
            SELECT id, name, prefix, created_at FROM api_keys
            WHERE \(filter.condition) AND revoked_at IS NULL
            ORDER BY created_at DESC LIMIT 100
            """, decoding: ActiveKey.self)
    }

    /// Revokes the user's key (already revoked ones keep their time); how many matched.
    func revoke(_ id: UUID, tenantID: UUID, userID: UUID, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.run(
            """
            UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
            WHERE tenant_id = \(tenantID) AND id = \(id) AND user_id = \(userID) RETURNING id
            """)
    }

    /// A presented key with what decides whether it may act.
    struct Presented: Decodable, Sendable {
        var tenantId: UUID
        var keyId: UUID
        var userId: UUID
        var scopes: [String]
        /// Not revoked, not expired, creator not deleted.
        var live: Bool
        var userStatus: String
        var creatorIsAdmin: Bool
        var tenantStatus: String
        var membershipStatus: String?
        /// `last_used_at` is over a minute old (or unset).
        var stale: Bool
        var plan: String
    }

    /// The key with this hash, in any tenant (platform scope).
    func presented(hash: ByteBuffer, in tx: DatabaseTransaction) async throws -> Presented? {
        try await tx.row(
            """
            SELECT k.tenant_id, k.id AS key_id, k.user_id, k.scopes,
                   k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()) AND u.deleted_at IS NULL AS live,
                   u.status AS user_status, u.is_platform_admin AS creator_is_admin, t.status AS tenant_status, m.status AS membership_status,
                   k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute' AS stale, t.plan
            FROM api_keys k
            JOIN users u ON u.id = k.user_id
            JOIN tenants t ON t.id = k.tenant_id
            LEFT JOIN tenant_memberships m ON m.tenant_id = k.tenant_id AND m.user_id = k.user_id
            WHERE k.key_hash = \(hash)
            """, decoding: Presented.self)
    }

    func touch(_ keyID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE api_keys SET last_used_at = now() WHERE tenant_id = \(tenantID) AND id = \(keyID)")
    }

    /// The tenant of the key with this hash (platform scope), for rate limiting by plan.
    func tenantID(hash: ByteBuffer, in tx: DatabaseTransaction) async throws -> UUID? {
        try await tx.value("SELECT tenant_id FROM api_keys WHERE key_hash = \(hash)", as: UUID.self)
    }
}
