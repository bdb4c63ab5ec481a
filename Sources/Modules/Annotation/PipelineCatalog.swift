import Foundation
import MediaToolkit
import Hummingbird
import PlatformSupport

/// The pipelines jobs can run: the media toolkit's declarations under VideoAnnotator's names,
/// with the aliases its clients send.
enum PipelineCatalog {
    struct Entry: Sendable {
        var descriptor: PipelineDescriptor
        var displayName: String
        var family: String
        var tasks: [String]
        var modalities: [String]
        var capabilities: [String]
        var backends: [String]
        /// Output files: format and the suffix after `<stem>_`.
        var outputs: [(format: String, file: String)]
    }

    static let entries: [Entry] = [
        Entry(
            descriptor: SceneDetector.descriptor, displayName: "Scene detection", family: "scene", tasks: ["scene-segmentation"],
            modalities: ["video"], capabilities: ["shot_boundaries", "keyframes"], backends: ["ffmpeg"],
            outputs: [("COCO", "scene_detection.json")]),
        Entry(
            descriptor: PersonTracker.descriptor, displayName: "Person tracking", family: "person", tasks: ["person-detection", "person-tracking"],
            modalities: ["video"], capabilities: ["bounding_boxes", "track_ids", "size_based_labels"], backends: ["opencv-hog"],
            outputs: [("COCO", "person_tracking.json")]),
        Entry(
            descriptor: FaceDetector.descriptor, displayName: "Face analysis", family: "face", tasks: ["face-detection"],
            modalities: ["video"], capabilities: ["bounding_boxes"], backends: ["opencv-haar"],
            outputs: [("COCO", "face_detections.json")]),
        Entry(
            descriptor: AudioAnalyzer.descriptor, displayName: "Audio processing", family: "audio",
            tasks: ["speech-activity", "speech-transcription", "loudness"], modalities: ["audio"],
            capabilities: ["rttm", "webvtt", "ebu_r128"], backends: ["ffmpeg", "pocketsphinx"],
            outputs: [("JSON", "audio.json"), ("RTTM", "speaker_diarization.rttm"), ("WebVTT", "speech_recognition.vtt")]),
        Entry(
            descriptor: MetadataProbe.descriptor, displayName: "Media metadata", family: "metadata", tasks: ["probe"],
            modalities: ["video", "audio"], capabilities: ["streams", "duration"], backends: ["ffprobe"],
            outputs: [("JSON", "metadata.json")]),
    ]

    static var names: [String] { entries.map(\.descriptor.name) }

    /// What runs when a job names none (VideoAnnotator's API default).
    static let defaultSelection = ["scene_detection", "person_tracking"]

    static let aliases: [String: String] = [
        "scene": "scene_detection", "scenes": "scene_detection",
        "person": "person_tracking", "people": "person_tracking", "pose": "person_tracking",
        "face": "face_analysis", "faces": "face_analysis", "face_detection": "face_analysis", "laion_face": "face_analysis",
        "laion_face_detection": "face_analysis",
        "audio": "audio_processing", "speech": "audio_processing", "speech_recognition": "audio_processing",
        "speaker_diarization": "audio_processing", "whisper_transcription": "audio_processing",
        "probe": "metadata",
    ]

    /// The canonical name of `name` (case and spaces ignored), or nil.
    static func canonical(_ name: String) -> String? {
        let key = name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().replacingOccurrences(of: "-", with: "_")
        if names.contains(key) { return key }
        return aliases[key]
    }

    static func entry(_ name: String) -> Entry? {
        guard let canonical = canonical(name) else { return nil }
        return entries.first { $0.descriptor.name == canonical }
    }

    /// `PipelineInfo` of the seed.
    static func info(_ entry: Entry) -> PipelineInfo {
        let schema = entry.descriptor.configSchema
        var example: [String: JSONValue] = [:]
        if case .object(let properties)? = schema["properties"] {
            for (key, property) in properties { if let value = property["default"] { example[key] = value } }
        }
        return PipelineInfo(
            name: entry.descriptor.name, displayName: entry.displayName, description: entry.descriptor.description, enabled: true,
            pipelineFamily: entry.family, variant: entry.backends.joined(separator: "+"), tasks: entry.tasks, modalities: entry.modalities,
            capabilities: entry.capabilities, backends: entry.backends, stability: "stable",
            outputs: entry.outputs.map { ["format": .string($0.format), "file_suffix": .string($0.file)] },
            configSchema: schema, examples: [["config": .object(example), "description": "The defaults"]],
            aliases: aliases.filter { $0.value == entry.descriptor.name }.keys.sorted())
    }

