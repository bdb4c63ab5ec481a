import Foundation
import Synchronization

/// GCRA (the "virtual scheduling" form of a token bucket): each key has a theoretical arrival
/// time; a request is allowed while that time is at most one window ahead of now. State is per
/// process (see docs/rate-limiting.md for which limits are global).
public final class RateLimiter: Sendable {
    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        public var limit: Int
        public var remaining: Int
        /// Seconds until the bucket is full again.
        public var resetSeconds: Int
        /// Seconds to wait before a retry, when not allowed.
        public var retryAfterSeconds: Int
    }

    private struct State {
        var arrivals: [String: Double] = [:]
        var checksSincePrune = 0
    }

    private let state = Mutex(State())
    let window: Double
    let maximumKeys: Int

    public init(windowSeconds: Double = 60, maximumKeys: Int = 200_000) {
        self.window = windowSeconds
        self.maximumKeys = maximumKeys
    }

    /// Counts one request against `key`, allowing `limit` per window.
    public func check(_ key: String, limit: Int, now: Double = Date().timeIntervalSince1970) -> Decision {
        let limit = max(1, limit)
        let interval = window / Double(limit)
        let tolerance = window - interval
        return state.withLock { state in
            state.checksSincePrune += 1
            if state.checksSincePrune >= 10_000 || state.arrivals.count > maximumKeys {
                // Keys whose bucket has refilled carry no information.
                state.arrivals = state.arrivals.filter { $0.value > now }
                state.checksSincePrune = 0
            }
            let arrival = max(state.arrivals[key] ?? now, now)
            if arrival - now > tolerance {
                let retry = arrival - tolerance - now
                return Decision(
                    allowed: false, limit: limit, remaining: 0, resetSeconds: Int((arrival - now).rounded(.up)),
                    retryAfterSeconds: max(1, Int(retry.rounded(.up))))
            }
            let next = arrival + interval
            state.arrivals[key] = next
            let remaining = max(0, Int(((now + tolerance - next) / interval).rounded(.down)) + 1)
            return Decision(allowed: true, limit: limit, remaining: min(remaining, limit), resetSeconds: Int((next - now).rounded(.up)), retryAfterSeconds: 0)
        }
    }
}
