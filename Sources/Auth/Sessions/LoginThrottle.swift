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
    static let window = "15 minutes"
    static let maximumLockoutSeconds = 3600

    static func accountKey(_ identifier: String) -> String { "account:" + identifier.lowercased() }
    static func addressKey(_ address: String) -> String { "address:" + address }

    /// Counts this attempt; returns seconds to wait when the account or address is locked.
    func reserve(account: String, address: String?, in tx: DatabaseTransaction) async throws -> Int? {
        var keys = [(Self.accountKey(account), maxAccountFailures)]
        if let address { keys.append((Self.addressKey(address), maxAddressFailures)) }
        var wait: Int?
        for (key, limit) in keys {
            guard let row = try await tx.first(
                """
                INSERT INTO login_attempts (key, failures, window_started_at, updated_at) VALUES (\(key), 1, now(), now())
                ON CONFLICT (key) DO UPDATE SET
                    failures = CASE
                        WHEN login_attempts.locked_until > now() THEN login_attempts.failures
                        WHEN login_attempts.window_started_at < now() - interval '\(unescaped: Self.window)' THEN 1
                        ELSE login_attempts.failures + 1 END,
                    window_started_at = CASE
                        WHEN login_attempts.locked_until > now() THEN login_attempts.window_started_at
                        WHEN login_attempts.window_started_at < now() - interval '\(unescaped: Self.window)' THEN now()
                        ELSE login_attempts.window_started_at END,
                    updated_at = now()
                RETURNING failures, ceil(extract(epoch FROM (coalesce(locked_until, now()) - now())))::int, lockouts
                """, as: (Int, Int, Int).self)
            else { continue }
            let (failures, lockedFor, lockouts) = row
            if lockedFor > 0 {
                wait = max(wait ?? 0, lockedFor)
            } else if failures > limit {
                let seconds = min(Self.maximumLockoutSeconds, baseLockoutSeconds << min(lockouts, 20))
                try await tx.query(
                    """
                    UPDATE login_attempts SET locked_until = now() + make_interval(secs => \(seconds)),
                        lockouts = lockouts + 1, failures = 0, window_started_at = now()
                    WHERE key = \(key)
                    """)
                wait = max(wait ?? 0, seconds)
            }
        }
        return wait
    }

    /// A successful sign-in: forget the account's failures and give the address its attempt back.
    func succeeded(account: String, address: String?, in tx: DatabaseTransaction) async throws {
        try await tx.query("DELETE FROM login_attempts WHERE key = \(Self.accountKey(account))")
        if let address {
            try await tx.query("UPDATE login_attempts SET failures = greatest(failures - 1, 0) WHERE key = \(Self.addressKey(address))")
        }
    }
}
