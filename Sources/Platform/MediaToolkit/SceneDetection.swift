import Foundation
import PlatformSupport
import Synchronization

public typealias PipelineJSON = JSONValue

/// One shot between two cuts.
public struct Scene: Codable, Sendable, Equatable {
    public var sceneId: Int
    public var startTime: Double
    public var endTime: Double
    public var startFrame: Int
    public var endFrame: Int
    /// A JPEG of the scene's middle frame, when thumbnails were asked for.
    public var keyframe: String?

    public var duration: Double { endTime - startTime }
}

/// The `scene` pipeline: content-based shot boundaries from ffmpeg's scene-change score.
public struct SceneDetector: Sendable {
    public struct Config: Codable, Sendable, Equatable {
        /// On VideoAnnotator's 0-100 scale (its default is 30); ffmpeg's score is this / 100.
        public var threshold: Double = 30
        /// Cuts that would leave a shorter scene are dropped.
        public var minSceneLength: Double = 1.0
        public var keyframes: Bool = true

        public init(threshold: Double = 30, minSceneLength: Double = 1.0, keyframes: Bool = true) {
            self.threshold = threshold
            self.minSceneLength = minSceneLength
            self.keyframes = keyframes
        }
    }

    public let config: Config

    public init(config: Config = Config()) {
        self.config = config
    }

    public static let descriptor = PipelineDescriptor(
        name: "scene_detection", description: "Content-based shot boundaries (ffmpeg scene-change score), with a keyframe per scene",
        configSchema: [
            "type": "object", "additionalProperties": false,
            "properties": [
                "threshold": ["type": "number", "minimum": 1, "maximum": 100, "default": 30],
                "min_scene_length": ["type": "number", "minimum": 0, "maximum": 600, "default": 1.0],
                "keyframes": ["type": "boolean", "default": true],
            ],
        ],
        outputFormats: ["json", "jpeg"])

    /// Finds the cuts in `path`; writes keyframes into `outputDirectory` when asked.
    /// `progress` receives the fraction done (0...1).
    public func detect(
        _ path: String, outputDirectory: String? = nil, timeout: Duration = .seconds(3600),
        progress: (@Sendable (Double) -> Void)? = nil
    ) async throws -> [Scene] {
        let metadata = try await MetadataProbe.probe(path)
        let fps = metadata.video?.frameRate ?? 25
        let duration = metadata.duration
        let cuts = Mutex<[Double]>([])
        let pending = Mutex("")
        let score = config.threshold / 100
        let output = try await Subprocess.run(
            "ffmpeg",
            ["-hide_banner", "-nostats", "-nostdin", "-i", path, "-an", "-sn",
             "-vf", "select='gt(scene,\(score))',metadata=print:file=-", "-progress", "pipe:1", "-f", "null", "-"],
            timeout: timeout
        ) { data in
            // Lines arrive in pieces; handle whole ones.
            let lines: [Substring] = pending.withLock { text in
                text += String(decoding: data, as: UTF8.self)
                guard let last = text.lastIndex(of: "\n") else { return [] }
                let complete = text[..<last]
                let result = complete.split(separator: "\n")
                text = String(text[text.index(after: last)...])
                return result
            }
            for line in lines {
                if line.hasPrefix("frame:"), let range = line.range(of: "pts_time:") {
                    let value = line[range.upperBound...].split(separator: " ").first.flatMap { Double($0) }
                    if let value { cuts.withLock { $0.append(value) } }
                } else if line.hasPrefix("out_time_us="), let micros = Double(line.dropFirst("out_time_us=".count)), duration > 0 {
                    progress?(min(max(micros / 1_000_000 / duration, 0), 1))
                }
            }
        }
        guard output.status == 0 else { throw MediaError.notAVideo("ffmpeg could not decode the video: \(Subprocess.tail(output.stderr))") }
        var boundaries: [Double] = [0]
        for cut in cuts.withLock({ $0 }).sorted() where cut - (boundaries.last ?? 0) >= config.minSceneLength && duration - cut >= config.minSceneLength {
            boundaries.append(cut)
        }
        boundaries.append(duration)
        var scenes: [Scene] = []
        for index in 0..<(boundaries.count - 1) {
            let start = boundaries[index]
            let end = boundaries[index + 1]
            scenes.append(Scene(
                sceneId: index, startTime: start, endTime: end, startFrame: Int((start * fps).rounded()),
                endFrame: max(Int((end * fps).rounded()) - 1, Int((start * fps).rounded())), keyframe: nil))
        }
        if config.keyframes, let directory = outputDirectory {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for index in scenes.indices {
                let middle = (scenes[index].startTime + scenes[index].endTime) / 2
                let file = "\(directory)/scene_\(String(format: "%04d", index)).jpg"
                let result = try await Subprocess.run(
                    "ffmpeg", ["-hide_banner", "-nostdin", "-y", "-ss", String(format: "%.3f", middle), "-i", path, "-frames:v", "1", "-q:v", "3", file],
                    timeout: .seconds(60))
                if result.status == 0 { scenes[index].keyframe = file }
            }
        }
        if let directory = outputDirectory {
            try writeCOCO(scenes, path: path, metadata: metadata, directory: directory)
        }
        progress?(1)
        return scenes
    }

