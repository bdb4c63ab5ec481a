import Foundation
import Logging
import PlatformDatabase
import PlatformSupport
import ServiceLifecycle

/// Queues the scheduled crawls: any number of instances may run it. A due account is taken
/// with `FOR UPDATE SKIP LOCKED` and its next crawl time moved on in the same transaction, and
/// the crawl it queues is unique per fire time (`analysis_tasks.trigger_key`), so each fire
/// queues one crawl. A fire missed while nothing ran happens once on recovery; a backlog is
/// not replayed. An account whose previous crawl is still waiting or running skips the fire.
final class AnalysisScheduler: Service {
    let database: Database
    let interval: Duration
    let logger: Logger
    let accounts = AccountStore()
    let tasks = MonitoringTaskStore()

    init(database: Database, interval: Duration, logger: Logger) {
        self.database = database
        self.interval = interval
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    while try await self.fireDue() > 0 {}
                } catch {
                    if !Task.isCancelled { self.logger.warning("queueing scheduled crawls failed: \(String(reflecting: error))") }
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// Queues what is due; returns how many accounts it took.
    @discardableResult
    func fireDue(limit: Int = 50) async throws -> Int {
        try await database.withPlatformScope { tx in
            let due = try await accounts.claimDue(limit: limit, in: tx)
            for account in due {
                let schedule = CrawlSchedule(interval: account.scheduleInterval, cron: account.cronString)
                if try await tasks.inFlight(.accountCrawl, accountID: account.id, videoID: nil, tenantID: account.tenantId, in: tx) == nil {
                    let new = NewMonitoringTask(
                        type: .accountCrawl, accountID: account.id, trigger: .schedule, triggerKey: "schedule:" + RFC3339.string(from: account.nextCrawlAt),
                        input: [
                            "account_id": .string(account.id.uuidString.lowercased()), "crawl_videos": .bool(account.crawlVideos),
                            "video_limit": .int(Int64(account.videoCrawlLimit)), "scheduled_at": .string(RFC3339.string(from: account.nextCrawlAt)),
                        ])
                    _ = try await tasks.create(new, tenantID: account.tenantId, ownerID: account.ownerId, in: tx)
                } else {
                    logger.info("a scheduled crawl was skipped: the previous one has not finished", metadata: ["account_id": "\(account.id)"])
                }
                try await accounts.setNextCrawl(account.id, tenantID: account.tenantId, at: schedule.next(after: Date()), in: tx)
            }
            return due.count
        }
    }
}
