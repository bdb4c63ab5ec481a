import CVisionShim
import Foundation
import PlatformSupport
import Synchronization

/// Links detections across frames: each detection joins the track whose last box overlaps it
/// most (IoU at least `minimumIoU`, seen within `maximumGap` sampled frames), else starts one.
public struct IoUTracker: Sendable {
    public struct Track: Sendable, Equatable {
        public var id: Int
        public var lastBox: [Double]
        public var lastFrame: Int
    }

    public var minimumIoU: Double
    public var maximumGap: Int
    public private(set) var tracks: [Track] = []
    private var nextID = 1

    public init(minimumIoU: Double = 0.3, maximumGap: Int = 5) {
        self.minimumIoU = minimumIoU
        self.maximumGap = maximumGap
    }

    public static func iou(_ a: [Double], _ b: [Double]) -> Double {
        let left = max(a[0], b[0])
        let top = max(a[1], b[1])
        let right = min(a[0] + a[2], b[0] + b[2])
        let bottom = min(a[1] + a[3], b[1] + b[3])
        let intersection = max(0, right - left) * max(0, bottom - top)
        let union = a[2] * a[3] + b[2] * b[3] - intersection
        return union > 0 ? intersection / union : 0
    }

    /// Track ids for the boxes of one frame (index `frame` among the sampled frames).
    public mutating func assign(_ boxes: [[Double]], frame: Int) -> [Int] {
        var ids = Array(repeating: 0, count: boxes.count)
        var taken = Set<Int>()
        // Best overlaps first, so two boxes never share a track.
        var pairs: [(box: Int, track: Int, iou: Double)] = []
        for (b, box) in boxes.enumerated() {
            for (t, track) in tracks.enumerated() where frame - track.lastFrame <= maximumGap {
                let overlap = Self.iou(box, track.lastBox)
                if overlap >= minimumIoU { pairs.append((b, t, overlap)) }
            }
        }
        for pair in pairs.sorted(by: { $0.iou > $1.iou }) where ids[pair.box] == 0 && !taken.contains(pair.track) {
            ids[pair.box] = tracks[pair.track].id
            taken.insert(pair.track)
            tracks[pair.track].lastBox = boxes[pair.box]
            tracks[pair.track].lastFrame = frame
        }
        for (b, box) in boxes.enumerated() where ids[b] == 0 {
            ids[b] = nextID
            tracks.append(Track(id: nextID, lastBox: box, lastFrame: frame))
            nextID += 1
        }
        return ids
    }
}

/// The `person` pipeline: OpenCV's HOG people detector on sampled frames and an IoU tracker,
/// written as VideoAnnotator's `<stem>_person_tracking.json`. The detector finds no pose, so
/// every annotation carries 51 zero keypoints and `num_keypoints: 0` (the viewer requires the
/// array); people are labelled parent/infant by relative height as VideoAnnotator does.
public struct PersonTracker: Sendable {
    public struct Config: Codable, Sendable, Equatable {
        public var pps: Double = 5
        /// SVM margin a window must pass (0: OpenCV's default).
        public var hitThreshold: Double = 0
        public var scale: Double = 1.05
        public var minimumIoU: Double = 0.3

        public init(pps: Double = 5, hitThreshold: Double = 0, scale: Double = 1.05, minimumIoU: Double = 0.3) {
            self.pps = pps
            self.hitThreshold = hitThreshold
            self.scale = scale
            self.minimumIoU = minimumIoU
        }
    }

    public static let descriptor = PipelineDescriptor(
        name: "person_tracking", description: "People (OpenCV HOG detector) tracked across frames by overlap, as COCO JSON with track ids",
        configSchema: [
            "type": "object", "additionalProperties": false,
            "properties": [
                "pps": ["type": "number", "minimum": 0.1, "maximum": 60, "default": 5],
                "hit_threshold": ["type": "number", "minimum": -2, "maximum": 5, "default": 0],
                "scale": ["type": "number", "minimum": 1.01, "maximum": 2, "default": 1.05],
                "minimum_iou": ["type": "number", "minimum": 0.05, "maximum": 0.95, "default": 0.3],
            ],
        ],
        outputFormats: ["coco_json"])

