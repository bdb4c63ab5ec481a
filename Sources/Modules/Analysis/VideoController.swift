import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// The short-video seed's videos: lists (with the latest snapshot and the asset), snapshots,
/// download triggers and shot analysis. `{video_id}` is the video's `id` or its platform id.
struct VideoController: Sendable {
    let database: Database
    let assets: any MediaAssetCatalog
    let pipelines: [String]
    let store = VideoStore()
    let accounts = AccountStore()
    let tasks = MonitoringTaskStore()

    static let maxBatch = 100

    func register(in routes: RouteGroup) {
        let video = [RouteParameter.path("video_id", ["type": "string", "minLength": 1, "maxLength": 100], description: "The video's `id`, or its platform `video_id`")]
        routes.get(
            "/accounts/{account_id}/videos", "The account's videos with their latest snapshot and asset (a bare array)", .permission("analysis:video:list"),
            query: VideoListQuery.self, parameters: [.uuid("account_id")], use: accountVideos)
        routes.get(
            "/videos", "Videos of every account with their latest snapshot and asset (a bare array)", .permission("analysis:video:list"),
            query: VideoListQuery.self, use: list)
        routes.get(
            "/videos/{video_id}/snapshots", "The video's snapshots, oldest first (for charts; a bare array)", .permission("analysis:video:list"),
            query: SnapshotQuery.self, parameters: video, use: snapshots)
        routes.post(
            "/videos/trigger-download", "Queue downloads (yt-dlp) of videos into the media library; a summary per video",
            .permission("analysis:video:download"),
            description: "Each video becomes a media-library asset (deduplicated by file hash) linked to it (`is_downloaded`, `asset_id`). Videos already downloaded, or with a download waiting or running, are skipped and said so.",
            body: TriggerDownloadInput.self, use: triggerDownload)
        routes.post(
            "/videos/{video_id}/analyze", "Queue shot analysis of the video; `job_id` is the monitoring task", .permission("analysis:video:analyze"),
            description: "Runs the scene pipeline (and those ANALYSIS_PIPELINES adds) on the downloaded file; results land in the video's `analysis_results` and as artifacts of the task. A video not downloaded yet is downloaded first (the analysis waits for that task).",
            parameters: video, use: analyze)
    }

    func video(_ reference: String?, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> StoredVideo {
        guard let reference, let video = try await store.find(reference: reference, tenantID: context.principal.tenantID, in: tx) else {
            throw APIError.videoNotFound
        }
        return video
    }

    /// The videos with their assets (one look-up for the page).
    func views(_ videos: [StoredVideo], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [VideoView] {
        let ids = videos.compactMap(\.assetId)
        let found = Dictionary(try await assets.assets(ids, tenantID: tenantID, in: tx).map { ($0.id, $0) }) { first, _ in first }
        return videos.map { VideoView($0, asset: $0.assetId.flatMap { found[$0] }) }
    }

    func accountVideos(_ request: Request, _ context: AuthenticatedContext) async throws -> [VideoView] {
        let id = try context.pathUUID("account_id", or: .accountNotFound)
        let query = try request.query(VideoListQuery.self)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            guard try await accounts.find(id, tenantID: tenantID, in: tx) != nil else { throw APIError.accountNotFound }
            let videos = try await store.list(
                tenantID: tenantID, accountID: id, sort: query.sortBy ?? .publishedAt, limit: query.limit ?? 100, offset: query.skip ?? 0, in: tx)
            return try await views(videos, tenantID: tenantID, in: tx)
        }
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> [VideoView] {
        let query = try request.query(VideoListQuery.self)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let videos = try await store.list(
                tenantID: tenantID, accountID: nil, sort: query.sortBy ?? .publishedAt, limit: query.limit ?? 50, offset: query.skip ?? 0, in: tx)
            return try await views(videos, tenantID: tenantID, in: tx)
        }
    }

    func snapshots(_ request: Request, _ context: AuthenticatedContext) async throws -> [VideoSnapshotView] {
        let query = try request.query(SnapshotQuery.self)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let found = try await video(context.parameters.get("video_id"), context, in: tx)
            return try await store.snapshots(of: found.id, tenantID: tenantID, limit: query.limit ?? 100, offset: query.skip ?? 0, in: tx)
        }
    }

