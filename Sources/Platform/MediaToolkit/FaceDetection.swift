import CVisionShim
import Foundation
import PlatformSupport
import Synchronization

/// Grayscale frames of a video at `rate` frames per second, decoded by ffmpeg and handed to
/// `body` one at a time (never the whole video in memory).
enum FrameSampler {
    static func sample(
        _ path: String, rate: Double, metadata: MediaMetadata, timeout: Duration,
        progress: (@Sendable (Double) -> Void)?, _ body: @escaping @Sendable (_ index: Int, _ gray: UnsafeRawBufferPointer) -> Void
    ) async throws {
        guard let video = metadata.video, let width = video.width, let height = video.height, width > 0, height > 0 else {
            throw MediaError.notAVideo("the file has no video stream")
        }
        let frameSize = width * height
        let expected = max(1, Int((metadata.duration * rate).rounded(.up)))
        // Bytes of the frame being assembled; whole frames are handed on and dropped at once,
        // so at most one frame (plus a pipe read) is ever held.
        let state = Mutex((buffer: [UInt8](), index: 0))
        let output = try await Subprocess.run(
            "ffmpeg",
            ["-hide_banner", "-nostats", "-nostdin", "-loglevel", "error", "-i", path, "-an", "-sn",
             "-vf", "fps=\(rate),format=gray", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
            timeout: timeout, keepOutput: false
        ) { data in
            state.withLock { current in
                current.buffer.append(contentsOf: data)
                var start = 0
                while current.buffer.count - start >= frameSize {
                    current.buffer.withUnsafeBytes { bytes in
                        body(current.index, UnsafeRawBufferPointer(rebasing: bytes[start..<(start + frameSize)]))
                    }
                    start += frameSize
                    current.index += 1
                    progress?(min(Double(current.index) / Double(expected), 1))
                }
                if start > 0 { current.buffer.removeFirst(start) }
            }
        }
        guard output.status == 0 else { throw MediaError.notAVideo("ffmpeg could not decode the video: \(Subprocess.tail(output.stderr))") }
    }
}

/// The `face` pipeline: OpenCV's frontal-face Haar cascade on sampled frames, written as
/// VideoAnnotator's `<stem>_face_detections.json` (COCO; category 100 "face", score 1.0: a
/// cascade gives no confidence).
public struct FaceDetector: Sendable {
    public struct Config: Codable, Sendable, Equatable {
        /// Frames per second sampled (VideoAnnotator's `pps`).
        public var pps: Double = 5
        public var scaleFactor: Double = 1.1
        public var minNeighbors: Int = 5
        public var minFaceSize: Int = 30

        public init(pps: Double = 5, scaleFactor: Double = 1.1, minNeighbors: Int = 5, minFaceSize: Int = 30) {
            self.pps = pps
            self.scaleFactor = scaleFactor
            self.minNeighbors = minNeighbors
            self.minFaceSize = minFaceSize
        }
    }

    public static let cascadePath = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"

    public static let descriptor = PipelineDescriptor(
        name: "face_analysis", description: "Face detection with OpenCV's Haar cascade on sampled frames, as COCO JSON",
        configSchema: [
            "type": "object", "additionalProperties": false,
            "properties": [
                "pps": ["type": "number", "minimum": 0.1, "maximum": 60, "default": 5],
                "scale_factor": ["type": "number", "minimum": 1.01, "maximum": 2, "default": 1.1],
                "min_neighbors": ["type": "integer", "minimum": 1, "maximum": 50, "default": 5],
                "min_face_size": ["type": "integer", "minimum": 8, "maximum": 2000, "default": 30],
            ],
        ],
        outputFormats: ["coco_json"])

    public struct Detection: Sendable, Equatable {
        public var frameNumber: Int
        public var timestamp: Double
        public var faceIndex: Int
        public var box: [Int]
    }

    public let config: Config

    public init(config: Config = Config()) {
        self.config = config
    }

