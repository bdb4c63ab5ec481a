import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

/// An account's numbers at one crawl (the seed's `TargetAccountSnapshot`).
struct AccountSnapshotView: Codable, Sendable, ResponseEncodable, SeedEncodable {
    var id: UUID
    var targetAccountId: UUID
    var subscriberCount: Int64?
    var totalVideosCount: Int64?
    var hiddenSubscriberCount: Bool?
    var totalViews: Int64?
    var collectedAt: Date
    var createdAt: Date

    func encode(to encoder: any Encoder) throws { try encodeWithNulls(to: encoder) }
}

/// An account row with its latest snapshot's columns (`snapshot_*`, null before the first crawl).
struct StoredAccount: Decodable, Sendable {
    var id: UUID
    var tenantId: UUID
    var ownerId: UUID?
    var locatorKind: ChannelLocator.Kind
    var locatorValue: String
    var accountId: String?
    var displayName: String?
    var username: String?
    var profileUrl: String?
    var channelUrl: String
    var description: String?
    var avatarUrl: String?
    var isVerified: Bool?
    var category: String?
    var subscriberCount: Int64?
    var isActive: Bool
    var lastCrawledAt: Date?
    var videoCrawlLimit: Int
    var crawlVideos: Bool
    var uploadsPlaylistId: String?
    var country: String?
    var publishedAt: Date?
    var isScheduled: Bool
    var scheduleInterval: Int?
    var cronString: String?
    var nextCrawlAt: Date?
    var createdAt: Date
    var updatedAt: Date
    var deletedAt: Date?
    var snapshotId: UUID?
    var snapshotSubscriberCount: Int64?
    var snapshotTotalVideosCount: Int64?
    var snapshotHiddenSubscriberCount: Bool?
    var snapshotTotalViews: Int64?
    var snapshotCollectedAt: Date?
    var snapshotCreatedAt: Date?

    var locator: ChannelLocator { ChannelLocator(kind: locatorKind, value: locatorValue) }

    var latestSnapshot: AccountSnapshotView? {
        guard let snapshotId, let snapshotCollectedAt, let snapshotCreatedAt else { return nil }
        return AccountSnapshotView(
            id: snapshotId, targetAccountId: id, subscriberCount: snapshotSubscriberCount, totalVideosCount: snapshotTotalVideosCount,
            hiddenSubscriberCount: snapshotHiddenSubscriberCount, totalViews: snapshotTotalViews, collectedAt: snapshotCollectedAt,
            createdAt: snapshotCreatedAt)
    }
}

/// A target account as the seed serves it (`TargetAccountWithLatestSnapshot`), plus when the
/// next scheduled crawl is due and whether scheduled crawls fetch videos.
struct AccountView: Codable, Sendable, ResponseEncodable, SeedEncodable {
    var id: UUID
    var accountId: String?
    var displayName: String?
    var username: String?
    var profileUrl: String?
    var channelUrl: String?
    var description: String?
    var avatarUrl: String?
    var isVerified: Bool?
    var category: String?
    var subscriberCount: Int64?
    var isActive: Bool
    var lastCrawledAt: Date?
    var videoCrawlLimit: Int
    var createdAt: Date
    var updatedAt: Date
    var deletedAt: Date?
    var uploadsPlaylistId: String?
    var country: String?
    var publishedAt: Date?
    var isScheduled: Bool?
    var scheduleInterval: Int?
    var cronString: String?
    var latestSnapshot: AccountSnapshotView?
    var platform: String
    var crawlVideos: Bool
    var nextCrawlAt: Date?

