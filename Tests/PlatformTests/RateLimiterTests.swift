import Foundation
import PlatformHTTP
import PlatformSupport
import Testing

@Suite("GCRA rate limiter")
struct RateLimiterTests {
    @Test func allowsTheLimitPerWindowThenRefills() {
        let limiter = RateLimiter(windowSeconds: 60)
        let start = 1_000_000.0
        let decisions = (0..<11).map { _ in limiter.check("k", limit: 10, now: start) }
        #expect(decisions.prefix(10).allSatisfy { $0.allowed })
        #expect(decisions.map(\.remaining).prefix(3) == [9, 8, 7])
        #expect(decisions[9].remaining == 0)
        let denied = decisions[10]
        #expect(!denied.allowed)
        #expect(denied.retryAfterSeconds == 6)
        #expect(denied.resetSeconds == 60)
        // One interval later, exactly one more request fits.
        #expect(limiter.check("k", limit: 10, now: start + 6).allowed)
        #expect(!limiter.check("k", limit: 10, now: start + 6).allowed)
        // Keys are independent.
        #expect(limiter.check("other", limit: 10, now: start).allowed)
    }

    @Test func fullRefillAfterTheWindow() {
        let limiter = RateLimiter(windowSeconds: 60)
        for _ in 0..<5 { _ = limiter.check("k", limit: 5, now: 0) }
        #expect(!limiter.check("k", limit: 5, now: 0).allowed)
        #expect(limiter.check("k", limit: 5, now: 61).remaining == 4)
    }
}