    /// Detects faces; writes `<stem>_face_detections.json` into `outputDirectory` when any are
    /// found (as VideoAnnotator does) and returns the detections and that file.
    public func detect(
        _ path: String, outputDirectory: String, timeout: Duration = .seconds(3600), progress: (@Sendable (Double) -> Void)? = nil
    ) async throws -> (detections: [Detection], file: String?) {
        let metadata = try await MetadataProbe.probe(path)
        guard let cascade = cvshim_cascade_load(Self.cascadePath) else {
            throw MediaError.toolMissing("the Haar cascade \(Self.cascadePath) is missing (Debian package opencv-data)")
        }
        let handle = CascadeHandle(cascade)
        let fps = metadata.video?.frameRate ?? 25
        let width = metadata.video?.width ?? 0
        let height = metadata.video?.height ?? 0
        let config = self.config
        let found = Mutex<[Detection]>([])
        try await FrameSampler.sample(path, rate: config.pps, metadata: metadata, timeout: timeout, progress: progress) { index, gray in
            guard let base = gray.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
            var boxes = [Int32](repeating: 0, count: 4 * 64)
            var scores = [Double](repeating: 0, count: 64)
            let count = cvshim_detect_faces(
                handle.pointer, base, Int32(width), Int32(height), Int32(width), config.scaleFactor, Int32(config.minNeighbors),
                Int32(config.minFaceSize), &boxes, &scores, 64)
            guard count > 0 else { return }
            let frameNumber = Int((Double(index) / config.pps * fps).rounded())
            let detections = (0..<min(Int(count), 64)).map { face in
                Detection(
                    frameNumber: frameNumber, timestamp: Double(frameNumber) / fps, faceIndex: face,
                    box: (0..<4).map { Int(boxes[4 * face + $0]) })
            }
            found.withLock { $0.append(contentsOf: detections) }
        }
        let detections = found.withLock { $0 }
        guard !detections.isEmpty else { return ([], nil) }
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let file = "\(outputDirectory)/\(stem)_face_detections.json"
        try COCOWriter.write(
            file, stem: stem, width: width, height: height,
            annotations: detections.map { detection in
                let box = detection.box.map { JSONValue.double(Double($0)) }
                return (imageID: "\(stem)_frame_\(detection.frameNumber)", frameNumber: detection.frameNumber, timestamp: detection.timestamp,
                        fields: [
                            "category_id": 100, "bbox": .array(box), "area": .double(Double(detection.box[2] * detection.box[3])), "iscrowd": 0,
                            "score": 1.0, "face_id": .int(Int64(detection.faceIndex)), "timestamp": .double(detection.timestamp),
                            "frame_number": .int(Int64(detection.frameNumber)), "backend": "opencv",
                        ])
            },
            categories: [["id": 100, "name": "face", "supercategory": "person"]])
        return (detections, file)
    }
}

/// Owns a loaded cascade; freed with the last reference. OpenCV's CascadeClassifier is used
/// from one frame callback at a time (the sampler calls `body` under its lock).
final class CascadeHandle: Sendable {
    // The pointer is only dereferenced by OpenCV inside FrameSampler's locked callback, one
    // frame at a time, and freed in deinit when nothing can use it any more.
    nonisolated(unsafe) let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { cvshim_cascade_free(pointer) }
}

/// VideoAnnotator's COCO envelope: info, licenses, images (one per frame with detections, ids
/// `"<stem>_frame_<n>"`), annotations (ids from 1), categories.
enum COCOWriter {
    static func write(
        _ file: String, stem: String, width: Int, height: Int,
        annotations: [(imageID: String, frameNumber: Int, timestamp: Double, fields: [String: JSONValue])], categories: [JSONValue]
    ) throws {
        var images: [JSONValue] = []
        var seen = Set<String>()
        var entries: [JSONValue] = []
        for (index, annotation) in annotations.enumerated() {
            if seen.insert(annotation.imageID).inserted {
                images.append([
                    "id": .string(annotation.imageID), "width": .int(Int64(width)), "height": .int(Int64(height)),
                    "file_name": .string(String(format: "frame_%06d.jpg", annotation.frameNumber)), "video_id": .string(stem),
                    "frame_number": .int(Int64(annotation.frameNumber)), "timestamp": .double(annotation.timestamp),
                ])
            }
            var fields = annotation.fields
            fields["id"] = .int(Int64(index + 1))
            fields["image_id"] = .string(annotation.imageID)
            entries.append(.object(fields))
        }
        try envelope(file, images: images, annotations: entries, categories: categories)
    }

    /// The file itself: VideoAnnotator's `info` block, then the lists.
    static func envelope(_ file: String, images: [JSONValue], annotations: [JSONValue], categories: [JSONValue]) throws {
        let year = Calendar(identifier: .gregorian).component(.year, from: Date())
        let document: JSONValue = [
            "info": [
                "description": "VideoAnnotator COCO Export", "version": "platform-media-toolkit", "year": .int(Int64(year)),
                "contributor": "VideoAnnotator", "date_created": .string(ISO8601DateFormatter().string(from: Date())),
            ],
            "licenses": [], "images": .array(images), "annotations": .array(annotations), "categories": .array(categories),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(document).write(to: URL(fileURLWithPath: file))
    }
}
