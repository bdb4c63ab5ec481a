import Foundation
import PlatformDatabase
import PlatformServices
import PlatformSupport
import TaskEngine

/// `media.asset.probe`: ffprobe on an asset's stored file, off the request path. Duration,
/// container, resolution and codecs go into the asset's metadata and it becomes `ready`; a file
/// ffprobe cannot read makes it `failed` with the reason. Publishes `asset.ready`/`asset.failed`.
struct AssetProbeHandler: TaskHandler {
    static let taskType = "media.asset.probe"

    let database: Database
    let storage: any BlobStorage
    let timeout: Duration
    let store = AssetStore()

    /// Stored video, audio and image files are probed.
    static func wants(_ asset: StoredAsset) -> Bool {
        asset.fileId != nil && asset.fileHash != nil && [.video, .audio, .image].contains(asset.assetType)
    }

    static func enqueue(_ asset: StoredAsset, in tx: DatabaseTransaction) async throws {
        var task = NewTask(taskType: taskType)
        task.kind = .internal
        task.queue = "media"
        task.priority = 55
        task.input = ["asset_id": .string(asset.id.uuidString.lowercased())]
        task.maxAttempts = 2
        task.enqueue = true
        _ = try await TaskStore.insert(task, tenantID: asset.tenantId, ownerID: nil, in: tx)
    }

    func run(_ job: TaskJob) async throws -> JSONValue? {
        guard let text = job.task.taskInput["asset_id"]?.stringValue, let assetID = UUID(uuidString: text) else {
            throw TaskFailure("task_input.asset_id is missing", retryable: false)
        }
        let tenantID = job.task.tenantId
        guard let asset = try await database.withTenant(job.tenantScope, { tx -> StoredAsset? in
            guard let asset = try await store.find(assetID, tenantID: tenantID, in: tx) else { return nil }
            try await store.markProcessing(assetID, tenantID: tenantID, in: tx)
            return asset
        }), let hash = asset.fileHash
        else { return ["skipped": "the asset is gone"] }
        guard let local = storage as? LocalDiskBlobStorage else {
            return try await fail(asset, reason: "the storage keeps no local files to probe", job: job)
        }
        let path = local.localPath(namespace: tenantID.uuidString.lowercased(), sha256: hash)
        let found: JSONValue
        do {
            guard FileManager.default.fileExists(atPath: path) else { return try await fail(asset, reason: "the file's content is missing from storage", job: job) }
            found = try Self.summary(try await FFprobe.probe(path, timeout: timeout), type: asset.assetType)
        } catch is CancellationError {
            throw CancellationError()
        } catch let failure as FFprobe.Failure {
            return try await fail(asset, reason: failure.reason, job: job)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            return try await fail(asset, reason: "ffprobe could not run: \(error)", job: job)
        }
        let duration = FFprobe.number(found["probe"]?["duration"])
        let container = found["probe"]?["container"]?.stringValue ?? ""
        let ready = try await database.withTenant(job.tenantScope) { tx -> StoredAsset? in
            guard let ready = try await store.markProbed(
                assetID, tenantID: tenantID, metadata: found, duration: (duration ?? 0) > 0 ? duration : nil, format: Self.format(container), in: tx)
            else { return nil }
            try await store.publish(ready, "asset.ready", in: tx)
            return ready
        }
        guard ready != nil else { return ["skipped": "the asset is gone"] }
        return ["status": "ready", "metadata": found]
    }

    func fail(_ asset: StoredAsset, reason: String, job: TaskJob) async throws -> JSONValue {
        _ = try await database.withTenant(job.tenantScope) { tx in
            if let failed = try await store.markFailed(asset.id, tenantID: asset.tenantId, reason: reason, in: tx) {
                try await store.publish(failed, "asset.failed", in: tx)
            }
        }
        return ["status": "failed", "reason": .string(reason)]
    }

    /// ffprobe's `mov,mp4,m4a,3gp,3g2,mj2` → `mov`; a single name as is.
    static func format(_ container: String) -> String? {
        container.split(separator: ",").first.map(String.init)
    }

    /// What goes into the asset's metadata, from ffprobe's JSON; throws when the file is not
    /// what its type says (no video stream in a video, no audio in an audio file).
    static func summary(_ report: JSONValue, type: AssetType) throws -> JSONValue {
        let format = report["format"] ?? [:]
        let streams = report["streams"]?.arrayItems ?? []
        let video = streams.first { $0["codec_type"] == "video" }
        let audio = streams.first { $0["codec_type"] == "audio" }
        let container = format["format_name"]?.stringValue ?? "unknown"
        let duration = FFprobe.number(format["duration"]) ?? streams.compactMap { FFprobe.number($0["duration"]) }.max() ?? 0
        let width = FFprobe.number(video?["width"]).map { Int64($0) } ?? 0
        switch type {
        case .video:
            if video == nil || ["image2", "png_pipe", "jpeg_pipe"].contains(container) { throw FFprobe.Failure(reason: "the file has no video stream") }
            if width == 0 || duration <= 0 { throw FFprobe.Failure(reason: "the video stream has no frames") }
        case .audio:
            if audio == nil { throw FFprobe.Failure(reason: "the file has no audio stream") }
        case .image:
            if width == 0 { throw FFprobe.Failure(reason: "the file is not a readable image") }
        case .document, .other:
            break
        }
        var probe: [String: JSONValue] = ["duration": .double(duration), "container": .string(container)]
        if let size = FFprobe.number(format["size"]) { probe["size"] = .int(Int64(size)) }
        if let rate = FFprobe.number(format["bit_rate"]) { probe["bit_rate"] = .int(Int64(rate)) }
        var result: [String: JSONValue] = [:]
        if let video {
            if width > 0 { result["width"] = .int(width) }
            if let height = FFprobe.number(video["height"]) { result["height"] = .int(Int64(height)) }
            if let codec = video["codec_name"] { result["video_codec"] = codec }
            if let fps = FFprobe.rate(video["avg_frame_rate"]) ?? FFprobe.rate(video["r_frame_rate"]) { result["frame_rate"] = .double(fps) }
        }
        if let audio {
            if let codec = audio["codec_name"] { result["audio_codec"] = codec }
            if let channels = FFprobe.number(audio["channels"]) { probe["channels"] = .int(Int64(channels)) }
            if let rate = FFprobe.number(audio["sample_rate"]) { probe["sample_rate"] = .int(Int64(rate)) }
        }
        probe["streams"] = .array(streams.map { stream in
            var entry: [String: JSONValue] = [:]
            for key in ["index", "codec_type", "codec_name", "width", "height", "channels", "sample_rate", "avg_frame_rate", "duration"] {
                if let value = stream[key] { entry[key] = value }
            }
            return .object(entry)
        })
        result["probe"] = .object(probe)
        return .object(result)
    }
}
