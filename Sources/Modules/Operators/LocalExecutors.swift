import Foundation
import MediaToolkit
import PlatformServices
import PlatformSupport

/// The modes that run on this machine: `cli` (an allow-listed executable, arguments as a list,
/// no shell, time and output limits) and `builtin` (the media toolkit's pipelines and frame
/// extraction on an asset's stored file).
extension OperatorRunner {
    func runCLI(_ settings: JSONValue, _ call: OperatorCall) async throws -> OperatorOutcome {
        guard let command = settings["command"]?.stringValue else { throw OperatorRunFailure.failed("exec_config.cli.command is missing") }
        guard self.settings.cliExecutables.contains(command) else {
            throw OperatorRunFailure.failed("\(command) is not on the administrator's allow-list of executables (OPERATOR_CLI_EXECUTABLES)")
        }
        let scope = Self.scope(call)
        let arguments = (settings["args"]?.arrayItems ?? []).map { TemplateText.render($0.stringValue ?? "", scope: scope) }
        var environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "OPERATOR_INPUT": TemplateText.text(call.input)]
        if let asset = call.asset { environment["OPERATOR_ASSET_ID"] = asset.id.uuidString.lowercased() }
        if case .object(let extra)? = settings["env"] {
            for (name, value) in extra where ExecConfigRules.safeEnvironmentName(name) { if let text = value.stringValue { environment[name] = text } }
        }
        let limit = min(JSONSchema.integer(settings["timeout_sec"] ?? .null) ?? self.settings.cliMaxSeconds, self.settings.cliMaxSeconds)
        let directory = try Self.workDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output: Subprocess.Output
        do {
            output = try await Subprocess.run(
                command, arguments, timeout: .seconds(limit), environment: environment, workingDirectory: directory,
                maxOutputBytes: self.settings.cliMaxOutputBytes)
        } catch let error as MediaError {
            throw OperatorRunFailure.failed(Self.describe(error))
        }
        let stderr = String(decoding: output.stderr.suffix(2000), as: UTF8.self)
        guard output.status == 0 else {
            throw OperatorRunFailure.failed("\(command) exited with status \(output.status)" + (stderr.isEmpty ? "" : ": \(stderr.suffix(500))"))
        }
        var diagnostics: [String: JSONValue] = ["exit_code": .int(Int64(output.status)), "stdout_bytes": .int(Int64(output.stdout.count))]
        if !stderr.isEmpty { diagnostics["stderr"] = .string(String(stderr.suffix(500))) }
        return OperatorOutcome(output: Self.parsed(String(decoding: output.stdout, as: UTF8.self)), diagnostics: diagnostics)
    }

    static func describe(_ error: MediaError) -> String {
        switch error {
        case .unreadable(let why), .notAVideo(let why), .timedOut(let why), .toolMissing(let why), .outputTooLarge(let why), .failed(let why):
            String(why.prefix(500))
        }
    }

    static func workDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("operator-\(UUID().uuidString.lowercased())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The asset's file on the local disk.
    func localFile(_ call: OperatorCall) throws -> String {
        guard let asset = call.asset else { throw OperatorRunFailure.failed("builtin operators run on an asset: give asset_id") }
        guard let hash = asset.fileHash else { throw OperatorRunFailure.failed("the asset \(asset.name) has no stored file (only a path elsewhere)") }
        guard let local = storage as? LocalDiskBlobStorage else { throw OperatorRunFailure.failed("the storage keeps no local files to run pipelines on") }
        let path = local.localPath(namespace: call.tenantID.uuidString.lowercased(), sha256: hash)
        guard FileManager.default.fileExists(atPath: path) else { throw OperatorRunFailure.failed("the asset's content is missing from storage") }
        return path
    }

    func runBuiltin(_ settings: JSONValue, _ call: OperatorCall) async throws -> OperatorOutcome {
        guard let pipeline = settings["pipeline"]?.stringValue else { throw OperatorRunFailure.failed("exec_config.builtin.pipeline is missing") }
        var config: [String: JSONValue] = [:]
        if case .object(let given)? = settings["config"] { config = given }
        // A test call's or a node's params override the version's pipeline settings.
        if case .object(let params) = call.input {
            for (key, value) in params where ExecConfigRules.pipelineProblems(pipeline, [key: value]).isEmpty { config[key] = value }
        }
        let path = try localFile(call)
        let timeout = Duration.seconds(JSONSchema.integer(settings["timeout_sec"] ?? 1800) ?? 1800)
        let directory = try Self.workDirectory()
        var outcome: OperatorOutcome
        do {
            outcome = try await BuiltinPipelines(path: path, directory: directory, timeout: timeout).run(pipeline, config)
        } catch let error as MediaError {
            try? FileManager.default.removeItem(atPath: directory)
            throw OperatorRunFailure.failed(Self.describe(error))
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        outcome.workDirectory = directory
        outcome.diagnostics["pipeline"] = .string(pipeline)
        return outcome
    }
}

/// The toolkit's pipelines with GoyaVision's output layout: `results`, `timeline`,
/// `output_assets` (files the run produced), plus each pipeline's own fields.
struct BuiltinPipelines: Sendable {
    let path: String
    let directory: String
    let timeout: Duration

    static func number(_ value: JSONValue?) -> Double? { value.flatMap(JSONSchema.number) }

    func run(_ pipeline: String, _ config: [String: JSONValue]) async throws -> OperatorOutcome {
        switch pipeline {
        case "scene_detection":
            var settings = SceneDetector.Config()
            if let value = Self.number(config["threshold"]) { settings.threshold = value }
            if let value = Self.number(config["min_scene_length"]) { settings.minSceneLength = value }
            if case .bool(let value)? = config["keyframes"] { settings.keyframes = value }
            let scenes = try await SceneDetector(config: settings).detect(path, outputDirectory: directory, timeout: timeout)
            let results: [JSONValue] = scenes.map { scene in
                [
                    "scene_id": .int(Int64(scene.sceneId)), "start_time": .double(scene.startTime), "end_time": .double(scene.endTime),
                    "start_frame": .int(Int64(scene.startFrame)), "end_frame": .int(Int64(scene.endFrame)), "duration": .double(scene.duration),
                ]
            }
            let files = scenes.compactMap { scene in
                scene.keyframe.map { ProducedFile(path: $0, filename: "scene_\(scene.sceneId).jpg", contentType: "image/jpeg", info: ["scene_id": .int(Int64(scene.sceneId))]) }
            }
            let timeline: [JSONValue] = scenes.map { ["start": .double($0.startTime), "end": .double($0.endTime), "label": .string("scene \($0.sceneId)")] }
            return outcome(["scene_count": .int(Int64(scenes.count)), "results": .array(results), "timeline": .array(timeline)], files: files)
        case "face_analysis":
            var settings = FaceDetector.Config()
            if let value = Self.number(config["pps"]) { settings.pps = value }
            if let value = Self.number(config["scale_factor"]) { settings.scaleFactor = value }
            if let value = Self.number(config["min_neighbors"]) { settings.minNeighbors = Int(value) }
            if let value = Self.number(config["min_face_size"]) { settings.minFaceSize = Int(value) }
            let found = try await FaceDetector(config: settings).detect(path, outputDirectory: directory, timeout: timeout)
            let results: [JSONValue] = found.detections.map { detection in
                [
                    "frame_number": .int(Int64(detection.frameNumber)), "timestamp": .double(detection.timestamp),
                    "face_index": .int(Int64(detection.faceIndex)), "bbox": .array(detection.box.map { .int(Int64($0)) }),
                ]
            }
            return outcome(["face_count": .int(Int64(results.count)), "results": .array(results), "timeline": []], files: [])
        case "person_tracking":
            var settings = PersonTracker.Config()
            if let value = Self.number(config["pps"]) { settings.pps = value }
            if let value = Self.number(config["hit_threshold"]) { settings.hitThreshold = value }
            if let value = Self.number(config["scale"]) { settings.scale = value }
            if let value = Self.number(config["minimum_iou"]) { settings.minimumIoU = value }
            let found = try await PersonTracker(config: settings).track(path, outputDirectory: directory, timeout: timeout)
            let results: [JSONValue] = found.detections.map { detection in
                [
                    "frame_number": .int(Int64(detection.frameNumber)), "timestamp": .double(detection.timestamp), "track_id": .int(Int64(detection.trackID)),
                    "bbox": .array(detection.box.map { .double($0) }), "score": .double(detection.score),
                ]
            }
            return outcome(["detection_count": .int(Int64(results.count)), "results": .array(results), "timeline": []], files: [])
        case "audio_processing":
            var settings = AudioAnalyzer.Config()
            if let value = Self.number(config["silence_threshold_db"]) { settings.silenceThresholdDb = value }
            if let value = Self.number(config["min_silence"]) { settings.minSilence = value }
            if case .bool(let value)? = config["transcribe"] { settings.transcribe = value }
            let report = try await AudioAnalyzer(config: settings).analyze(path, outputDirectory: directory, timeout: timeout)
            var output = try Self.json(report)
            if case .object(var object) = output {
                object["files"] = nil
                object["results"] = .array(report.transcript.map { ["start": .double($0.start), "end": .double($0.end), "text": .string($0.text)] })
                object["timeline"] = .array(report.speech.map { ["start": .double($0.start), "end": .double($0.end), "label": "speech"] })
                output = .object(object)
            }
            return outcome(output, files: [])
        case "metadata":
            var output = try Self.json(try await MetadataProbe.probe(path, timeout: timeout, requireVideo: false))
            if case .object(var object) = output {
                object["path"] = nil
                object["results"] = []
                object["timeline"] = []
                output = .object(object)
            }
            return outcome(output, files: [])
        case "frame_extraction":
            return try await frames(config)
        default:
            throw MediaError.failed("unknown pipeline \(pipeline)")
        }
    }

    func outcome(_ output: JSONValue, files: [ProducedFile]) -> OperatorOutcome {
        var output = output
        if case .object(var object) = output {
            object["output_assets"] = .array(files.map { file in
                var entry: [String: JSONValue] = ["filename": .string(file.filename), "content_type": .string(file.contentType)]
                if case .object(let info) = file.info { for (key, value) in info { entry[key] = value } }
                return .object(entry)
            })
            output = .object(object)
        }
        return OperatorOutcome(output: output, files: files)
    }

    /// Frames every 1/fps seconds (at most `max_frames`), as JPEG files.
    func frames(_ config: [String: JSONValue]) async throws -> OperatorOutcome {
        let fps = Self.number(config["fps"]) ?? 1
        let maximum = config["max_frames"].flatMap(JSONSchema.integer) ?? 10
        var filter = "fps=\(fps)"
        if let width = config["width"].flatMap(JSONSchema.integer) { filter += ",scale=\(width):-2" }
        let result = try await Subprocess.run(
            "ffmpeg", ["-hide_banner", "-nostdin", "-y", "-i", path, "-vf", filter, "-frames:v", String(maximum), "-q:v", "3", "\(directory)/frame_%05d.jpg"],
            timeout: timeout)
        guard result.status == 0 else { throw MediaError.notAVideo("ffmpeg could not extract frames: \(String(decoding: result.stderr.suffix(300), as: UTF8.self))") }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasPrefix("frame_") }.sorted()
        let files = names.enumerated().map { index, name in
            ProducedFile(
                path: "\(directory)/\(name)", filename: name, contentType: "image/jpeg",
                info: ["index": .int(Int64(index)), "timestamp": .double((Double(index) / fps * 1000).rounded() / 1000)])
        }
        let results: [JSONValue] = files.map { $0.info }
        return outcome(["frame_count": .int(Int64(files.count)), "fps": .double(fps), "results": .array(results), "timeline": []], files: files)
    }

    static func json<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: PlatformJSON.makeEncoder().encode(value))
    }
}
