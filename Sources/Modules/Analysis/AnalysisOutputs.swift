import Foundation
import MediaToolkit
import NIOCore
import PlatformArtifacts
import PlatformDatabase
import PlatformServices
import PlatformSupport
import _NIOFileSystem

/// A shot analysis's files, kept in the tenant's blob storage for the artifacts that hold them.
struct AnalysisOutputFiles: Sendable {
    /// VideoAnnotator's COCO scene file.
    var scenes: StoredBlob?
    /// A keyframe per shot, by scene id.
    var keyframes: [Int: StoredBlob] = [:]
}

extension VideoAnalysisHandler {
    static let maxKeyframeArtifacts = 500

    /// Streams the scene file and the keyframes into storage.
    func store(scenes: [Scene], directory: String, sha256: String, tenantID: UUID) async throws -> AnalysisOutputFiles {
        var files = AnalysisOutputFiles()
        files.scenes = try await storeFile("\(directory)/\(sha256)_scene_detection.json", tenantID: tenantID)
        for scene in scenes.prefix(Self.maxKeyframeArtifacts) {
            guard let keyframe = scene.keyframe else { continue }
            files.keyframes[scene.sceneId] = try await storeFile(keyframe, tenantID: tenantID)
        }
        return files
    }

    func storeFile(_ path: String, tenantID: UUID) async throws -> StoredBlob? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
            var chunks = handle.readChunks(chunkLength: .kibibytes(256)).makeAsyncIterator()
            return try await media.storage.store(namespace: tenantID.uuidString.lowercased(), maxBytes: .max) { try await chunks.next() }
        }
    }

    /// The task's artifacts: the shot timeline, the COCO scene file and each keyframe.
    func record(
        _ files: AnalysisOutputFiles, scenes: [Scene], video: StoredVideo, assetID: UUID, taskID: UUID, tenantID: UUID, in tx: DatabaseTransaction
    ) async throws {
        let videoID = JSONValue.string(video.id.uuidString.lowercased())
        _ = try await artifacts.record(
            NewArtifact(
                taskID: taskID, type: .timeline, assetID: assetID,
                data: ["video_id": videoID, "platform_video_id": .string(video.videoId), "shots": Self.summary(scenes)["scenes"] ?? []],
                nodeKey: "scene_detection.shots"),
            tenantID: tenantID, in: tx)
        if let blob = files.scenes {
            _ = try await artifacts.record(
                NewArtifact(
                    taskID: taskID, type: .result, assetID: assetID,
                    data: ["video_id": videoID, "pipeline": "scene_detection", "format": "coco", "scene_count": .int(Int64(scenes.count))],
                    nodeKey: "scene_detection",
                    blob: ArtifactBlob(sha256: blob.sha256, size: blob.size, contentType: "application/json", filename: "\(video.videoId)_scene_detection.json")),
                tenantID: tenantID, in: tx)
        }
        for scene in scenes {
            guard let blob = files.keyframes[scene.sceneId] else { continue }
            let name = String(format: "scene_%04d.jpg", scene.sceneId)
            _ = try await artifacts.record(
                NewArtifact(
                    taskID: taskID, type: .result, assetID: assetID,
                    data: [
                        "video_id": videoID, "pipeline": "scene_detection", "scene_id": .int(Int64(scene.sceneId)),
                        "time": .double((scene.startTime + scene.endTime) / 2),
                    ],
                    nodeKey: "scene_detection.keyframe.\(scene.sceneId)",
                    blob: ArtifactBlob(sha256: blob.sha256, size: blob.size, contentType: "image/jpeg", filename: name)),
                tenantID: tenantID, in: tx)
        }
    }
}
