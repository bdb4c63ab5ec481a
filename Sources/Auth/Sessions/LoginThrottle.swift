import Foundation
import PlatformDatabase
import PlatformSupport

/// Failed-login limits per account and per client address, kept in PostgreSQL so they hold
/// across instances. Each attempt reserves its place atomically before the password is
/// checked, so parallel wrong guesses cannot slip past the limit. Each lockout lasts twice as
/// long as the one before (up to an hour); a successful sign-in clears the account's record.
struct LoginThrottle: Sendable {
    let maxAccountFailures: Int
    let maxAddressFailures: Int
    let baseLockoutSeconds: Int
    let store = LoginAttemptStore()
    static let maximumLockoutSeconds = 3600

    static func accountKey(_ identifier: String) -> String { "account:" + identifier.lowercased() }
    static func addressKey(_ address: String) -> String { "address:" + address }

    /// Counts this attempt; returns seconds to wait when the account or address is locked.
    func reserve(account: String, address: String?, in tx: DatabaseTransaction) async throws -> Int? {
        var keys = [(Self.accountKey(account), maxAccountFailures)]
        if let address { keys.append((Self.addressKey(address), maxAddressFailures)) }
        var wait: Int?
        for (key, limit) in keys {
            guard let attempt = try await store.count(key, in: tx) else { continue }
            if attempt.lockedFor > 0 {
                wait = max(wait ?? 0, attempt.lockedFor)
            } else if attempt.failures > limit {
                let seconds = min(Self.maximumLockoutSeconds, baseLockoutSeconds << min(attempt.lockouts, 20))
                try await store.lock(key, seconds: seconds, in: tx)
                wait = max(wait ?? 0, seconds)
            }
        }
        return wait
    }

    /// A successful sign-in: forget the account's failures and give the address its attempt back.
    func succeeded(account: String, address: String?, in tx: DatabaseTransaction) async throws {
        try await store.forget(Self.accountKey(account), in: tx)
        if let address {
            try await store.refund(Self.addressKey(address), in: tx)
        }
    }
}
