import Foundation
import MediaToolkit
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
        let metadata: MediaMetadata
        do {
            metadata = try await MetadataProbe.probe(path, timeout: timeout, requireVideo: asset.assetType == .video)
            if asset.assetType == .audio, metadata.audio == nil { throw MediaError.notAVideo("the file has no audio stream") }
            if asset.assetType == .image, (metadata.video?.width ?? 0) == 0 { throw MediaError.notAVideo("the file is not a readable image") }
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as MediaError {
            return try await fail(asset, reason: Self.describe(error), job: job)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            return try await fail(asset, reason: "ffprobe could not run: \(error)", job: job)
        }
        let found = Self.summary(metadata)
        let ready = try await database.withTenant(job.tenantScope) { tx -> StoredAsset? in
            guard let ready = try await store.markProbed(
                assetID, tenantID: tenantID, metadata: found, duration: metadata.duration > 0 ? metadata.duration : nil,
                format: Self.format(metadata.container), in: tx)
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

    static func describe(_ error: MediaError) -> String {
        switch error {
        case .unreadable(let why), .notAVideo(let why), .timedOut(let why), .toolMissing(let why), .failed(let why): why
        }
    }

    /// ffprobe's `mov,mp4,m4a,3gp,3g2,mj2` → `mov`; a single name as is.
    static func format(_ container: String) -> String? {
        container.split(separator: ",").first.map(String.init)
    }

    /// What goes into the asset's metadata.
    static func summary(_ metadata: MediaMetadata) -> JSONValue {
        var object: [String: JSONValue] = [
            "duration": .double(metadata.duration), "container": .string(metadata.container), "size": .int(metadata.size),
        ]
        if let rate = metadata.bitRate { object["bit_rate"] = .int(Int64(rate)) }
        if let video = metadata.video {
            if let width = video.width { object["width"] = .int(Int64(width)) }
            if let height = video.height { object["height"] = .int(Int64(height)) }
            if let codec = video.codec { object["video_codec"] = .string(codec) }
            if let fps = video.frameRate { object["frame_rate"] = .double(fps) }
            if let rotation = video.rotation { object["rotation"] = .int(Int64(rotation)) }
        }
        if let audio = metadata.audio {
            if let codec = audio.codec { object["audio_codec"] = .string(codec) }
            if let channels = audio.channels { object["channels"] = .int(Int64(channels)) }
            if let rate = audio.sampleRate { object["sample_rate"] = .int(Int64(rate)) }
        }
        object["streams"] = .array(metadata.streams.map { stream in
            var entry: [String: JSONValue] = ["index": .int(Int64(stream.index)), "kind": .string(stream.kind)]
            if let codec = stream.codec { entry["codec"] = .string(codec) }
            if let width = stream.width { entry["width"] = .int(Int64(width)) }
            if let height = stream.height { entry["height"] = .int(Int64(height)) }
            return .object(entry)
        })
        var result: [String: JSONValue] = ["probe": .object(object)]
        for key in ["width", "height", "video_codec", "audio_codec", "frame_rate"] { result[key] = object[key] }
        return .object(result)
    }
}
