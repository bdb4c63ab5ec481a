import AsyncHTTPClient
import Foundation
import PlatformServices

/// What a delivery attempt may do, from configuration.
public struct WebhookDeliverySettings: Sendable {
    public var schedule: [Double]
    public var timeout: Duration
    public var disableAfterFailures: Int
    public var disableAfter: TimeInterval
    public var secretOverlap: TimeInterval
    public var targets: OutboundTargetPolicy
    public static let maximumResponseBytes = 64 * 1024

    public init(config: PlatformConfig.Webhooks) {
        schedule = config.retrySchedule
        timeout = .seconds(config.timeoutSeconds)
        disableAfterFailures = config.disableAfterFailures
        disableAfter = TimeInterval(config.disableAfterSeconds)
        secretOverlap = TimeInterval(config.secretOverlapSeconds)
        targets = OutboundTargetPolicy(allowed: config.allowedHosts)
    }

    /// The wait before attempt `next` (1-based), jittered by ±10 %.
    func delay(beforeAttempt next: Int) -> Duration {
        let base = schedule[min(max(next - 1, 0), schedule.count - 1)]
        return .milliseconds(Int(base * Double.random(in: 0.9...1.1) * 1000))
    }
}

/// The HTTP client of webhook deliveries: redirects are not followed (a redirect could lead
/// to an address the target policy refuses). Lives as long as the process.
enum WebhookHTTP {
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)), decompression: .disabled))
}
