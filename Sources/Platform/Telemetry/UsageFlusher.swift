import Foundation
import Logging
import PlatformDatabase
import ServiceLifecycle

/// Writes what `UsageAggregator` counted every `interval`, and once more on shutdown, so a
/// SIGTERM loses nothing and a crash at most one interval. Runs in every `serve` and `worker`;
/// each writes its own counts (rows add up across instances). Listed after the database among
/// the services, so the final flush runs before the pool closes.
public final class UsageFlusher: Service {
    let database: Database
    let aggregator: UsageAggregator
    let interval: Duration
    let retentionDays: Int
    let logger: Logger
    let store = UsageStore()

    public init(database: Database, aggregator: UsageAggregator, interval: Duration, retentionDays: Int = 400, logger: Logger) {
        self.database = database
        self.aggregator = aggregator
        self.interval = interval
        self.retentionDays = retentionDays
        self.logger = logger
    }

    /// Writes what is pending now; on failure it stays pending for the next try.
    @discardableResult
    public func flush() async -> Bool {
        let batch = aggregator.drain()
        guard !batch.isEmpty else { return true }
        do {
            try await database.withPlatformScope { tx in try await store.write(batch, in: tx) }
            return true
        } catch {
            aggregator.restore(batch)
            logger.warning("writing usage counts failed; kept for the next flush: \(String(reflecting: error))")
            return false
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastPrune = ContinuousClock.now - .seconds(86_400)
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                await self.flush()
                if ContinuousClock.now - lastPrune > .seconds(86_400) {
                    lastPrune = ContinuousClock.now
                    _ = try? await self.database.withPlatformScope { tx in try await self.store.prune(olderThanDays: self.retentionDays, in: tx) }
                }
            }
        }
        // Shutting down: what the last interval counted still goes in (the pool closes after us).
        await flush()
    }
}
