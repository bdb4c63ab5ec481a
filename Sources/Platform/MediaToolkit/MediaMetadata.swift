import Foundation
import PlatformSupport

/// What ffprobe says about a media file.
public struct MediaMetadata: Codable, Sendable, Equatable {
    public struct Stream: Codable, Sendable, Equatable {
        public var index: Int
        /// `video`, `audio`, `subtitle`, ...
        public var kind: String
        public var codec: String?
        public var width: Int?
        public var height: Int?
        public var frameRate: Double?
        public var frameCount: Int?
        public var bitRate: Int?
        public var channels: Int?
        public var sampleRate: Int?
        /// Degrees clockwise the picture must be turned for display.
        public var rotation: Int?
        public var duration: Double?
    }

    public var path: String
    public var container: String
    public var duration: Double
    public var size: Int64
    public var bitRate: Int?
    public var streams: [Stream]

    public var video: Stream? { streams.first { $0.kind == "video" } }
    public var audio: Stream? { streams.first { $0.kind == "audio" } }
}

/// The `metadata` pipeline: ffprobe, parsed.
public enum MetadataProbe {
    public static let descriptor = PipelineDescriptor(
        name: "metadata", description: "Duration, container, size and streams (codec, resolution, frame rate, bit rate, audio channels and sample rate, rotation), from ffprobe",
        configSchema: ["type": "object", "additionalProperties": false, "properties": [:]],
        outputFormats: ["json"])

    /// Every pipeline of the toolkit, for `GET /pipelines` and config validation.
    public static var pipelines: [PipelineDescriptor] {
        [descriptor, SceneDetector.descriptor, AudioAnalyzer.descriptor, FaceDetector.descriptor, PersonTracker.descriptor]
    }

    public static func probe(_ path: String, timeout: Duration = .seconds(30), requireVideo: Bool = true) async throws -> MediaMetadata {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = (attributes?[.size] as? NSNumber)?.int64Value else { throw MediaError.unreadable("\(path) does not exist") }
        guard size > 0 else { throw MediaError.unreadable("\(path) is empty") }
        let output = try await Subprocess.run(
            "ffprobe", ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", path], timeout: timeout)
        guard output.status == 0 else {
            throw MediaError.notAVideo("ffprobe could not read the file: \(Subprocess.tail(output.stderr))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: output.stdout) as? [String: Any],
            let format = object["format"] as? [String: Any]
        else { throw MediaError.notAVideo("ffprobe gave no format information") }
        let streams = ((object["streams"] as? [[String: Any]]) ?? []).map(stream)
        let metadata = MediaMetadata(
            path: path, container: format["format_name"] as? String ?? "unknown",
            duration: double(format["duration"]) ?? streams.compactMap(\.duration).max() ?? 0, size: size,
            bitRate: int(format["bit_rate"]), streams: streams)
        if requireVideo {
            // Still images probe as one-frame "video" (image2 demuxer, mjpeg/png codec).
            guard let video = metadata.video, !["image2", "png_pipe", "jpeg_pipe"].contains(metadata.container) else {
                throw MediaError.notAVideo("the file has no video stream")
            }
            guard (video.width ?? 0) > 0, metadata.duration > 0 else { throw MediaError.notAVideo("the video stream has no frames") }
        }
        return metadata
    }

    static func double(_ value: Any?) -> Double? {
        if let number = value as? NSNumber { return number.doubleValue }
        if let text = value as? String { return Double(text) }
        return nil
    }

    static func int(_ value: Any?) -> Int? {
        if let number = value as? NSNumber { return number.intValue }
        if let text = value as? String { return Int(text) }
        return nil
    }

    /// `30000/1001` → 29.97.
    static func rate(_ value: Any?) -> Double? {
        guard let text = value as? String else { return nil }
        let parts = text.split(separator: "/")
        guard parts.count == 2, let numerator = Double(parts[0]), let denominator = Double(parts[1]), denominator > 0, numerator > 0 else {
            return Double(text)
        }
        return numerator / denominator
    }

    static func stream(_ entry: [String: Any]) -> MediaMetadata.Stream {
        var rotation: Int?
        if let tags = entry["tags"] as? [String: Any], let rotate = int(tags["rotate"]) { rotation = rotate }
        if let sideData = entry["side_data_list"] as? [[String: Any]] {
            for item in sideData { if let value = int(item["rotation"]) { rotation = (360 - value % 360) % 360 } }
        }
        return MediaMetadata.Stream(
            index: int(entry["index"]) ?? 0, kind: entry["codec_type"] as? String ?? "unknown", codec: entry["codec_name"] as? String,
            width: int(entry["width"]), height: int(entry["height"]), frameRate: rate(entry["avg_frame_rate"]) ?? rate(entry["r_frame_rate"]),
            frameCount: int(entry["nb_frames"]), bitRate: int(entry["bit_rate"]), channels: int(entry["channels"]),
            sampleRate: int(entry["sample_rate"]), rotation: rotation, duration: double(entry["duration"]))
    }
}
