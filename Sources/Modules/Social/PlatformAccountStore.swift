import Foundation
import NIOCore
import PlatformDatabase
import PlatformSupport

/// Which platform accounts a list shows.
struct PlatformAccountFilter: Sendable {
    var tenantID: UUID
    var platform: String?
    var status: PlatformAccountStatus?

    var condition: SQL {
        """
        a.tenant_id = \(tenantID) AND a.deleted_at IS NULL
        AND (\(platform)::text IS NULL OR a.platform = \(platform))
        AND (\(status?.rawValue)::text IS NULL OR a.status = \(status?.rawValue))
        """
    }
}

/// A platform account as written; nil fields keep what is stored on update.
struct PlatformAccountFields: Sendable {
    var platform: String?
    var name: String?
    var sealedCredentials: ByteBuffer?
    var maskedCredentials: JSONValue?
    var proxy: String??
    var status: PlatformAccountStatus?
    var dailyLimit: Int??
}

/// What asking to use an account came to.
enum AccountUse: Sendable {
    /// Counted now (the account as it stands after the use).
    case counted(StoredPlatformAccount)
    /// This key's use was counted before; nothing changed.
    case alreadyCounted(StoredPlatformAccount)
    /// The daily limit is reached.
    case exhausted(StoredPlatformAccount)
    /// The account is not active.
    case unavailable(StoredPlatformAccount)
    case notFound
}

/// An account's secrets as a claiming worker receives them.
struct SealedAccount: Decodable, Sendable {
    var id: UUID
    var name: String
    var sealedCredentials: ByteBuffer?
    var proxy: String?
}

/// Every statement on `platform_accounts` and `platform_account_uses`. `day` is the tenant's
/// current date (`YYYY-MM-DD`): `used_today` counts only uses on that day.
struct PlatformAccountStore: Sendable {
    func columns(day: String) -> SQL {
        """
        a.id, a.platform, a.name, a.credentials_masked, a.proxy, a.status, a.daily_limit,
        CASE WHEN a.usage_day = \(day)::date THEN a.used_today ELSE 0 END AS used_today,
        a.last_used_at, a.created_at, a.updated_at
        """
    }

    func find(_ id: UUID, tenantID: UUID, day: String, in tx: DatabaseTransaction) async throws -> StoredPlatformAccount? {
        try await tx.row(
            "SELECT \(columns(day: day)) FROM platform_accounts a WHERE a.tenant_id = \(tenantID) AND a.id = \(id) AND a.deleted_at IS NULL",
            decoding: StoredPlatformAccount.self)
    }

