import Foundation
import MediaToolkit
import PlatformSupport

/// Runs one pipeline of the toolkit on a video, writing VideoAnnotator's files into a folder.
struct PipelineRunner: Sendable {
    struct Output: Sendable {
        var annotationCount: Int
        /// The main file (what `results/files/{pipeline}` serves), if one was written.
        var file: String?
        /// Further files by the name their results entry gets (audio: RTTM and WebVTT).
        var extra: [String: String] = [:]
    }

    let video: String
    let directory: String

    var stem: String { URL(fileURLWithPath: video).deletingPathExtension().lastPathComponent }

    static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .int(let number)?: Double(number)
        case .double(let number)?: number
        default: nil
        }
    }

    func run(_ pipeline: String, config: [String: JSONValue], progress: @escaping @Sendable (Double) -> Void) async throws -> Output {
        switch pipeline {
        case "scene_detection":
            var settings = SceneDetector.Config()
            if let value = Self.number(config["threshold"]) { settings.threshold = value }
            if let value = Self.number(config["min_scene_length"]) { settings.minSceneLength = value }
            if case .bool(let value)? = config["keyframes"] { settings.keyframes = value }
            let scenes = try await SceneDetector(config: settings).detect(video, outputDirectory: directory, progress: progress)
            let file = "\(directory)/\(stem)_scene_detection.json"
            try addScenesArray(scenes, to: file)
            return Output(annotationCount: scenes.count, file: file)
        case "person_tracking":
            var settings = PersonTracker.Config()
            if let value = Self.number(config["pps"]) { settings.pps = value }
            if let value = Self.number(config["hit_threshold"]) { settings.hitThreshold = value }
            if let value = Self.number(config["scale"]) { settings.scale = value }
            if let value = Self.number(config["minimum_iou"]) { settings.minimumIoU = value }
            let result = try await PersonTracker(config: settings).track(video, outputDirectory: directory, progress: progress)
            return Output(annotationCount: result.detections.count, file: result.file)
        case "face_analysis":
            var settings = FaceDetector.Config()
            if let value = Self.number(config["pps"]) { settings.pps = value }
            if let value = Self.number(config["scale_factor"]) { settings.scaleFactor = value }
            if let value = Self.number(config["min_neighbors"]) { settings.minNeighbors = Int(value) }
            if let value = Self.number(config["min_face_size"]) { settings.minFaceSize = Int(value) }
            let result = try await FaceDetector(config: settings).detect(video, outputDirectory: directory, progress: progress)
            return Output(annotationCount: result.detections.count, file: result.file)
        case "audio_processing":
            var settings = AudioAnalyzer.Config()
            if let value = Self.number(config["silence_threshold_db"]) { settings.silenceThresholdDb = value }
            if let value = Self.number(config["min_silence"]) { settings.minSilence = value }
            if case .bool(let value)? = config["transcribe"] { settings.transcribe = value }
            let report = try await AudioAnalyzer(config: settings).analyze(video, outputDirectory: directory, progress: progress)
            var extra: [String: String] = [:]
            if let rttm = report.files["rttm"] { extra["speaker_diarization"] = rttm }
            if let vtt = report.files["webvtt"] { extra["speech_recognition"] = vtt }
            return Output(annotationCount: report.speech.count + report.transcript.count, file: report.files["json"], extra: extra)
        case "metadata":
            let metadata = try await MetadataProbe.probe(video)
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let file = "\(directory)/\(stem)_metadata.json"
            var described = metadata
            described.path = URL(fileURLWithPath: video).lastPathComponent
            try encoder.encode(described).write(to: URL(fileURLWithPath: file))
            progress(1)
            return Output(annotationCount: metadata.streams.count, file: file)
        default:
            throw MediaError.failed("unknown pipeline \(pipeline)")
        }
    }

    /// The viewer's scene parser reads a top-level `scenes` array, which VideoAnnotator's
    /// COCO-only file lacks: added beside the COCO lists.
    func addScenesArray(_ scenes: [Scene], to file: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        guard case .object(var document) = try JSONDecoder().decode(JSONValue.self, from: data) else { return }
        document["scenes"] = .array(scenes.map { scene in
            [
                "id": .int(Int64(scene.sceneId + 1)), "scene_id": .int(Int64(scene.sceneId)),
                "start_time": .double(scene.startTime), "end_time": .double(scene.endTime),
                "duration": .double(max(scene.duration, 0.001)), "start_frame": .int(Int64(scene.startFrame)),
                "end_frame": .int(Int64(scene.endFrame)), "frame_start": .int(Int64(scene.startFrame)), "frame_end": .int(Int64(scene.endFrame)),
                "scene_type": "unknown", "score": 1.0, "timestamp": .double((scene.startTime + scene.endTime) / 2),
                "keyframe": scene.keyframe.map { .string(URL(fileURLWithPath: $0).lastPathComponent) } ?? .null,
            ]
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(JSONValue.object(document)).write(to: URL(fileURLWithPath: file))
    }
}
