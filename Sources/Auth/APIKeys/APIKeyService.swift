import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// API keys for integrators: `sk_<env>_<random>`, shown once, stored as a SHA-256 hash with a
/// display prefix. A key acts as its creator, limited to its scopes (a subset of the creator's
/// permissions when it was made, and re-checked against them on every use).
public struct APIKeyService: Sendable {
    let database: Database
    let access: any AccessResolver
    let environment: String

    public init(database: Database, access: any AccessResolver, environment: String) {
        self.database = database
        self.access = access
        self.environment = environment
    }

    public struct CreateRequest: Codable, Sendable {
        public var name: String
        public var scopes: [String]?
        public var expiresAt: Date?
        public var expiresInDays: Int?
    }

    public struct Key: Codable, Sendable, ResponseEncodable {
        public var id: UUID
        public var name: String
        public var prefix: String
        public var scopes: [String]
        public var expiresAt: Date?
        public var lastUsedAt: Date?
        public var revokedAt: Date?
        public var createdAt: Date
    }

    public struct CreatedKey: Codable, Sendable, ResponseEncodable {
        public var id: UUID
        public var name: String
        /// The secret. It is shown this once and cannot be retrieved again.
        public var key: String
        public var prefix: String
        public var scopes: [String]
        public var expiresAt: Date?
        public var createdAt: Date
    }

    /// The content platform's `GET /settings/api-keys` shape.
    public struct SettingsList: Codable, Sendable, ResponseEncodable {
        public struct Entry: Codable, Sendable {
            public var id: UUID
            public var name: String
            public var partial: String
            public var createdAt: Date
        }

        public var keys: [Entry]
    }

