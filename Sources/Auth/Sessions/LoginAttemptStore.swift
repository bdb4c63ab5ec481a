import Foundation
import PlatformDatabase
import PlatformSupport

/// Every statement on `login_attempts`: one row per account or client address.
struct LoginAttemptStore: Sendable {
    /// An attempt as counted: failures in the window, seconds still locked, lockouts so far.
    struct Attempt: Decodable, Sendable {
        var failures: Int
        var lockedFor: Int
        var lockouts: Int
    }

    /// How long failures count (an interval literal, spliced into the statement).
    static let window = "15 minutes"

    /// Counts an attempt against `key` in the current window; a locked key keeps its count.
    func count(_ key: String, in tx: DatabaseTransaction) async throws -> Attempt? {
        try await tx.row(
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
            RETURNING failures, ceil(extract(epoch FROM (coalesce(locked_until, now()) - now())))::int AS locked_for, lockouts
            """, decoding: Attempt.self)
    }

    /// Locks `key` for `seconds` and starts a new window.
    func lock(_ key: String, seconds: Int, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE login_attempts SET locked_until = now() + make_interval(secs => \(seconds)),
                lockouts = lockouts + 1, failures = 0, window_started_at = now()
            WHERE key = \(key)
            """)
    }

    func forget(_ key: String, in tx: DatabaseTransaction) async throws {
        try await tx.run("DELETE FROM login_attempts WHERE key = \(key)")
    }

    /// Gives one attempt back.
    func refund(_ key: String, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE login_attempts SET failures = greatest(failures - 1, 0) WHERE key = \(key)")
    }
}