    init(_ account: StoredAccount) {
        id = account.id
        accountId = account.accountId
        displayName = account.displayName
        username = account.username
        profileUrl = account.profileUrl
        channelUrl = account.channelUrl
        description = account.description
        avatarUrl = account.avatarUrl
        isVerified = account.isVerified
        category = account.category
        subscriberCount = account.subscriberCount
        isActive = account.isActive
        lastCrawledAt = account.lastCrawledAt
        videoCrawlLimit = account.videoCrawlLimit
        createdAt = account.createdAt
        updatedAt = account.updatedAt
        deletedAt = account.deletedAt
        uploadsPlaylistId = account.uploadsPlaylistId
        country = account.country
        publishedAt = account.publishedAt
        isScheduled = account.isScheduled
        scheduleInterval = account.scheduleInterval
        cronString = account.cronString
        latestSnapshot = account.latestSnapshot
        platform = "youtube"
        crawlVideos = account.crawlVideos
        nextCrawlAt = account.nextCrawlAt
    }

    func encode(to encoder: any Encoder) throws { try encodeWithNulls(to: encoder) }
}

/// `QuickAddAccountRequest`.
struct QuickAddInput: Codable, Sendable {
    var channelUrl: String
    var category: String?
    var videoLimit: Int?
    var crawlVideos: Bool?
    var isScheduled: Bool?
    var scheduleInterval: Int?
    var cronString: String?
}

/// `TargetAccountUpdate`: absent fields keep their value. A `schedule_interval` replaces a cron
/// schedule and a `cron_string` an interval; `is_scheduled: false` stops the schedule.
struct AccountUpdateInput: Codable, Sendable {
    var category: String?
    var isActive: Bool?
    var videoCrawlLimit: Int?
    var videoLimit: Int?
    var crawlVideos: Bool?
    var isScheduled: Bool?
    var scheduleInterval: Int?
    var cronString: String?
}

/// `AccountCrawlRequest`.
struct CrawlInput: Codable, Sendable {
    var crawlVideos: Bool?
    var videoLimit: Int?
}

/// `BatchAccountCrawlRequest`.
struct BatchCrawlInput: Codable, Sendable {
    var accountIds: [String]
    var crawlVideos: Bool?
    var videoLimit: Int?
}

/// What a batch trigger did, per account.
struct BatchCrawlResult: Codable, Sendable, ResponseEncodable {
    struct Item: Codable, Sendable {
        /// `queued`, `already_queued` (a crawl of it is waiting or running), `not_found`, `inactive`.
        var status: String
        var accountId: String
        var taskId: UUID?
        var message: String
    }

    var message: String
    var total: Int
    var queued: Int
    var alreadyQueued: Int
    var failed: Int
    var results: [Item]
}

/// `DeleteAccountRequest` (the body of the DELETE; `?force=true` works too).
struct DeleteAccountInput: Codable, Sendable {
    var force: Bool?
}

struct DeleteAccountQuery: QueryInput {
    var force: Bool?
    static let parameterDocs: [String: QueryParameterDoc] = ["force": .init("Delete although its videos have downloads or analyses")]
}

struct DeletedAccount: Codable, Sendable, ResponseEncodable {
    var message: String
    var id: UUID
}

/// The seed's `skip`/`limit` (default 100) with its filters.
struct AccountListQuery: QueryInput {
    var skip: Int?
    var limit: Int?
    var isActive: Bool?
    var category: String?
    static let parameterDocs: [String: QueryParameterDoc] = [
        "skip": .init("Accounts to skip", minimum: 0, maximum: 1_000_000, default: 0),
        "limit": .init("Accounts to return", minimum: 1, maximum: 1000, default: 100),
        "category": .init("Only accounts of this category", maxLength: 100),
    ]
}

/// `skip`/`limit` of the snapshot lists (default 100).
struct SnapshotQuery: QueryInput {
    var skip: Int?
    var limit: Int?
    static let parameterDocs: [String: QueryParameterDoc] = [
        "skip": .init("Snapshots to skip (oldest first)", minimum: 0, maximum: 1_000_000, default: 0),
        "limit": .init("Snapshots to return", minimum: 1, maximum: 1000, default: 100),
    ]
}

extension APIError {
    static var accountNotFound: APIError { .notFound("Target account", code: "ACCOUNT_NOT_FOUND") }
    static var accountHasWork: APIError {
        .conflict(
            "The account's videos have downloads or analyses; send force: true to delete it anyway", code: "ACCOUNT_HAS_DOWNLOADS")
    }
}
