import AsyncHTTPClient
import Foundation
import PlatformDatabase
import PlatformServices
import PlatformSupport
import Providers
import TaskEngine

/// The YouTube Data API for a tenant: its own key (the secret `youtube.api_key`, through the
/// platform's credential source), else the configured one.
struct YouTubeAccess: Sendable {
    let settings: PlatformConfig.Analysis
    let http: HTTPClient
    let credentials: (any ProviderCredentialSource)?

    func client(tenant: UUID) async throws -> YouTubeClient {
        let own = try await credentials?.apiKey(provider: "youtube", tenant: tenant)
        guard let key = own ?? settings.youtubeAPIKey, !key.isEmpty else {
            throw TaskFailure(
                "no YouTube Data API key: store the tenant secret youtube.api_key (PUT /api/v1/settings/secrets/youtube.api_key) or set YOUTUBE_API_KEY",
                retryable: false)
        }
        return YouTubeClient(
            settings: .init(
                baseURL: settings.youtubeAPIBaseURL, apiKey: key, timeout: .seconds(settings.youtubeTimeoutSeconds), retries: settings.youtubeRetries,
                retryBase: .milliseconds(settings.youtubeRetryBaseMilliseconds)),
            client: http)
    }

    /// A task failure for an API error: a spent quota waits for its reset, rate limits and
    /// outages retry with the engine's backoff, refusals do not retry.
    func failure(_ error: YouTubeError) -> TaskFailure {
        switch error {
        case .quotaExceeded: TaskFailure(error.description, retryable: true, retryAfter: .seconds(settings.quotaBackoffSeconds))
        case .rateLimited, .failed: TaskFailure(error.description, retryable: true)
        case .unauthorized, .notFound: TaskFailure(error.description, retryable: false)
        }
    }
}

/// `analysis.account_crawl`: the channel's profile and numbers (an account snapshot), then up to
/// `video_limit` of its latest uploads with their numbers (a snapshot per video), videos upserted
/// by their platform id.
struct AccountCrawlHandler: TaskHandler {
    let database: Database
    let youtube: YouTubeAccess
    let accounts = AccountStore()
    let videos = VideoStore()

    func run(_ job: TaskJob) async throws -> JSONValue? {
        guard let text = job.task.taskInput["account_id"]?.stringValue, let id = UUID(uuidString: text) else {
            throw TaskFailure("task_input.account_id is missing", retryable: false)
        }
        let tenantID = job.task.tenantId
        guard let account = try await database.withTenant(job.tenantScope, { tx in try await accounts.find(id, tenantID: tenantID, in: tx) }) else {
            return ["skipped": "the target account is gone"]
        }
        let crawlVideos = job.task.taskInput["crawl_videos"]?.flag ?? account.crawlVideos
        let limit = job.task.taskInput["video_limit"]?.integer ?? account.videoCrawlLimit
        let client = try await youtube.client(tenant: tenantID)
        try await job.progress(5, step: "reading the channel")
        do {
            guard let channel = try await client.channel(account.locator, knownID: account.accountId) else {
                throw TaskFailure("no YouTube channel matches \(account.channelUrl)", retryable: false)
            }
            let details = Self.details(channel)
            let collectedAt = Date()
            try await database.withTenant(job.tenantScope) { tx in
                if let other = try await accounts.other(tracking: details.accountId, than: id, tenantID: tenantID, in: tx) {
                    throw TaskFailure(
                        "the channel \(details.accountId) is already tracked by target account \(other.uuidString.lowercased())", retryable: false)
                }
                try await accounts.recordCrawl(id, tenantID: tenantID, channel: details, at: collectedAt, in: tx)
            }
            var output: [String: JSONValue] = [
                "account_id": .string(id.uuidString.lowercased()), "channel_id": .string(details.accountId),
                "collected_at": .string(RFC3339.string(from: collectedAt)), "videos_seen": 0, "videos_new": 0,
            ]
            guard crawlVideos, let playlist = details.uploadsPlaylistId else { return .object(output) }
            try await job.progress(30, step: "listing uploads")
            let ids = try await client.uploads(playlistID: playlist, limit: limit)
            try await job.progress(60, step: "reading \(ids.count) videos")
            let found = try await client.videos(ids)
            let videoCollectedAt = Date()
            let template = youtube.settings.videoURLTemplate
            let new = try await database.withTenant(job.tenantScope) { tx -> Int in
                var new = 0
                for video in found where try await videos.upsert(
                    Self.details(video, template: template), accountID: id, tenantID: tenantID, at: videoCollectedAt, in: tx)
                {
                    new += 1
                }
                return new
            }
            output["videos_seen"] = .int(Int64(found.count))
            output["videos_new"] = .int(Int64(new))
            return .object(output)
        } catch let error as YouTubeError {
            throw youtube.failure(error)
        }
    }

    static func details(_ channel: YouTubeAPI.Channel) -> ChannelDetails {
        let handle = channel.snippet?.customUrl.map { $0.hasPrefix("@") ? $0 : "@" + $0 }
        let hidden = channel.statistics?.hiddenSubscriberCount
        return ChannelDetails(
            accountId: channel.id, displayName: channel.snippet?.title.map { String($0.prefix(500)) }, username: handle.map { String($0.prefix(200)) },
            profileUrl: handle.map { "https://www.youtube.com/\($0)" }, channelUrl: "https://www.youtube.com/channel/\(channel.id)",
            description: channel.snippet?.description.map { String($0.prefix(20_000)) }, avatarUrl: channel.snippet?.thumbnails?.best,
            country: channel.snippet?.country.map { String($0.prefix(10)) }, publishedAt: YouTubeAPI.date(channel.snippet?.publishedAt),
            uploadsPlaylistId: channel.contentDetails?.relatedPlaylists?.uploads,
            subscriberCount: hidden == true ? nil : YouTubeAPI.count(channel.statistics?.subscriberCount), hiddenSubscriberCount: hidden,
            videoCount: YouTubeAPI.count(channel.statistics?.videoCount), viewCount: YouTubeAPI.count(channel.statistics?.viewCount))
    }

    static func details(_ video: YouTubeAPI.Video, template: String) -> VideoDetails {
        VideoDetails(
            videoId: video.id, videoUrl: template.replacingOccurrences(of: "{video_id}", with: video.id),
            title: video.snippet?.title.map { String($0.prefix(1000)) }, description: video.snippet?.description.map { String($0.prefix(20_000)) },
            thumbnailUrl: video.snippet?.thumbnails?.best, duration: YouTubeAPI.seconds(video.contentDetails?.duration),
            publishedAt: YouTubeAPI.date(video.snippet?.publishedAt), categoryId: video.snippet?.categoryId,
            defaultAudioLanguage: (video.snippet?.defaultAudioLanguage ?? video.snippet?.defaultLanguage).map { String($0.prefix(50)) },
            viewCount: YouTubeAPI.count(video.statistics?.viewCount), likeCount: YouTubeAPI.count(video.statistics?.likeCount),
            commentCount: YouTubeAPI.count(video.statistics?.commentCount), favoriteCount: YouTubeAPI.count(video.statistics?.favoriteCount))
    }
}

extension JSONValue {
    /// A boolean task input.
    var flag: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// A whole-number task input.
    var integer: Int? {
        switch self {
        case .int(let value): Int(exactly: value)
        case .double(let value): Int(exactly: value)
        default: nil
        }
    }
}