    /// One finding of config validation.
    struct Finding: Sendable, Equatable {
        var pipeline: String
        var field: String
        var message: String
        var code: String
        var hint: String?

        var json: JSONValue {
            var object: [String: JSONValue] = [
                "pipeline": .string(pipeline), "field": .string(field), "message": .string(message), "code": .string(code),
            ]
            if let hint { object["hint"] = .string(hint) }
            return .object(object)
        }
    }

    /// The part of `config` meant for `pipeline`: its own object when the config is keyed by
    /// pipeline (names or aliases), else the whole (shared) config without other pipelines' keys.
    static func section(of config: [String: JSONValue], for pipeline: String) -> [String: JSONValue] {
        for (key, value) in config where canonical(key) == pipeline {
            if case .object(let object) = value { return object }
        }
        return config.filter { canonical($0.key) == nil }
    }

    /// Errors (wrong types, out of bounds) and warnings (unknown keys) of `config` for each pipeline.
    static func validate(_ config: [String: JSONValue], pipelines: [String], sharedKeysAreWarnings: Bool = true) -> (errors: [Finding], warnings: [Finding]) {
        var errors: [Finding] = []
        var warnings: [Finding] = []
        for pipeline in pipelines {
            guard let entry = entry(pipeline) else { continue }
            let name = entry.descriptor.name
            let section = section(of: config, for: name)
            let properties: [String: JSONValue]
            if case .object(let object)? = entry.descriptor.configSchema["properties"] { properties = object } else { properties = [:] }
            let problems = entry.descriptor.problems(section)
            for key in section.keys.sorted() {
                guard let problem = problems[key] else { continue }
                if properties[key] == nil {
                    warnings.append(Finding(
                        pipeline: name, field: "\(name).\(key)", message: "'\(key)' is not a setting of \(name) and is ignored", code: "UNKNOWN_FIELD",
                        hint: properties.isEmpty ? "\(name) takes no settings" : "Settings of \(name): \(properties.keys.sorted().joined(separator: ", "))"))
                } else {
                    let code = problem.hasPrefix("must be at") ? "OUT_OF_RANGE" : "INVALID_TYPE"
                    errors.append(Finding(
                        pipeline: name, field: "\(name).\(key)", message: "\(key) \(problem) (got \(describe(section[key])))", code: code,
                        hint: bounds(properties[key])))
                }
            }
        }
        return (errors, warnings)
    }

    static func describe(_ value: JSONValue?) -> String {
        guard let value, let data = try? JSONEncoder().encode(value) else { return "nothing" }
        return String(decoding: data.prefix(100), as: UTF8.self)
    }

    static func bounds(_ schema: JSONValue?) -> String? {
        guard let schema else { return nil }
        var parts: [String] = []
        if let type = schema["type"]?.stringValue { parts.append(type) }
        if let minimum = schema["minimum"] { parts.append("minimum \(describe(minimum))") }
        if let maximum = schema["maximum"] { parts.append("maximum \(describe(maximum))") }
        if let fallback = schema["default"] { parts.append("default \(describe(fallback))") }
        return parts.isEmpty ? nil : "Expected " + parts.joined(separator: ", ")
    }
}

/// VideoAnnotator's `PipelineInfo`, plus the aliases a pipeline answers to.
struct PipelineInfo: Codable, Sendable, ResponseEncodable {
    var name: String
    var displayName: String?
    var description: String
    var enabled: Bool
    var pipelineFamily: String?
    var variant: String?
    var tasks: [String]
    var modalities: [String]
    var capabilities: [String]
    var backends: [String]
    var stability: String?
    var outputs: [JSONValue]
    var configSchema: JSONValue
    var examples: [JSONValue]
    var aliases: [String]
}