    public func create(_ request: CreateRequest, principal: Principal, client: AuthService.ClientInfo) async throws -> CreatedKey {
        var problems: [String: String] = [:]
        let name = request.name.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty || name.count > 200 { problems["name"] = "must be 1 to 200 characters" }
        let scopes = Array(Set(request.scopes ?? [])).sorted()
        if let bad = scopes.first(where: { $0.wholeMatch(of: /[a-z][a-z0-9_-]*(:[a-z0-9_*-]+)+/) == nil }) {
            problems["scopes"] = "'\(bad)' is not a permission code (resource:action)"
        }
        var expiresAt = request.expiresAt
        if let days = request.expiresInDays {
            if (1...3650).contains(days) { expiresAt = Date().addingTimeInterval(TimeInterval(days) * 86_400) } else { problems["expires_in_days"] = "must be between 1 and 3650" }
        }
        if let expiresAt, expiresAt <= Date() { problems["expires_at"] = "must be in the future" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        if case .apiKey = principal.credential {
            throw APIError(.forbidden, code: "SESSION_REQUIRED", message: "API keys cannot create API keys; sign in")
        }
        if !principal.isPlatformAdmin {
            let missing = scopes.filter { !principal.permissions.contains($0) }
            if !missing.isEmpty {
                throw APIError(
                    .forbidden, code: "SCOPE_NOT_HELD", message: "A key cannot have permissions its creator does not hold",
                    details: ["scopes": .array(missing.map { .string($0) })])
            }
        }

        let secret = "sk_\(environment)_" + Secrets.random()
        let prefix = String(secret.prefix(environment.count + 4 + 6))
        let id = UUID.v7()
        let createdAt = try await database.withTenant(principal.tenantScope) { tx in
            let created = try await tx.first(
                """
                INSERT INTO api_keys (tenant_id, id, user_id, name, prefix, key_hash, scopes, expires_at)
                VALUES (\(principal.tenantID), \(id), \(principal.userID), \(name), \(prefix), \(Secrets.hash(secret)), \(scopes), \(expiresAt))
                RETURNING created_at
                """, as: Date.self)
            try await AuditLog.append(
                AuditEvent(
                    action: "api_key.create", tenantID: principal.tenantID, actorUserID: principal.userID, targetType: "api_key",
                    targetID: id.uuidString.lowercased(), clientIP: client.ip, requestID: client.requestID,
                    after: ["name": .string(name), "prefix": .string(prefix), "scopes": .array(scopes.map { .string($0) })]),
                in: tx)
            return created ?? Date()
        }
        return CreatedKey(id: id, name: name, key: secret, prefix: prefix, scopes: scopes, expiresAt: expiresAt, createdAt: createdAt)
    }

    /// The caller's own keys in the current tenant.
    public func list(principal: Principal, page: PageRequest) async throws -> Page<Key> {
        try await database.withTenant(principal.tenantScope) { tx in
            let rows = try await tx.all(
                """
                SELECT id, name, prefix, scopes, expires_at, last_used_at, revoked_at, created_at
                FROM api_keys WHERE tenant_id = \(principal.tenantID) AND user_id = \(principal.userID)
                ORDER BY created_at DESC, id DESC LIMIT \(page.limit) OFFSET \(page.offset)
                """, as: (UUID, String, String, [String], Date?, Date?, Date?, Date).self)
            // A short last page tells the total without counting.
            var total = page.offset + rows.count
            if rows.count == page.limit || (rows.isEmpty && page.offset > 0) {
                total = try await tx.first(
                    "SELECT count(*)::int FROM api_keys WHERE tenant_id = \(principal.tenantID) AND user_id = \(principal.userID)", as: Int.self) ?? 0
            }
            let keys = rows.map { Key(id: $0.0, name: $0.1, prefix: $0.2, scopes: $0.3, expiresAt: $0.4, lastUsedAt: $0.5, revokedAt: $0.6, createdAt: $0.7) }
            return Page(items: keys, total: total, request: page)
        }
    }

    public func settingsList(principal: Principal) async throws -> SettingsList {
        let keys = try await database.withTenant(principal.tenantScope) { tx in
            try await tx.all(
                """
                SELECT id, name, prefix, created_at FROM api_keys
                WHERE tenant_id = \(principal.tenantID) AND user_id = \(principal.userID) AND revoked_at IS NULL
                ORDER BY created_at DESC LIMIT 100
                """, as: (UUID, String, String, Date).self)
        }
        return SettingsList(keys: keys.map { .init(id: $0.0, name: $0.1, partial: $0.2 + "****", createdAt: $0.3) })
    }

    /// Revokes one of the caller's keys; any other id, including another tenant's, is 404.
    public func revoke(id: UUID, principal: Principal, client: AuthService.ClientInfo) async throws {
        let revoked = try await database.withTenant(principal.tenantScope) { tx in
            let count = try await tx.execute(
                """
                UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
                WHERE tenant_id = \(principal.tenantID) AND id = \(id) AND user_id = \(principal.userID) RETURNING id
                """)
            if count > 0 {
                try await AuditLog.append(
                    AuditEvent(action: "api_key.revoke", tenantID: principal.tenantID, actorUserID: principal.userID, targetType: "api_key", targetID: id.uuidString.lowercased(), clientIP: client.ip, requestID: client.requestID),
                    in: tx)
            }
            return count > 0
        }
        if !revoked { throw APIError.notFound("API key", code: "API_KEY_NOT_FOUND") }
    }

    /// The principal behind a presented key, if it is live and its creator still may act.
    public func principal(forKey key: String) async throws -> Principal {
        guard key.hasPrefix("sk_"), key.count < 200 else { throw AuthError.invalidAPIKey }
        let hash = Secrets.hash(key)
        // The key names its tenant only through its row: finding it needs the platform scope.
        return try await database.withPlatformScope { tx in
            guard let row = try await tx.first(
                """
                SELECT k.tenant_id, k.id, k.user_id, k.scopes,
                       k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()) AND u.deleted_at IS NULL,
                       u.status, u.is_platform_admin, t.status, m.status,
                       k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute', t.plan
                FROM api_keys k
                JOIN users u ON u.id = k.user_id
                JOIN tenants t ON t.id = k.tenant_id
                LEFT JOIN tenant_memberships m ON m.tenant_id = k.tenant_id AND m.user_id = k.user_id
                WHERE k.key_hash = \(hash)
                """, as: (UUID, UUID, UUID, [String], Bool, String, Bool, String, String?, Bool, String).self)
            else { throw AuthError.invalidAPIKey }
            let (tenantID, keyID, userID, scopes, live, userStatus, creatorIsAdmin, tenantStatus, membershipStatus, stale, plan) = row
            guard live, userStatus == "active", tenantStatus == "active", membershipStatus == "active" else { throw AuthError.invalidAPIKey }
            if stale {
                // Recorded at most once a minute: a busy key does not write on every request.
                try await tx.query("UPDATE api_keys SET last_used_at = now() WHERE tenant_id = \(tenantID) AND id = \(keyID)")
            }
            let resolved = try await self.access.access(userID: userID, tenantID: tenantID, in: tx)
            let permissions = creatorIsAdmin ? Set(scopes) : Set(scopes).intersection(resolved.permissions)
            return Principal(
                userID: userID, tenantID: tenantID, credential: .apiKey(id: keyID), isPlatformAdmin: false,
                roleIDs: resolved.roleIDs, permissions: permissions, dataScope: creatorIsAdmin ? .all : resolved.dataScope, plan: plan)
        }
    }
}
