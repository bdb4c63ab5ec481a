import Foundation
import NIOCore
import PlatformDatabase
import PlatformServices
import PlatformSupport
import TaskEngine

/// The tenant's current date, in its time zone (the `timezone` tenant setting, UTC when unset):
/// `used_today` counts the uses of that date, so it starts again at the tenant's midnight.
struct TenantDay: Sendable {
    let preferences: any TenantPreferences

    func today(_ tenantID: UUID, in tx: DatabaseTransaction, now: Date = Date()) async throws -> String {
        Self.date(now, in: try await preferences.timeZone(of: tenantID, in: tx))
    }

    static func date(_ instant: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        return String(format: "%04d-%02d-%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }
}

/// Platform accounts' secrets and quota as other parts of the platform meet them: the worker
/// claiming a task that names an account, and a social connection linked to an account.
struct PlatformAccountQuota: Sendable {
    let sealer: SecretSealer?
    let days: TenantDay
    let store = PlatformAccountStore()

    /// What sealed credentials are bound to: the tenant (by the sealer) and the account.
    static func secretName(_ id: UUID) -> String { "platform_account/\(id.uuidString.lowercased())/credentials" }

    func open(_ account: SealedAccount, tenantID: UUID) -> JSONValue? {
        guard let sealed = account.sealedCredentials else { return [:] }
        guard let sealer, let text = try? sealer.open(sealed, tenant: tenantID, name: Self.secretName(account.id)),
            let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        else { return nil }
        return value
    }

    /// The claim field: `platform_account {id, name, credentials, proxy, remaining_quota}` in
    /// clear for the task's account, counting one use per task (a task claimed again after its
    /// lease expired is not counted twice). When the account is used up for the day or not
    /// active, `credentials` is null and `quota_exhausted` or `error` says why, so the worker
    /// can hand the task back.
    func claimFields(_ task: TaskRecord, in tx: DatabaseTransaction) async throws -> [String: JSONValue] {
        guard let accountID = task.platformAccountId else { return [:] }
        let tenantID = task.tenantId
        guard let sealed = try await store.sealed(accountID, tenantID: tenantID, in: tx) else { return ["platform_account": .null] }
        let day = try await days.today(tenantID, in: tx)
        var answer: [String: JSONValue] = [
            "id": .string(accountID.uuidString.lowercased()), "name": .string(sealed.name), "proxy": sealed.proxy.map { .string($0) } ?? .null,
            "credentials": .null,
        ]
        func remaining(_ account: StoredPlatformAccount) -> JSONValue {
            account.dailyLimit.map { .int(Int64(max($0 - account.usedToday, 0))) } ?? .null
        }
        switch try await store.use(accountID, key: "task:\(task.id.uuidString.lowercased())", tenantID: tenantID, day: day, in: tx) {
        case .counted(let account), .alreadyCounted(let account):
            answer["remaining_quota"] = remaining(account)
            if let credentials = open(sealed, tenantID: tenantID) {
                answer["credentials"] = credentials
            } else {
                answer["error"] = "the account's credentials cannot be opened with the configured secrets key"
            }
        case .exhausted(let account):
            answer["remaining_quota"] = remaining(account)
            answer["quota_exhausted"] = true
            answer["error"] = .string("the account reached its daily limit of \(account.dailyLimit ?? 0) uses")
        case .unavailable(let account):
            answer["error"] = .string("the account is \(account.status.rawValue)")
        case .notFound:
            return ["platform_account": .null]
        }
        return ["platform_account": .object(answer)]
    }

    /// One use of `accountID` for `key`, in its tenant's day.
    func use(_ accountID: UUID, key: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> AccountUse {
        try await store.use(accountID, key: key, tenantID: tenantID, day: try await days.today(tenantID, in: tx), in: tx)
    }
}
