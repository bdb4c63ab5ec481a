import Foundation
import Hummingbird
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// A video's numbers at one crawl (the seed's `VideoSnapshot`; `video_id` is the video's `id`).
struct VideoSnapshotView: Codable, Sendable, ResponseEncodable, SeedEncodable {
    var id: UUID
    var videoId: UUID
    var viewsCount: Int64?
    var likesCount: Int64?
    var commentsCount: Int64?
    var favoriteCount: Int64?
    var collectedAt: Date
    var createdAt: Date

    func encode(to encoder: any Encoder) throws { try encodeWithNulls(to: encoder) }
}

/// The media-library asset a downloaded video became, in the seed's asset shape (plus where to
/// download its file).
struct AssetSummary: Codable, Sendable, SeedEncodable {
    var id: UUID
    var name: String
    var description: String?
    var assetType: String
    var storagePath: String?
    var assetMetadata: JSONValue
    var durationSeconds: Double?
    var source: String?
    var visibility: String?
    var fileHash: String?
    var originalFilename: String?
    var status: String
    var createdAt: Date
    var updatedAt: Date
    var downloadUrl: String?

    init(_ asset: MediaAssetInfo) {
        id = asset.id
        name = asset.name
        description = asset.description
        assetType = asset.assetType
        storagePath = asset.storagePath
        assetMetadata = asset.assetMetadata
        durationSeconds = asset.durationSeconds
        source = asset.source
        visibility = asset.visibility
        fileHash = asset.fileHash
        originalFilename = asset.originalFilename
        status = asset.status
        createdAt = asset.createdAt
        updatedAt = asset.updatedAt
        downloadUrl = asset.fileId.map { "/api/v1/files/\($0.uuidString.lowercased())/download" }
    }

    func encode(to encoder: any Encoder) throws { try encodeWithNulls(to: encoder) }
}

/// Where a video's shot analysis stands.
enum AnalysisStatus: String, Codable, Sendable, CaseIterable, SchemaEnum { case pending, processing, completed, failed }

/// A video row with its latest snapshot's columns (`snapshot_*`).
struct StoredVideo: Decodable, Sendable {
    var id: UUID
    var tenantId: UUID
    var targetAccountId: UUID
    var videoId: String
    var videoUrl: String
    var assetId: UUID?
    var title: String?
    var description: String?
    var thumbnailUrl: String?
    var duration: Int?
    var publishedAt: Date?
    var categoryId: String?
    var defaultAudioLanguage: String?
    var analysisResults: JSONValue?
    var analysisStatus: AnalysisStatus?
    var analysisError: String?
    var isDownloaded: Bool
    var createdAt: Date
    var updatedAt: Date
    var deletedAt: Date?
    var snapshotId: UUID?
    var snapshotViewsCount: Int64?
    var snapshotLikesCount: Int64?
    var snapshotCommentsCount: Int64?
    var snapshotFavoriteCount: Int64?
    var snapshotCollectedAt: Date?
    var snapshotCreatedAt: Date?

    var latestSnapshot: VideoSnapshotView? {
        guard let snapshotId, let snapshotCollectedAt, let snapshotCreatedAt else { return nil }
        return VideoSnapshotView(
            id: snapshotId, videoId: id, viewsCount: snapshotViewsCount, likesCount: snapshotLikesCount, commentsCount: snapshotCommentsCount,
            favoriteCount: snapshotFavoriteCount, collectedAt: snapshotCollectedAt, createdAt: snapshotCreatedAt)
    }
}

