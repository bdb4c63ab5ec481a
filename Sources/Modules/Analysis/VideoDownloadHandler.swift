import Foundation
import NIOCore
import PlatformDatabase
import PlatformServices
import PlatformSupport
import TaskEngine
import _NIOFileSystem

/// `analysis.video_download`: yt-dlp fetches the video's page into a folder of the task's own;
/// the file streams into the tenant's content-addressed storage and becomes a media-library
/// asset (an existing asset with the same hash is reused), linked to the video.
struct VideoDownloadHandler: TaskHandler {
    let database: Database
    let media: AnalysisMedia
    let ytdlp: YtDlp
    let maxBytes: Int64
    let videos = VideoStore()
    let accounts = AccountStore()

    func run(_ job: TaskJob) async throws -> JSONValue? {
        guard let text = job.task.taskInput["video_id"]?.stringValue, let id = UUID(uuidString: text) else {
            throw TaskFailure("task_input.video_id is missing", retryable: false)
        }
        let tenantID = job.task.tenantId
        guard let ownerID = job.task.ownerId else { throw TaskFailure("the task has no owner to own the asset", retryable: false) }
        let (found, asset, room) = try await database.withTenant(job.tenantScope) { tx -> (StoredVideo?, MediaAssetInfo?, Int64) in
            guard let video = try await videos.find(id, tenantID: tenantID, in: tx) else { return (nil, nil, 0) }
            var asset: MediaAssetInfo?
            if let assetID = video.assetId { asset = try await media.assets.assets([assetID], tenantID: tenantID, in: tx).first }
            return (video, asset, media.quotaBytes - (try await media.files.storedBytes(tenantID: tenantID, in: tx)))
        }
        guard let video = found else { return ["skipped": "the video is gone"] }
        if video.isDownloaded, let asset { return ["skipped": "already downloaded", "asset_id": .string(asset.id.uuidString.lowercased())] }
        guard room > 0 else { throw TaskFailure("the tenant's storage quota is used up", retryable: false) }
        let limit = min(maxBytes, room)
        let directory = media.temporaryDirectory + "/analysis-download-\(job.task.id.uuidString.lowercased())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try? FileManager.default.removeItem(atPath: directory)
        try await job.progress(10, step: "downloading")
        let download: YtDlp.Download
        do {
            download = try await ytdlp.download(video.videoUrl, into: directory, maxBytes: limit)
        } catch let failure as YtDlp.Failure {
            switch failure {
            case .tooLarge, .missing: throw TaskFailure(failure.description, retryable: false)
            case .timedOut, .failed: throw TaskFailure(failure.description, retryable: true)
            }
        }
        try await job.progress(70, step: "storing")
        let blob: StoredBlob
        do {
            blob = try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(download.path)) { handle in
                var chunks = handle.readChunks(chunkLength: .kibibytes(256)).makeAsyncIterator()
                return try await media.storage.store(namespace: tenantID.uuidString.lowercased(), maxBytes: limit) { try await chunks.next() }
            }
        } catch is BlobTooLarge {
            throw TaskFailure("the video is larger than the download limit of \(limit) bytes", retryable: false)
        }
        let fileExtension = URL(fileURLWithPath: download.path).pathExtension.lowercased()
        let imported = try await database.withTenant(job.tenantScope) { tx -> (asset: MediaAssetInfo, deduplicated: Bool)? in
            guard try await videos.find(id, tenantID: tenantID, in: tx) != nil else { return nil }
            let channel = try await accounts.find(video.targetAccountId, tenantID: tenantID, in: tx)?.accountId
            var metadata: [String: JSONValue] = ["platform": "youtube", "video_id": .string(video.videoId), "video_url": .string(video.videoUrl)]
            if let channel { metadata["channel_id"] = .string(channel) }
            let new = NewMediaAsset(
                name: video.title ?? video.videoId, description: video.description, assetType: "video", sha256: blob.sha256, size: blob.size,
                contentType: Self.contentType(fileExtension), originalFilename: "\(video.videoId).\(fileExtension.isEmpty ? "mp4" : fileExtension)",
                source: video.videoUrl, metadata: .object(metadata), tags: ["analysis", "youtube"], visibility: .tenant)
            let imported = try await media.assets.importAsset(new, tenantID: tenantID, ownerID: ownerID, in: tx)
            try await videos.markDownloaded(id, assetID: imported.asset.id, tenantID: tenantID, in: tx)
            return imported
        }
        guard let imported else { return ["skipped": "the video is gone"] }
        return [
            "asset_id": .string(imported.asset.id.uuidString.lowercased()), "deduplicated": .bool(imported.deduplicated),
            "file_hash": .string(blob.sha256), "size": .int(blob.size),
        ]
    }

    static func contentType(_ fileExtension: String) -> String {
        switch fileExtension {
        case "webm": "video/webm"
        case "mkv": "video/x-matroska"
        case "mov": "video/quicktime"
        default: "video/mp4"
        }
    }
}

/// What downloads and analyses use of the media library and storage.
struct AnalysisMedia: Sendable {
    let assets: any MediaAssetCatalog
    let files: any StoredFileDirectory
    let storage: LocalDiskBlobStorage
    let quotaBytes: Int64
    /// Work folders of downloads and analyses.
    let temporaryDirectory: String
}
