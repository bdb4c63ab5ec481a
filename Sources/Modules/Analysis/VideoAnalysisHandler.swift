import Foundation
import MediaToolkit
import NIOCore
import PlatformArtifacts
import PlatformDatabase
import PlatformServices
import PlatformSupport
import TaskEngine
import _NIOFileSystem

/// `analysis.video_analysis`: the media toolkit's scene pipeline (shot boundaries and a keyframe
/// per shot) on the downloaded file, plus the pipelines ANALYSIS_PIPELINES adds (`metadata`,
/// `audio_processing`). The summary lands in the video's `analysis_results`; the COCO scene
/// file, the shot timeline and the keyframes become artifacts of the task.
struct VideoAnalysisHandler: TaskHandler {
    let database: Database
    let media: AnalysisMedia
    let artifacts: any ArtifactRecorder
    let timeout: Duration
    let videos = VideoStore()

    func run(_ job: TaskJob) async throws -> JSONValue? {
        guard let text = job.task.taskInput["video_id"]?.stringValue, let id = UUID(uuidString: text) else {
            throw TaskFailure("task_input.video_id is missing", retryable: false)
        }
        let tenantID = job.task.tenantId
        var requested: [String] = []
        if case .array(let items)? = job.task.taskInput["pipelines"] {
            requested = items.compactMap(\.stringValue).filter { PlatformConfig.Analysis.knownPipelines.contains($0) }
        }
        let pipelines = ["scene_detection"] + requested.filter { $0 != "scene_detection" }
        let (found, asset) = try await database.withTenant(job.tenantScope) { tx -> (StoredVideo?, MediaAssetInfo?) in
            guard let video = try await videos.find(id, tenantID: tenantID, in: tx) else { return (nil, nil) }
            guard let assetID = video.assetId else { return (video, nil) }
            return (video, try await media.assets.assets([assetID], tenantID: tenantID, in: tx).first)
        }
        guard let video = found else { return ["skipped": "the video is gone"] }
        guard video.isDownloaded, let asset, let hash = asset.fileHash else {
            try await fail(id, "the video is not downloaded (trigger its download first)", retryable: false, job: job)
        }
        let path = media.storage.localPath(namespace: tenantID.uuidString.lowercased(), sha256: hash)
        guard FileManager.default.fileExists(atPath: path) else {
            try await fail(id, "the downloaded file is missing from storage", retryable: false, job: job)
        }
        try await database.withTenant(job.tenantScope) { tx in
            try await videos.setAnalysis(id, tenantID: tenantID, status: .processing, results: nil, error: nil, in: tx)
        }
        let directory = media.temporaryDirectory + "/analysis-run-\(job.task.id.uuidString.lowercased())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try? FileManager.default.removeItem(atPath: directory)
        var results: [String: JSONValue] = [
            "pipelines": .array(pipelines.map { .string($0) }), "asset_id": .string(asset.id.uuidString.lowercased()), "file_hash": .string(hash),
        ]
        let scenes: [Scene]
        do {
            try await job.progress(10, step: "scene_detection")
            scenes = try await SceneDetector().detect(path, outputDirectory: directory, timeout: timeout)
            results["scene_detection"] = Self.summary(scenes)
            if pipelines.contains("metadata") {
                try await job.progress(60, step: "metadata")
                var metadata = try await MetadataProbe.probe(path)
                metadata.path = URL(fileURLWithPath: asset.originalFilename ?? path).lastPathComponent
                results["metadata"] = try Self.json(metadata)
            }
            if pipelines.contains("audio_processing") {
                try await job.progress(70, step: "audio_processing")
                var report = try await AudioAnalyzer(config: .init(transcribe: false)).analyze(path, outputDirectory: directory, timeout: timeout)
                report.files = [:]
                results["audio_processing"] = try Self.json(report)
            }
        } catch is CancellationError {
            await interrupted(id, job: job)
            throw CancellationError()
        } catch let error as MediaError {
            if Task.isCancelled {
                await interrupted(id, job: job)
                throw CancellationError()
            }
            switch error {
            case .notAVideo(let message), .unreadable(let message), .outputTooLarge(let message): try await fail(id, message, retryable: false, job: job)
            case .toolMissing(let message): try await fail(id, message, retryable: false, job: job)
            case .timedOut(let message), .failed(let message): try await fail(id, message, retryable: true, job: job)
            }
        }
        results["analyzed_at"] = .string(RFC3339.string(from: Date()))
        try await job.progress(85, step: "recording")
        let outputs = try await store(scenes: scenes, directory: directory, sha256: hash, tenantID: tenantID)
        let final = JSONValue.object(results)
        try await database.withTenant(job.tenantScope) { tx in
            try await record(outputs, scenes: scenes, video: video, assetID: asset.id, taskID: job.task.id, tenantID: tenantID, in: tx)
            try await videos.setAnalysis(id, tenantID: tenantID, status: .completed, results: final, error: nil, in: tx)
        }
        return ["video_id": .string(id.uuidString.lowercased()), "scene_count": .int(Int64(scenes.count)), "pipelines": results["pipelines"] ?? []]
    }

    /// Shot statistics and the shots themselves.
    static func summary(_ scenes: [Scene]) -> JSONValue {
        let duration = scenes.last?.endTime ?? 0
        let lengths = scenes.map(\.duration)
        return [
            "scene_count": .int(Int64(scenes.count)), "duration": .double(duration),
            "average_shot_length": .double(lengths.isEmpty ? 0 : lengths.reduce(0, +) / Double(lengths.count)),
            "shortest_shot": .double(lengths.min() ?? 0), "longest_shot": .double(lengths.max() ?? 0),
            "shots_per_minute": .double(duration > 0 ? Double(scenes.count) / duration * 60 : 0),
            "scenes": .array(scenes.map { scene in
                [
                    "scene_id": .int(Int64(scene.sceneId)), "start_time": .double(scene.startTime), "end_time": .double(scene.endTime),
                    "duration": .double(scene.duration), "start_frame": .int(Int64(scene.startFrame)), "end_frame": .int(Int64(scene.endFrame)),
                ]
            }),
        ]
    }

    static func json(_ value: some Encodable) throws -> JSONValue {
        try PlatformJSON.makeDecoder().decode(JSONValue.self, from: PlatformJSON.makeEncoder().encode(value))
    }

    /// Records the failure on the video (`failed` once no attempt is left) and fails the task.
    func fail(_ id: UUID, _ message: String, retryable: Bool, job: TaskJob) async throws -> Never {
        let final = !retryable || job.task.attempts >= job.task.maxAttempts
        try await database.withTenant(job.tenantScope) { tx in
            try await videos.setAnalysis(id, tenantID: job.task.tenantId, status: final ? .failed : .pending, results: nil, error: message, in: tx)
        }
        throw TaskFailure(message, retryable: retryable)
    }

    /// The run stopped before its end: a cancelled task leaves the analysis failed, one handed
    /// back to the queue (a worker shutting down) leaves it pending.
    func interrupted(_ id: UUID, job: TaskJob) async {
        let database = self.database
        let videos = self.videos
        await Task {
            try? await database.withTenant(job.tenantScope) { tx in
                let task = try await TaskStore.find(job.task.id, tenantID: job.task.tenantId, in: tx)
                let cancelled = task?.status == .cancelled || task == nil
                try await videos.setAnalysis(
                    id, tenantID: job.task.tenantId, status: cancelled ? .failed : .pending, results: nil,
                    error: cancelled ? "the analysis was cancelled" : "interrupted; it will run again", in: tx)
            }
        }.value
    }
}