    /// VideoAnnotator's `<stem>_scene_detection.json`: one full-frame annotation per scene,
    /// its image keyed by the middle frame (zero-padded). No scene classifier runs here, so
    /// `scene_type` is "unknown", `all_scores` empty and `score` 1.0, as VideoAnnotator writes
    /// without CLIP.
    func writeCOCO(_ scenes: [Scene], path: String, metadata: MediaMetadata, directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let fps = metadata.video?.frameRate ?? 25
        let width = metadata.video?.width ?? 0
        let height = metadata.video?.height ?? 0
        var images: [JSONValue] = []
        var annotations: [JSONValue] = []
        for (index, scene) in scenes.enumerated() {
            let middle = (scene.startTime + scene.endTime) / 2
            let imageID = String(format: "%@_frame_%06d", stem, Int(middle * fps))
            let frameStart = Int(scene.startTime * fps)
            images.append([
                "id": .string(imageID), "width": .int(Int64(width)), "height": .int(Int64(height)),
                "file_name": .string(String(format: "frame_%06d.jpg", frameStart)), "video_id": .string(stem),
                "frame_number": .int(Int64(frameStart)), "timestamp": .double(middle),
            ])
            annotations.append([
                "id": .int(Int64(index + 1)), "image_id": .string(imageID), "category_id": 1,
                "bbox": [0, 0, .int(Int64(width)), .int(Int64(height))], "area": .int(Int64(width * height)), "iscrowd": 0, "score": 1.0,
                "video_id": .string(stem), "timestamp": .double(middle), "start_time": .double(scene.startTime), "end_time": .double(scene.endTime),
                "duration": .double(scene.duration), "scene_type": "unknown", "frame_start": .int(Int64(frameStart)),
                "frame_end": .int(Int64(scene.endTime * fps)), "all_scores": [:],
                "keyframe": scene.keyframe.map { .string(URL(fileURLWithPath: $0).lastPathComponent) } ?? .null,
            ])
        }
        try COCOWriter.envelope(
            "\(directory)/\(stem)_scene_detection.json", images: images, annotations: annotations,
            categories: [["id": 1, "name": "scene", "supercategory": "video_segment", "description": "Video scene segment with temporal bounds"]])
    }
}

/// What a pipeline is, for `GET /pipelines` and config validation.
public struct PipelineDescriptor: Sendable {
    public var name: String
    public var description: String
    /// JSON Schema of its configuration, with defaults and bounds.
    public var configSchema: PipelineJSON
    public var outputFormats: [String]

    /// Every problem with `config`, by field (unknown fields, wrong types, out of bounds).
    public func problems(_ config: [String: PipelineJSON]) -> [String: String] {
        var problems: [String: String] = [:]
        let properties: [String: PipelineJSON]
        if case .object(let object)? = configSchema["properties"] { properties = object } else { properties = [:] }
        for (key, value) in config {
            guard let schema = properties[key] else {
                problems[key] = "is not a setting of \(name)"
                continue
            }
            switch (schema["type"]?.stringValue, value) {
            case ("number", .int(let number)):
                if let why = Self.bounds(Double(number), schema) { problems[key] = why }
            case ("number", .double(let number)):
                if let why = Self.bounds(number, schema) { problems[key] = why }
            case ("integer", .int(let number)):
                if let why = Self.bounds(Double(number), schema) { problems[key] = why }
            case ("boolean", .bool):
                break
            case ("string", .string):
                break
            case (let type?, _):
                problems[key] = "must be \(type == "integer" ? "an integer" : type == "boolean" ? "true or false" : "a \(type)")"
            default:
                break
            }
        }
        return problems
    }

    static func bounds(_ value: Double, _ schema: PipelineJSON) -> String? {
        func number(_ key: String) -> Double? {
            switch schema[key] {
            case .int(let bound)?: Double(bound)
            case .double(let bound)?: bound
            default: nil
            }
        }
        if let minimum = number("minimum"), value < minimum { return "must be at least \(minimum)" }
        if let maximum = number("maximum"), value > maximum { return "must be at most \(maximum)" }
        return nil
    }
}
