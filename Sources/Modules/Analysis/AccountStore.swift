import Foundation
import PlatformDatabase
import PlatformSupport

/// Which accounts a list shows.
struct AccountFilter: Sendable {
    var tenantID: UUID
    var isActive: Bool?
    var category: String?

    var condition: SQL {
        """
        a.tenant_id = \(tenantID) AND a.deleted_at IS NULL
        AND (\(isActive)::boolean IS NULL OR a.is_active = \(isActive)) AND (\(category)::text IS NULL OR a.category = \(category))
        """
    }
}

/// A new account's columns.
struct NewAccount: Sendable {
    var locator: ChannelLocator
    var category: String?
    var videoCrawlLimit: Int
    var crawlVideos: Bool
    var schedule: CrawlSchedule?
    var nextCrawlAt: Date?
}

/// What an update writes; the schedule columns are always written together.
struct AccountChange: Sendable {
    var category: String?
    var isActive: Bool?
    var videoCrawlLimit: Int?
    var crawlVideos: Bool?
    var schedule: CrawlSchedule?
    var nextCrawlAt: Date?
}

/// A channel as a crawl found it.
struct ChannelDetails: Sendable {
    var accountId: String
    var displayName: String?
    var username: String?
    var profileUrl: String?
    var channelUrl: String
    var description: String?
    var avatarUrl: String?
    var country: String?
    var publishedAt: Date?
    var uploadsPlaylistId: String?
    var subscriberCount: Int64?
    var hiddenSubscriberCount: Bool?
    var videoCount: Int64?
    var viewCount: Int64?
}

/// An account the scheduler found due.
struct DueAccount: Decodable, Sendable {
    var tenantId: UUID
    var id: UUID
    var ownerId: UUID?
    var nextCrawlAt: Date
    var scheduleInterval: Int?
    var cronString: String?
    var videoCrawlLimit: Int
    var crawlVideos: Bool
}

