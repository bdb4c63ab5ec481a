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
    let store = APIKeyStore()

    public init(database: Database, access: any AccessResolver, environment: String) {
        self.database = database
        self.access = access
        self.environment = environment
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
        if case .apiKey = principal.credential { throw APIError.keyNeedsSession }
        if !principal.isPlatformAdmin {
            let missing = scopes.filter { !principal.permissions.contains($0) }
            if !missing.isEmpty { throw APIError.scopesNotHeld(missing) }
        }

        let secret = "sk_\(environment)_" + Secrets.random()
        let prefix = String(secret.prefix(environment.count + 4 + 6))
        let id = UUID.v7()
        let createdAt = try await database.withTenant(principal.tenantScope) { tx in
            let created = try await store.insert(
                APIKeyStore.NewKey(name: name, prefix: prefix, hash: Secrets.hash(secret), scopes: scopes, expiresAt: expiresAt),
                id: id, tenantID: principal.tenantID, userID: principal.userID, in: tx)
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
        let filter = APIKeyFilter(tenantID: principal.tenantID, userID: principal.userID)
        return try await database.withTenant(principal.tenantScope) { tx in
            let keys = try await store.list(filter, page: page, in: tx)
            // A short last page tells the total without counting.
            var total = page.offset + keys.count
            if keys.count == page.limit || (keys.isEmpty && page.offset > 0) {
                total = try await store.count(filter, in: tx)
            }
            return Page(items: keys, total: total, request: page)
        }
    }

    public func settingsList(principal: Principal) async throws -> SettingsList {
        let filter = APIKeyFilter(tenantID: principal.tenantID, userID: principal.userID)
        let keys = try await database.withTenant(principal.tenantScope) { tx in try await store.active(filter, in: tx) }
        return SettingsList(keys: keys.map { .init(id: $0.id, name: $0.name, partial: $0.prefix + "****", createdAt: $0.createdAt) })
    }

    /// Revokes one of the caller's keys; any other id, including another tenant's, is 404.
    public func revoke(id: UUID, principal: Principal, client: AuthService.ClientInfo) async throws {
        let revoked = try await database.withTenant(principal.tenantScope) { tx in
            let count = try await store.revoke(id, tenantID: principal.tenantID, userID: principal.userID, in: tx)
            if count > 0 {
                try await AuditLog.append(
                    AuditEvent(action: "api_key.revoke", tenantID: principal.tenantID, actorUserID: principal.userID, targetType: "api_key", targetID: id.uuidString.lowercased(), clientIP: client.ip, requestID: client.requestID),
                    in: tx)
            }
            return count > 0
        }
        if !revoked { throw APIError.apiKeyNotFound }
    }

    /// The principal behind a presented key, if it is live and its creator still may act.
    public func principal(forKey key: String) async throws -> Principal {
        guard key.hasPrefix("sk_"), key.count < 200 else { throw APIError.invalidAPIKey }
        let hash = Secrets.hash(key)
        // The key names its tenant only through its row: finding it needs the platform scope.
        return try await database.withPlatformScope { tx in
            guard let stored = try await store.presented(hash: hash, in: tx) else { throw APIError.invalidAPIKey }
            guard stored.live, stored.userStatus == "active", stored.tenantStatus == "active", stored.membershipStatus == "active" else {
                throw APIError.invalidAPIKey
            }
            // Recorded at most once a minute: a busy key does not write on every request.
            if stored.stale { try await store.touch(stored.keyId, tenantID: stored.tenantId, in: tx) }
            let resolved = try await self.access.access(userID: stored.userId, tenantID: stored.tenantId, in: tx)
            let permissions = stored.creatorIsAdmin ? Set(stored.scopes) : Set(stored.scopes).intersection(resolved.permissions)
            return Principal(
                userID: stored.userId, tenantID: stored.tenantId, credential: .apiKey(id: stored.keyId), isPlatformAdmin: false,
                roleIDs: resolved.roleIDs, permissions: permissions, dataScope: stored.creatorIsAdmin ? .all : resolved.dataScope, plan: stored.plan)
        }
    }
}