    func triggerDownload(_ request: Request, _ context: AuthenticatedContext) async throws -> DownloadTriggerResult {
        let input = try await request.decode(as: TriggerDownloadInput.self, context: context)
        var problems: [String: String] = [:]
        if input.videoIds.isEmpty || input.videoIds.count > Self.maxBatch { problems["video_ids"] = "must list 1-\(Self.maxBatch) video ids" }
        if input.videoIds.contains(where: { $0.count > 100 }) { problems["video_ids"] = "each id must be at most 100 characters" }
        let priority = input.priority ?? 10
        if !(0...100).contains(priority) { problems["priority"] = "must be from 0 to 100 (higher runs first)" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        var seen: Set<String> = []
        let references = input.videoIds.filter { seen.insert($0).inserted }
        let items = try await database.withTenant(context.tenant) { tx -> [DownloadTriggerResult.Item] in
            var items: [DownloadTriggerResult.Item] = []
            for reference in references {
                guard let found = try await store.find(reference: reference, tenantID: context.principal.tenantID, in: tx) else {
                    items.append(.init(status: "not_found", videoId: reference, message: "no such video"))
                    continue
                }
                let (outcome, task) = try await queueDownload(found, priority: priority, context: context, in: tx)
                items.append(.init(status: outcome, videoId: reference, taskId: task?.id, assetId: found.assetId, message: Self.describe(outcome)))
            }
            return items
        }
        let queued = items.filter { $0.status == "queued" }.count
        let failed = items.filter { $0.status == "not_found" }.count
        return DownloadTriggerResult(
            message: "Queued \(queued) download(s) of \(items.count) video(s)", total: items.count, queued: queued,
            skipped: items.count - queued - failed, failed: failed, results: items)
    }

    static func describe(_ outcome: String) -> String {
        switch outcome {
        case "queued": "download queued"
        case "already_downloaded": "the video is already in the media library"
        default: "a download of this video is already waiting or running"
        }
    }

    /// Queues a download unless the video is downloaded or one is on its way: the outcome and
    /// the task (new or in flight).
    func queueDownload(
        _ video: StoredVideo, priority: Int, context: AuthenticatedContext, in tx: DatabaseTransaction
    ) async throws -> (String, StoredMonitoringTask?) {
        let tenantID = context.principal.tenantID
        if video.isDownloaded, let asset = video.assetId, try await !assets.assets([asset], tenantID: tenantID, in: tx).isEmpty {
            return ("already_downloaded", nil)
        }
        if let running = try await tasks.inFlight(.videoDownload, accountID: video.targetAccountId, videoID: video.id, tenantID: tenantID, in: tx) {
            return ("already_queued", running)
        }
        var new = NewMonitoringTask(
            type: .videoDownload, accountID: video.targetAccountId, videoID: video.id, trigger: .manual,
            input: ["video_id": .string(video.id.uuidString.lowercased())])
        new.priority = priority
        return ("queued", try await tasks.create(new, tenantID: tenantID, ownerID: context.principal.userID, in: tx))
    }

    func analyze(_ request: Request, _ context: AuthenticatedContext) async throws -> AnalyzeResult {
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let found = try await video(context.parameters.get("video_id"), context, in: tx)
            if let running = try await tasks.inFlight(.videoAnalysis, accountID: found.targetAccountId, videoID: found.id, tenantID: tenantID, in: tx) {
                return AnalyzeResult(
                    message: "An analysis of this video is already \(running.status.rawValue)", jobId: running.id, status: running.status.rawValue,
                    waitsFor: running.dependencies.first)
            }
            // Not downloaded yet: download first, and let the analysis wait for it.
            let (outcome, download) = try await queueDownload(found, priority: 50, context: context, in: tx)
            var new = NewMonitoringTask(
                type: .videoAnalysis, accountID: found.targetAccountId, videoID: found.id, trigger: .manual,
                input: ["video_id": .string(found.id.uuidString.lowercased()), "pipelines": .array(pipelines.map { .string($0) })])
            if outcome != "already_downloaded", let download { new.dependencies = [download.id] }
            let task = try await tasks.create(new, tenantID: tenantID, ownerID: context.principal.userID, in: tx)
            return AnalyzeResult(
                message: new.dependencies.isEmpty ? "Shot analysis queued" : "Shot analysis queued after the video's download",
                jobId: task.id, status: task.status.rawValue, waitsFor: new.dependencies.first)
        }
    }
}