/// A video as the seed serves it (`VideoWithLatestSnapshot`): its latest snapshot and, once
/// downloaded, its asset.
struct VideoView: Codable, Sendable, ResponseEncodable, SeedEncodable {
    var id: UUID
    var targetAccountId: UUID
    var videoId: String
    var videoUrl: String
    var assetId: UUID?
    var title: String?
    var description: String?
    var thumbnailUrl: String?
    var duration: Int?
    var publishedAt: Date?
    var categoryId: String?
    var defaultAudioLanguage: String?
    var analysisResults: JSONValue
    var analysisStatus: AnalysisStatus?
    var analysisError: String?
    var isDownloaded: Bool
    var createdAt: Date
    var updatedAt: Date
    var deletedAt: Date?
    var latestSnapshot: VideoSnapshotView?
    var asset: AssetSummary?

    init(_ video: StoredVideo, asset: MediaAssetInfo?) {
        id = video.id
        targetAccountId = video.targetAccountId
        videoId = video.videoId
        videoUrl = video.videoUrl
        assetId = video.assetId
        title = video.title
        description = video.description
        thumbnailUrl = video.thumbnailUrl
        duration = video.duration
        publishedAt = video.publishedAt
        categoryId = video.categoryId
        defaultAudioLanguage = video.defaultAudioLanguage
        analysisResults = video.analysisResults ?? [:]
        analysisStatus = video.analysisStatus
        analysisError = video.analysisError
        isDownloaded = video.isDownloaded
        createdAt = video.createdAt
        updatedAt = video.updatedAt
        deletedAt = video.deletedAt
        latestSnapshot = video.latestSnapshot
        self.asset = asset.map(AssetSummary.init)
    }

    func encode(to encoder: any Encoder) throws { try encodeWithNulls(to: encoder) }
}

enum VideoSort: String, Codable, Sendable, CaseIterable, SchemaEnum {
    case publishedAt = "published_at"
    case viewsCount = "views_count"
}

/// `skip`/`limit` and `sort_by` of the video lists.
struct VideoListQuery: QueryInput {
    var skip: Int?
    var limit: Int?
    var sortBy: VideoSort?
    static let parameterDocs: [String: QueryParameterDoc] = [
        "skip": .init("Videos to skip", minimum: 0, maximum: 1_000_000, default: 0),
        "limit": .init("Videos to return (default 100 for an account's, 50 for all)", minimum: 1, maximum: 1000),
        "sort_by": .init("Newest first (`published_at`) or most viewed first (`views_count`, by the latest snapshot)", default: "published_at"),
    ]
}

/// `TriggerDownloadRequest`: video ids (the video's `id`, or the platform's `video_id`).
struct TriggerDownloadInput: Codable, Sendable {
    var videoIds: [String]
    var priority: Int?
}

/// What a download trigger did, per video.
struct DownloadTriggerResult: Codable, Sendable, ResponseEncodable {
    struct Item: Codable, Sendable {
        /// `queued`, `already_downloaded`, `already_queued` (a download of it is waiting or running), `not_found`.
        var status: String
        var videoId: String
        var taskId: UUID?
        var assetId: UUID?
        var message: String
    }

    var message: String
    var total: Int
    var queued: Int
    var skipped: Int
    var failed: Int
    var results: [Item]
}

/// `POST /videos/{video_id}/analyze`: the seed's `{message, job_id}` (the monitoring task's id),
/// with the task's status and, when the video is not downloaded yet, the download it waits for.
struct AnalyzeResult: Codable, Sendable, ResponseEncodable, SeedEncodable {
    var message: String
    var jobId: UUID
    var status: String
    var waitsFor: UUID?

    func encode(to encoder: any Encoder) throws { try encodeWithNulls(to: encoder) }
}

/// A video as a crawl found it.
struct VideoDetails: Sendable {
    var videoId: String
    var videoUrl: String
    var title: String?
    var description: String?
    var thumbnailUrl: String?
    var duration: Int?
    var publishedAt: Date?
    var categoryId: String?
    var defaultAudioLanguage: String?
    var viewCount: Int64?
    var likeCount: Int64?
    var commentCount: Int64?
    var favoriteCount: Int64?
}

extension APIError {
    static var videoNotFound: APIError { .notFound("Video", code: "VIDEO_NOT_FOUND") }
}
