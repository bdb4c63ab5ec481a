import Foundation
import Logging
import ServiceLifecycle

/// Keeps `event_log` from growing without bound: events older than the retention period that
/// the webhook relay has already dispatched are deleted, in batches, once an hour. Streams can
/// resume, and task histories be read, within the retention period.
public final class EventLogJanitor: Service {
    let database: Database
    let retentionDays: Int
    let interval: Duration
    let logger: Logger

    public init(database: Database, retentionDays: Int, interval: Duration = .seconds(3600), logger: Logger) {
        self.database = database
        self.retentionDays = retentionDays
        self.interval = interval
        self.logger = logger
    }

    /// Deletes what is past retention; returns how many events went.
    @discardableResult
    public func prune(batch: Int = 10_000) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await database.withPlatformScope { tx in
                try await tx.execute(
                    """
                    DELETE FROM event_log l USING (
                        SELECT tenant_id, id FROM event_log
                        WHERE occurred_at < now() - \(retentionDays) * interval '1 day' AND dispatched_at IS NOT NULL
                        LIMIT \(batch)
                    ) old
                    WHERE l.tenant_id = old.tenant_id AND l.id = old.id
                    RETURNING 1
                    """)
            }
            total += deleted
            if deleted < batch { return total }
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let pruned = try await self.prune()
                    if pruned > 0 { self.logger.info("pruned the event log", metadata: ["events": "\(pruned)", "retention_days": "\(self.retentionDays)"]) }
                } catch {
                    if !Task.isCancelled { self.logger.warning("pruning the event log failed: \(String(reflecting: error))") }
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }
}