    func sealed(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> SealedAccount? {
        try await tx.row(
            "SELECT a.id, a.name, a.sealed_credentials, a.proxy FROM platform_accounts a WHERE a.tenant_id = \(tenantID) AND a.id = \(id) AND a.deleted_at IS NULL",
            decoding: SealedAccount.self)
    }

    func list(_ filter: PlatformAccountFilter, skip: Int, limit: Int, day: String, in tx: DatabaseTransaction) async throws -> [StoredPlatformAccount] {
        try await tx.rows(
            """
            SELECT \(columns(day: day)) FROM platform_accounts a WHERE \(filter.condition)
            ORDER BY a.created_at DESC, a.id DESC LIMIT \(limit) OFFSET \(skip)
            """, decoding: StoredPlatformAccount.self)
    }

    /// Active accounts of `platform` with quota left: unlimited ones first, then most remaining,
    /// then the least recently used.
    func available(platform: String, tenantID: UUID, day: String, in tx: DatabaseTransaction) async throws -> [StoredPlatformAccount] {
        try await tx.rows(
            """
            SELECT * FROM (
                SELECT \(columns(day: day)) FROM platform_accounts a
                WHERE a.tenant_id = \(tenantID) AND a.deleted_at IS NULL AND a.status = 'active' AND a.platform = \(platform)
            ) s
            WHERE s.daily_limit IS NULL OR s.used_today < s.daily_limit
            ORDER BY (s.daily_limit IS NULL) DESC, (s.daily_limit - s.used_today) DESC, s.last_used_at ASC NULLS FIRST, s.created_at, s.id
            LIMIT 1000
            """, decoding: StoredPlatformAccount.self)
    }

    func platforms(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [String] {
        try await tx.rows(
            "SELECT DISTINCT a.platform FROM platform_accounts a WHERE a.tenant_id = \(tenantID) AND a.deleted_at IS NULL ORDER BY a.platform",
            decoding: String.self)
    }

    func nameTaken(_ name: String, platform: String, except id: UUID?, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value(
            """
            SELECT 1 FROM platform_accounts WHERE tenant_id = \(tenantID) AND platform = \(platform) AND lower(name) = lower(\(name))
              AND deleted_at IS NULL AND (\(id)::uuid IS NULL OR id <> \(id))
            """, as: Int.self) != nil
    }

    func insert(id: UUID, _ fields: PlatformAccountFields, tenantID: UUID, ownerID: UUID?, day: String, in tx: DatabaseTransaction) async throws -> StoredPlatformAccount? {
        let proxy: String? = fields.proxy ?? nil
        let limit: Int? = fields.dailyLimit ?? nil
        return try await tx.row(
            """
            INSERT INTO platform_accounts AS a (tenant_id, id, owner_id, platform, name, sealed_credentials, credentials_masked, proxy, status, daily_limit)
            VALUES (\(tenantID), \(id), \(ownerID), \(fields.platform ?? ""), \(fields.name ?? ""), \(fields.sealedCredentials),
                    \(try PlatformJSON.text(fields.maskedCredentials ?? [:]))::jsonb, \(proxy), \((fields.status ?? .active).rawValue), \(limit))
            RETURNING \(columns(day: day))
            """, decoding: StoredPlatformAccount.self)
    }

    func update(_ id: UUID, _ fields: PlatformAccountFields, tenantID: UUID, day: String, in tx: DatabaseTransaction) async throws -> StoredPlatformAccount? {
        let proxy: String? = fields.proxy ?? nil
        let limit: Int? = fields.dailyLimit ?? nil
        return try await tx.row(
            """
            UPDATE platform_accounts AS a SET
                platform = coalesce(\(fields.platform), a.platform),
                name = coalesce(\(fields.name), a.name),
                sealed_credentials = CASE WHEN \(fields.maskedCredentials != nil) THEN \(fields.sealedCredentials) ELSE a.sealed_credentials END,
                credentials_masked = coalesce(\(try PlatformJSON.text(fields.maskedCredentials))::jsonb, a.credentials_masked),
                proxy = CASE WHEN \(fields.proxy != nil) THEN \(proxy) ELSE a.proxy END,
                status = coalesce(\(fields.status?.rawValue), a.status),
                daily_limit = CASE WHEN \(fields.dailyLimit != nil) THEN \(limit) ELSE a.daily_limit END,
                updated_at = now()
            WHERE a.tenant_id = \(tenantID) AND a.id = \(id) AND a.deleted_at IS NULL
            RETURNING \(columns(day: day))
            """, decoding: StoredPlatformAccount.self)
    }

    func softDelete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.run(
            "UPDATE platform_accounts AS a SET deleted_at = now(), updated_at = now() WHERE a.tenant_id = \(tenantID) AND a.id = \(id) AND a.deleted_at IS NULL RETURNING 1"
        ) > 0
    }

    func resetUsage(_ id: UUID, to count: Int, tenantID: UUID, day: String, in tx: DatabaseTransaction) async throws -> StoredPlatformAccount? {
        try await tx.row(
            """
            UPDATE platform_accounts AS a SET used_today = \(count), usage_day = \(day)::date, updated_at = now()
            WHERE a.tenant_id = \(tenantID) AND a.id = \(id) AND a.deleted_at IS NULL
            RETURNING \(columns(day: day))
            """, decoding: StoredPlatformAccount.self)
    }

    /// Counts one use of the account under `key`, atomically: the row lock taken by the update
    /// orders concurrent uses, and each re-checks the limit on the row as the previous one left
    /// it, so no number of concurrent uses takes `used_today` past `daily_limit`. A key already
    /// counted is not counted again.
    func use(_ id: UUID, key: String, tenantID: UUID, day: String, in tx: DatabaseTransaction) async throws -> AccountUse {
        let recorded = try await tx.run(
            """
            INSERT INTO platform_account_uses (tenant_id, account_id, use_key, usage_day)
            SELECT a.tenant_id, a.id, \(key), \(day)::date FROM platform_accounts a
            WHERE a.tenant_id = \(tenantID) AND a.id = \(id) AND a.deleted_at IS NULL
            ON CONFLICT DO NOTHING RETURNING 1
            """)
        if recorded == 0 {
            guard let account = try await find(id, tenantID: tenantID, day: day, in: tx) else { return .notFound }
            return .alreadyCounted(account)
        }
        if let counted = try await tx.row(
            """
            UPDATE platform_accounts AS a SET
                used_today = CASE WHEN a.usage_day = \(day)::date THEN a.used_today + 1 ELSE 1 END,
                usage_day = \(day)::date, last_used_at = now(), updated_at = now()
            WHERE a.tenant_id = \(tenantID) AND a.id = \(id) AND a.deleted_at IS NULL AND a.status = 'active'
              AND (a.daily_limit IS NULL OR (CASE WHEN a.usage_day = \(day)::date THEN a.used_today ELSE 0 END) < a.daily_limit)
            RETURNING \(columns(day: day))
            """, decoding: StoredPlatformAccount.self)
        {
            return .counted(counted)
        }
        try await tx.run("DELETE FROM platform_account_uses WHERE tenant_id = \(tenantID) AND account_id = \(id) AND use_key = \(key)")
        guard let account = try await find(id, tenantID: tenantID, day: day, in: tx) else { return .notFound }
        return account.status == .active ? .exhausted(account) : .unavailable(account)
    }
}