    public struct Detection: Sendable, Equatable {
        public var frameNumber: Int
        public var timestamp: Double
        public var box: [Double]
        public var score: Double
        public var trackID: Int
    }

    public let config: Config

    public init(config: Config = Config()) {
        self.config = config
    }

    public func track(
        _ path: String, outputDirectory: String, timeout: Duration = .seconds(3600), progress: (@Sendable (Double) -> Void)? = nil
    ) async throws -> (detections: [Detection], file: String?) {
        let metadata = try await MetadataProbe.probe(path)
        let fps = metadata.video?.frameRate ?? 25
        let width = metadata.video?.width ?? 0
        let height = metadata.video?.height ?? 0
        let config = self.config
        let state = Mutex((tracker: IoUTracker(minimumIoU: config.minimumIoU), detections: [Detection]()))
        try await FrameSampler.sample(path, rate: config.pps, metadata: metadata, timeout: timeout, progress: progress) { index, gray in
            guard let base = gray.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
            var boxes = [Int32](repeating: 0, count: 4 * 64)
            var weights = [Double](repeating: 0, count: 64)
            let count = cvshim_detect_people(base, Int32(width), Int32(height), Int32(width), config.hitThreshold, config.scale, &boxes, &weights, 64)
            guard count > 0 else { return }
            let found = (0..<min(Int(count), 64)).map { i in (0..<4).map { Double(boxes[4 * i + $0]) } }
            let frameNumber = Int((Double(index) / config.pps * fps).rounded())
            state.withLock { current in
                let ids = current.tracker.assign(found, frame: index)
                for (i, box) in found.enumerated() {
                    // The SVM margin squashed into 0-1, as the viewer expects a probability-like score.
                    let score = 1 / (1 + exp(-weights[i]))
                    current.detections.append(Detection(frameNumber: frameNumber, timestamp: Double(frameNumber) / fps, box: box, score: score, trackID: ids[i]))
                }
            }
        }
        let detections = state.withLock { $0.detections }
        guard !detections.isEmpty else { return ([], nil) }
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        // Person ids in order of first appearance; labels from average height relative to the tallest.
        var order: [Int] = []
        for detection in detections where !order.contains(detection.trackID) { order.append(detection.trackID) }
        var heights: [Int: Double] = [:]
        for id in order {
            let boxes = detections.filter { $0.trackID == id }.map { $0.box[3] }
            heights[id] = boxes.reduce(0, +) / Double(boxes.count)
        }
        let tallest = heights.values.max() ?? 1
        let file = "\(outputDirectory)/\(stem)_person_tracking.json"
        try COCOWriter.write(
            file, stem: stem, width: width, height: height,
            annotations: detections.map { detection in
                let number = (order.firstIndex(of: detection.trackID) ?? 0) + 1
                let relative = (heights[detection.trackID] ?? tallest) / max(tallest, 1)
                let infant = relative < 0.4
                let reasoning = infant
                    ? String(format: "Small relative height (%.2f < 0.4)", relative) : String(format: "Large relative height (%.2f >= 0.4)", relative)
                return (imageID: "\(stem)_frame_\(detection.frameNumber)", frameNumber: detection.frameNumber, timestamp: detection.timestamp,
                        fields: [
                            "category_id": 1, "keypoints": .array(Array(repeating: .int(0), count: 51)), "num_keypoints": 0,
                            "bbox": .array(detection.box.map { .double($0) }), "area": .double(detection.box[2] * detection.box[3]), "iscrowd": 0,
                            "score": .double(detection.score), "track_id": .int(Int64(detection.trackID)), "timestamp": .double(detection.timestamp),
                            "frame_number": .int(Int64(detection.frameNumber)), "person_id": .string(String(format: "person_%@_%03d", stem, number)),
                            "person_label": .string(infant ? "infant" : "parent"), "label_confidence": 0.7,
                            "labeling_method": "size_based_inference", "size_based_reasoning": .string(reasoning),
                        ])
            },
            categories: [[
                "id": 1, "name": "person", "supercategory": "person",
                "keypoints": ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
                              "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"],
                "skeleton": [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8], [7, 9], [8, 10], [9, 11],
                             [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]],
            ]])
        return (detections, file)
    }
}