/// Every statement on `analysis_accounts` and `analysis_account_snapshots`.
struct AccountStore: Sendable {
    static let columns = """
        a.id, a.tenant_id, a.owner_id, a.locator_kind, a.locator_value, a.account_id, a.display_name, a.username, a.profile_url, a.channel_url,
        a.description, a.avatar_url, a.is_verified, a.category, a.subscriber_count, a.is_active, a.last_crawled_at, a.video_crawl_limit,
        a.crawl_videos, a.uploads_playlist_id, a.country, a.published_at, a.is_scheduled, a.schedule_interval, a.cron_string, a.next_crawl_at,
        a.created_at, a.updated_at, a.deleted_at, ls.id AS snapshot_id, ls.subscriber_count AS snapshot_subscriber_count,
        ls.total_videos_count AS snapshot_total_videos_count, ls.hidden_subscriber_count AS snapshot_hidden_subscriber_count,
        ls.total_views AS snapshot_total_views, ls.collected_at AS snapshot_collected_at, ls.created_at AS snapshot_created_at
        """
    static let from = """
        analysis_accounts a LEFT JOIN LATERAL (
            SELECT s.id, s.subscriber_count, s.total_videos_count, s.hidden_subscriber_count, s.total_views, s.collected_at, s.created_at
            FROM analysis_account_snapshots s WHERE s.tenant_id = a.tenant_id AND s.target_account_id = a.id
            ORDER BY s.collected_at DESC, s.id DESC LIMIT 1
        ) ls ON true
        """
    static let snapshotColumns = "id, target_account_id, subscriber_count, total_videos_count, hidden_subscriber_count, total_views, collected_at, created_at"

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredAccount? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from) WHERE a.tenant_id = \(tenantID) AND a.id = \(id) AND a.deleted_at IS NULL",
            decoding: StoredAccount.self)
    }

    /// The live account the URL names, by its form or (for a channel id) by the id a crawl found.
    func find(_ locator: ChannelLocator, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredAccount? {
        let channelID = locator.kind == .channelId ? locator.value : nil
        return try await tx.row(
            """
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from)
            WHERE a.tenant_id = \(tenantID) AND a.deleted_at IS NULL AND a.platform = 'youtube'
              AND ((a.locator_kind = \(locator.kind.rawValue) AND a.locator_value = \(locator.value)) OR a.account_id = \(channelID))
            ORDER BY a.created_at LIMIT 1
            """, decoding: StoredAccount.self)
    }

    func list(_ filter: AccountFilter, limit: Int, offset: Int, in tx: DatabaseTransaction) async throws -> [StoredAccount] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from) WHERE \(filter.condition)
            ORDER BY a.created_at DESC, a.id DESC LIMIT \(limit) OFFSET \(offset)
            """, decoding: StoredAccount.self)
    }

    /// Inserts the account; nil when a live account with the same locator appeared meanwhile.
    func insert(_ new: NewAccount, id: UUID, tenantID: UUID, ownerID: UUID?, in tx: DatabaseTransaction) async throws -> UUID? {
        let channelID = new.locator.kind == .channelId ? new.locator.value : nil
        return try await tx.value(
            """
            INSERT INTO analysis_accounts (tenant_id, id, owner_id, locator_kind, locator_value, account_id, channel_url, category, video_crawl_limit,
                crawl_videos, is_scheduled, schedule_interval, cron_string, next_crawl_at)
            VALUES (\(tenantID), \(id), \(ownerID), \(new.locator.kind.rawValue), \(new.locator.value), \(channelID), \(new.locator.canonicalURL),
                \(new.category), \(new.videoCrawlLimit), \(new.crawlVideos), \(new.schedule != nil), \(new.schedule?.interval), \(new.schedule?.cron),
                \(new.nextCrawlAt))
            ON CONFLICT DO NOTHING RETURNING id
            """, as: UUID.self)
    }

    func update(_ id: UUID, tenantID: UUID, _ change: AccountChange, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.run(
            """
            UPDATE analysis_accounts SET category = coalesce(\(change.category), category), is_active = coalesce(\(change.isActive), is_active),
                video_crawl_limit = coalesce(\(change.videoCrawlLimit), video_crawl_limit), crawl_videos = coalesce(\(change.crawlVideos), crawl_videos),
                is_scheduled = \(change.schedule != nil), schedule_interval = \(change.schedule?.interval), cron_string = \(change.schedule?.cron),
                next_crawl_at = \(change.nextCrawlAt), updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL RETURNING id
            """) > 0
    }

    func softDelete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.run(
            """
            UPDATE analysis_accounts SET deleted_at = now(), updated_at = now(), next_crawl_at = NULL, is_active = false
            WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL RETURNING id
            """) > 0
    }

    /// Whether any of the account's videos was downloaded or analysed.
    func hasWork(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value(
            """
            SELECT EXISTS (SELECT 1 FROM analysis_videos WHERE tenant_id = \(tenantID) AND target_account_id = \(id) AND deleted_at IS NULL
                           AND (is_downloaded OR analysis_status IS NOT NULL))
            """, as: Bool.self) ?? false
    }

    /// Oldest first.
    func snapshots(of id: UUID, tenantID: UUID, limit: Int, offset: Int, in tx: DatabaseTransaction) async throws -> [AccountSnapshotView] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.snapshotColumns) FROM analysis_account_snapshots WHERE tenant_id = \(tenantID) AND target_account_id = \(id)
            ORDER BY collected_at, id LIMIT \(limit) OFFSET \(offset)
            """, decoding: AccountSnapshotView.self)
    }

    /// Writes what a crawl found about the channel, and the account snapshot.
    func recordCrawl(_ id: UUID, tenantID: UUID, channel: ChannelDetails, at collectedAt: Date, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE analysis_accounts SET account_id = \(channel.accountId), display_name = \(channel.displayName), username = \(channel.username),
                profile_url = \(channel.profileUrl), channel_url = \(channel.channelUrl), description = \(channel.description),
                avatar_url = \(channel.avatarUrl), country = \(channel.country), published_at = \(channel.publishedAt),
                uploads_playlist_id = \(channel.uploadsPlaylistId), subscriber_count = \(channel.subscriberCount), last_crawled_at = \(collectedAt),
                updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(id)
            """)
        try await tx.run(
            """
            INSERT INTO analysis_account_snapshots (tenant_id, id, target_account_id, subscriber_count, total_videos_count, hidden_subscriber_count,
                total_views, collected_at)
            VALUES (\(tenantID), \(UUID.v7()), \(id), \(channel.subscriberCount), \(channel.videoCount), \(channel.hiddenSubscriberCount),
                \(channel.viewCount), \(collectedAt))
            """)
    }

    /// Another live account of the tenant already tracking this channel id, if any.
    func other(tracking channelID: String, than id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> UUID? {
        try await tx.value(
            """
            SELECT id FROM analysis_accounts
            WHERE tenant_id = \(tenantID) AND platform = 'youtube' AND account_id = \(channelID) AND id <> \(id) AND deleted_at IS NULL
            """, as: UUID.self)
    }

    // MARK: Schedules (across tenants, in the platform scope)

    /// Active scheduled accounts whose crawl is due, locked against other instances.
    func claimDue(limit: Int, in tx: DatabaseTransaction) async throws -> [DueAccount] {
        try await tx.rows(
            """
            SELECT tenant_id, id, owner_id, next_crawl_at, schedule_interval, cron_string, video_crawl_limit, crawl_videos FROM analysis_accounts
            WHERE next_crawl_at <= now() AND deleted_at IS NULL AND is_active AND is_scheduled
            ORDER BY next_crawl_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """, decoding: DueAccount.self)
    }

    func setNextCrawl(_ id: UUID, tenantID: UUID, at next: Date?, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE analysis_accounts SET next_crawl_at = \(next) WHERE tenant_id = \(tenantID) AND id = \(id)")
    }
}
