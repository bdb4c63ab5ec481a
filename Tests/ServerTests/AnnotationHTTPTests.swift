import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PlatformSupport
import PlatformTesting
@testable import Server
import TaskEngine
import Testing

/// Media made with ffmpeg and espeak-ng for the annotation tests.
struct AnnotationMedia {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("annotation-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let outcome = try await Tools.run(tool, arguments)
        return (outcome.status, outcome.output)
    }

    /// Python from `.build/python-tools` (webvtt-py, pycocotools) on a script; its output.
    static func python(_ script: String, _ arguments: [String]) async throws -> String {
        let python = repositoryRoot.appendingPathComponent(".build/python-tools/bin/python").path
        return try await run(python, ["-c", script] + arguments).output
    }

    func ffmpeg(_ name: String, _ arguments: [String]) async throws -> String {
        let path = "\(directory)/\(name)"
        let result = try await Self.run("ffmpeg", ["-hide_banner", "-nostdin", "-y", "-loglevel", "error"] + arguments + [path])
        #expect(result.status == 0, "ffmpeg made \(name)")
        return path
    }

    /// 6 s: a face (the public-domain portrait) for 3 s, a hard cut to a test pattern for 3 s;
    /// espeak-ng speech from 1 s.
    func faceSpeechClip() async throws -> String {
        let spoken = "\(directory)/spoken.wav"
        #expect(try await Self.run("espeak-ng", ["-w", spoken, "hello world this is a test of the platform"]).status == 0)
        let portrait = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("MediaToolkitTests/Fixtures/astronaut.jpg").path
        return try await ffmpeg("clip.mp4", [
            "-loop", "1", "-t", "3", "-i", portrait, "-f", "lavfi", "-i", "testsrc=size=300x300:rate=10:duration=3", "-i", spoken,
            "-filter_complex",
            "[0:v]scale=300:300,fps=10,format=yuv420p,setsar=1[a];[1:v]format=yuv420p,setsar=1[b];[a][b]concat=n=2:v=1:a=0[v];[2:a]adelay=1000|1000,apad=whole_dur=6[s]",
            "-map", "[v]", "-map", "[s]", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "10", "-c:a", "aac", "-t", "6",
        ])
    }

    /// A long clip (300 s at 10 fps, small): person tracking at 60 samples/s takes minutes on it.
    func longClip() async throws -> String {
        try await ffmpeg("long.mp4", [
            "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:duration=300", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        ])
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// A multipart job submission.
func jobForm(video: (filename: String, data: [UInt8])?, pipelines: String? = nil, config: String? = nil) -> ByteBuffer {
    var parts: [(name: String, filename: String?, contentType: String?, data: [UInt8])] = []
    if let pipelines { parts.append(("selected_pipelines", nil, nil, Array(pipelines.utf8))) }
    if let config { parts.append(("config", nil, nil, Array(config.utf8))) }
    if let video { parts.append(("video", video.filename, "video/mp4", video.data)) }
    return multipart(parts)
}

extension TestClientProtocol {
    func submitJob(_ body: ByteBuffer, headers: HTTPFields, path: String = "/api/v1/jobs/") async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "multipart/form-data; boundary=----platform-test-boundary"
        return try await execute(uri: path, method: .post, headers: headers, body: body)
    }
}

/// Processes whose command line mentions `text` (the job's tools).
func processes(mentioning text: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
    }
}

@Suite("Annotation: VideoAnnotator's API end to end")
struct AnnotationHTTPTests {
    @Test("submit scene, face and audio on generated media; SSE progress; each result file in VideoAnnotator's format; the ZIP; other tenants get 404")
    func endToEnd() async throws {
        let storage = temporaryDirectory("annotation")
        let media = try AnnotationMedia()
        defer { media.remove() }
        let clip = try await media.faceSpeechClip()
        try await withTestDatabase("annotation_e2e", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["STORAGE_DIR": storage, "TASKS_POLL_MS": "100"])
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.live) { client in
                let port = try #require(client.port)
                _ = try await fixtures.setup("ann")
                _ = try await fixtures.setup("oth")
                let token = try await client.login("ann-member")["access_token"]?.stringValue ?? ""
                let member = bearer(.string(token))
                let other = bearer(try await client.login("oth-root")["access_token"])
                // The tenant's event stream is a super administrator's right (system:event:stream).
                let rootToken = try await client.login("ann-root")["access_token"]?.stringValue ?? ""

                let video = Array(try Data(contentsOf: URL(fileURLWithPath: clip)))
                let submitted = try await client.submitJob(
                    jobForm(video: ("clip.mp4", video), pipelines: "scene_detection,face_analysis,audio", config: #"{"scene_detection": {"threshold": 25}}"#),
                    headers: member, path: "/api/v1/jobs")
                #expect(submitted.status == .created)
                let job = submitted.jsonBody
                let id = try #require(job["id"]?.stringValue)
                #expect(job["status"] == "pending")
                #expect(job["video_filename"] == "clip.mp4")
                #expect(job["video_size_bytes"] == .int(Int64(video.count)))
                #expect(job["video_duration_seconds"] == 6)
                #expect(job["selected_pipelines"] == ["scene_detection", "face_analysis", "audio_processing"])
                #expect(job["config"] == ["scene_detection": ["threshold": 25]])

                // The stream of this job's events, resumed from the start of the log (Last-Event-ID
                // before every event), then live until the job completes.
                let stream = try await EventStreamReader(
                    url: "http://127.0.0.1:\(port)/api/v1/events/stream?job_id=\(id)&last_event_id=00000000-0000-7000-8000-000000000000", token: rootToken)
                let events = try await stream.read(until: { $0.contains("event: job.completed") || $0.contains("event: job.failed") }, within: 240)
                stream.close()
                #expect(events.contains("event: job.created"))
                #expect(events.contains("event: job.started"))
                #expect(events.components(separatedBy: "event: job.pipeline_completed").count - 1 == 3)
                #expect(events.contains("event: job.completed"))
                #expect(events.contains("\"progress\":100"))
                #expect(!events.contains("event: task."), "only the job's own subject")

                let done = try await client.get("/api/v1/jobs/\(id)", headers: member).jsonBody
                #expect(done["status"] == "completed")
                #expect(done["completed_at"]?.stringValue != nil)
                #expect(done["error_message"] == nil)
                #expect(done["result_path"]?.stringValue != nil)

                let results = try await client.get("/api/v1/jobs/\(id)/results", headers: member).jsonBody
                #expect(results["status"] == "completed")
                for name in ["scene_detection", "face_analysis", "audio_processing", "speech_recognition", "speaker_diarization"] {
                    #expect(results["pipeline_results"]?[name]?["status"] == "completed", "\(name)")
                    #expect(results["pipeline_results"]?[name]?["download_url"]?.stringValue == "/api/v1/jobs/\(id)/results/files/\(name)", "\(name)")
                }
                #expect(results["pipeline_results"]?["scene_detection"]?["output_file"] == "clip_scene_detection.json")
                #expect((results["pipeline_results"]?["face_analysis"]?["annotation_count"]?.intValue ?? 0) > 0)

                // Scene JSON: COCO plus the top-level `scenes` array, with the cut at 3 s.
                let scene = try await client.get("/api/v1/jobs/\(id)/results/files/scene_detection", headers: member)
                #expect(scene.status == .ok)
                #expect(scene.headers[.contentDisposition]?.contains("clip_scene_detection.json") == true)
                let sceneJSON = scene.jsonBody
                let scenes = sceneJSON["scenes"]?.arrayValue ?? []
                #expect(scenes.count == 2)
                #expect(abs((scenes.first?["end_time"]?.doubleValue ?? 0) - 3) < 0.2)
                #expect(scenes.allSatisfy { ($0["duration"]?.doubleValue ?? 0) > 0 })
                #expect(sceneJSON["annotations"]?.arrayValue?.count == 2)
                #expect(sceneJSON["categories"]?.arrayValue?.first?["name"] == "scene")

                // Face COCO: pycocotools loads it.
                let face = try await client.get("/api/v1/jobs/\(id)/results/files/face_analysis", headers: member)
                #expect(face.status == .ok)
                let faceFile = "\(media.directory)/faces.json"
                try Data(face.body.readableBytesView).write(to: URL(fileURLWithPath: faceFile))
                let loaded = try await AnnotationMedia.python(
                    "import sys; from pycocotools.coco import COCO; c = COCO(sys.argv[1]); print(len(c.getAnnIds()))", [faceFile])
                #expect(Int(loaded.split(separator: "\n").last ?? "") == results["pipeline_results"]?["face_analysis"]?["annotation_count"]?.intValue)

                // WebVTT: first line exactly WEBVTT, HH:MM:SS.mmm, webvtt-py parses it.
                let vtt = try await client.get("/api/v1/jobs/\(id)/results/files/speech_recognition", headers: member)
                #expect(vtt.status == .ok)
                #expect(vtt.headers[.contentType]?.hasPrefix("text/vtt") == true)
                #expect(vtt.text.split(separator: "\n", omittingEmptySubsequences: false).first == "WEBVTT")
                for line in vtt.text.split(separator: "\n") where line.contains("-->") {
                    #expect(line.wholeMatch(of: /\d\d:\d\d:\d\d\.\d\d\d --> \d\d:\d\d:\d\d\.\d\d\d/) != nil, "\(line)")
                }
                let vttFile = "\(media.directory)/speech.vtt"
                try Data(vtt.body.readableBytesView).write(to: URL(fileURLWithPath: vttFile))
                let parsed = try await AnnotationMedia.python("import sys, webvtt; print(len(webvtt.read(sys.argv[1]).captions))", [vttFile])
                #expect(Int(parsed.trimmingCharacters(in: .whitespacesAndNewlines)) != nil, "webvtt-py: \(parsed)")

                // RTTM: SPEAKER lines of 10 fields with positive durations.
                let rttm = try await client.get("/api/v1/jobs/\(id)/results/files/speaker_diarization", headers: member)
                #expect(rttm.status == .ok)
                let lines = rttm.text.split(separator: "\n")
                #expect(!lines.isEmpty)
                for line in lines {
                    let fields = line.split(separator: " ")
                    #expect(fields.count == 10 && fields[0] == "SPEAKER", "\(line)")
                    #expect((Double(fields.count > 4 ? fields[4] : "") ?? 0) > 0, "\(line)")
                }

                // The ZIP: the video and every output, readable by Python's zipfile (CRCs checked).
                let zip = try await client.get("/api/v1/jobs/\(id)/artifacts", headers: member)
                #expect(zip.status == .ok)
                #expect(zip.headers[.contentType] == "application/zip")
                let zipFile = "\(media.directory)/artifacts.zip"
                try Data(zip.body.readableBytesView).write(to: URL(fileURLWithPath: zipFile))
                let listing = try await AnnotationMedia.python(
                    "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.testzip()); print(len(z.read('clip.mp4'))); print('\\n'.join(z.namelist()))",
                    [zipFile])
                let zipLines = listing.split(separator: "\n").map(String.init)
                #expect(zipLines.first == "None", "zip: \(listing)")
                #expect(zipLines.dropFirst().first == String(video.count))
                for name in ["results/clip_scene_detection.json", "results/clip_face_detections.json", "results/clip_speech_recognition.vtt",
                             "results/clip_speaker_diarization.rttm", "results/clip_audio.json"] {
                    #expect(zipLines.contains(name), "\(name) in the ZIP")
                }

                // Each output is an artifact of the job's task, its bytes in the tenant's blob storage.
                let taskID = try #require(done["task_id"]?.stringValue)
                let artifacts = try await client.get("/api/v1/artifacts?task_id=\(taskID)&limit=100", headers: member).jsonBody
                let recorded = artifacts["items"]?.arrayValue ?? []
                #expect(Set(recorded.compactMap { $0["node_key"]?.stringValue })
                    == ["scene_detection", "face_analysis", "audio_processing", "speech_recognition", "speaker_diarization"], "\(artifacts)")
                #expect(recorded.allSatisfy { $0["type"] == "result" && $0["data"]?["job_id"]?.stringValue == id })

                // A finished job cannot be cancelled.
                let late = try await client.post("/api/v1/jobs/\(id)/cancel", [:], headers: member)
                #expect(late.status == .conflict)
                #expect(late.jsonBody["error"]?["code"] == "JOB_ALREADY_COMPLETED")
                #expect(late.jsonBody["detail"]?.stringValue?.lowercased().contains("cannot cancel") == true)

                // Another tenant: 404 on every route.
                for (method, path) in [
                    (HTTPRequest.Method.get, "/api/v1/jobs/\(id)"), (.get, "/api/v1/jobs/\(id)/results"),
                    (.get, "/api/v1/jobs/\(id)/results/files/scene_detection"), (.get, "/api/v1/jobs/\(id)/artifacts"),
                    (.post, "/api/v1/jobs/\(id)/cancel"), (.delete, "/api/v1/jobs/\(id)"),
                ] {
                    let response = try await client.execute(uri: path, method: method, headers: other)
                    #expect(response.status == .notFound, "\(method) \(path)")
                    #expect(response.jsonBody["error"]?["code"] == "JOB_NOT_FOUND", "\(method) \(path)")
                }
                #expect(try await client.get("/api/v1/jobs", headers: other).jsonBody["total"] == 0)

                let metrics = try await client.get("/api/v1/system/metrics", headers: member).jsonBody
                #expect(metrics["metrics"]?["jobs_total"] == 1)
                #expect(metrics["metrics"]?["jobs_completed"] == 1)
                #expect((metrics["metrics"]?["total_annotations"]?.intValue ?? 0) > 0)

                // Delete: 204, then 404, files gone.
                #expect(try await client.delete("/api/v1/jobs/\(id)", headers: member).status == .noContent)
                #expect(try await client.get("/api/v1/jobs/\(id)", headers: member).status == .notFound)
                let leftovers = FileManager.default.enumerator(atPath: storage)?.allObjects.compactMap { $0 as? String }.filter { $0.contains(id) } ?? []
                #expect(leftovers.isEmpty, "files left: \(leftovers)")
                // Its artifacts went with it, so their blobs can be swept.
                #expect(try await client.get("/api/v1/artifacts?task_id=\(taskID)", headers: member).jsonBody["total"] == 0)
            }
        }
    }
}

extension JSONValue {
    var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    var intValue: Int? {
        if case .int(let value) = self { return Int(value) }
        return nil
    }
}

@Suite("Annotation: bad input, pipelines, validation, debug and system routes")
struct AnnotationRouteTests {
    @Test("bad submissions are clear 4xx in VideoAnnotator's envelope (with a top-level detail); list paging and filters; both path forms")
    func badInput() async throws {
        let storage = temporaryDirectory("annotation-bad")
        let media = try AnnotationMedia()
        defer { media.remove() }
        let tiny = Array(try Data(contentsOf: URL(fileURLWithPath: try await media.ffmpeg("tiny.mp4", [
            "-f", "lavfi", "-i", "testsrc=size=64x64:rate=5:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
        ]))))
        try await withTestDatabase("annotation_bad", runPool: false) { database, _ in
            // No worker: jobs stay pending, so their statuses are known.
            let dependencies = try await makeDependencies(database, ["STORAGE_DIR": storage, "TASKS_SERVE_CONCURRENCY": "0"])
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("bad")
                let member = bearer(try await client.login("bad-member")["access_token"])

                let invalidJSON = try await client.submitJob(jobForm(video: ("a.mp4", tiny), pipelines: "scene_detection", config: "invalid json {{{"), headers: member)
                #expect(invalidJSON.status == .badRequest)
                #expect(invalidJSON.jsonBody["error"]?["code"] == "INVALID_REQUEST")
                #expect(invalidJSON.jsonBody["error"]?["hint"]?.stringValue?.isEmpty == false)
                #expect(invalidJSON.jsonBody["detail"] == "Invalid JSON configuration")
                #expect(invalidJSON.jsonBody["error"]?["timestamp"]?.stringValue?.contains("T") == true)

                let unknown = try await client.submitJob(jobForm(video: ("a.mp4", tiny), pipelines: "scene_detection,warp_drive,teleport"), headers: member)
                #expect(unknown.status == .badRequest)
                #expect(unknown.jsonBody["error"]?["code"] == "INVALID_CONFIG")
                let unknownDetail = unknown.jsonBody["detail"]?.stringValue ?? ""
                #expect(unknownDetail.contains("warp_drive") && unknownDetail.contains("teleport") && unknownDetail.contains("unknown pipeline"))
                #expect(unknownDetail.contains("person_tracking"), "the available pipelines are named")

                let outOfRange = try await client.submitJob(
                    jobForm(video: ("a.mp4", tiny), pipelines: "scene_detection,face_analysis",
                            config: #"{"scene_detection": {"threshold": 500, "min_scene_length": -1}, "face_analysis": {"pps": "fast"}}"#),
                    headers: member)
                #expect(outOfRange.status == .badRequest)
                #expect(outOfRange.jsonBody["error"]?["code"] == "INVALID_CONFIG")
                let rangeDetail = outOfRange.jsonBody["detail"]?.stringValue ?? ""
                #expect(rangeDetail.hasPrefix("Configuration validation failed"))
                for field in ["threshold", "min_scene_length", "pps"] { #expect(rangeDetail.contains(field), "\(field) named") }
                #expect(rangeDetail.components(separatedBy: "; ").count == 3)

                let noVideo = try await client.submitJob(jobForm(video: nil, pipelines: "scene_detection"), headers: member)
                #expect(noVideo.status == .unprocessableContent)
                #expect(noVideo.jsonBody["detail"]?.arrayValue?.first?["loc"] == ["video"])
                let empty = try await client.submitJob(jobForm(video: ("empty.mp4", [])), headers: member)
                #expect(empty.status == .unprocessableContent)
                #expect(empty.jsonBody["error"]?["message"]?.stringValue?.contains("empty") == true)
                let text = try await client.submitJob(jobForm(video: ("notes.mp4", Array("just some text, not a video\n".utf8))), headers: member)
                #expect(text.status == .unprocessableContent)
                #expect(try await client.post("/api/v1/jobs", ["video": "x"], headers: member).status == .unprocessableContent)
                // Nothing of the refused uploads is kept.
                let kept = FileManager.default.enumerator(atPath: storage)?.allObjects.compactMap { $0 as? String }.filter { $0.hasSuffix(".mp4") } ?? []
                #expect(kept.isEmpty, "\(kept)")

                // 100 unknown settings: accepted (unknown keys are warnings), the config kept as sent.
                let many = "{" + (0..<100).map { "\"setting_\($0)\": \($0)" }.joined(separator: ", ") + "}"
                let accepted = try await client.submitJob(jobForm(video: ("tiny.mp4", tiny), pipelines: "scene", config: many), headers: member)
                #expect(accepted.status == .created)
                #expect(accepted.jsonBody["config"]?["setting_99"] == 99)
                #expect(accepted.jsonBody["selected_pipelines"] == ["scene_detection"])
                // A JSON-array string of names, and the no-slash path.
                let arrayForm = try await client.submitJob(jobForm(video: ("tiny.mp4", tiny), pipelines: #"["face", "audio_processing"]"#), headers: member, path: "/api/v1/jobs")
                #expect(arrayForm.status == .created)
                #expect(arrayForm.jsonBody["selected_pipelines"] == ["face_analysis", "audio_processing"])
                let plain = try await client.submitJob(jobForm(video: ("tiny.mp4", tiny), pipelines: ""), headers: member)
                #expect(plain.status == .created)
                #expect(plain.jsonBody["selected_pipelines"] == nil)
                #expect(plain.jsonBody["config"] == [:])

                for path in ["/api/v1/jobs", "/api/v1/jobs/"] {
                    let list = try await client.get(path, headers: member).jsonBody
                    #expect(list["total"] == 3 && list["page"] == 1 && list["per_page"] == 10, "\(path)")
                    #expect(list["jobs"]?.arrayValue?.first?["id"] == plain.jsonBody["id"], "newest first")
                }
                let paged = try await client.get("/api/v1/jobs/?page=2&per_page=2", headers: member).jsonBody
                #expect(paged["jobs"]?.arrayValue?.count == 1)
                #expect(try await client.get("/api/v1/jobs?status_filter=pending", headers: member).jsonBody["total"] == 3)
                #expect(try await client.get("/api/v1/jobs?status_filter=completed", headers: member).jsonBody["total"] == 0)
                #expect(try await client.get("/api/v1/jobs?status_filter=sleeping", headers: member).status == .unprocessableContent)
                #expect(try await client.get("/api/v1/jobs?status_filter=", headers: member).status == .unprocessableContent)
                #expect(try await client.get("/api/v1/jobs?per_page=500", headers: member).status == .unprocessableContent)
                #expect(try await client.get("/api/v1/jobs?page=", headers: member).status == .unprocessableContent)

                let missing = try await client.get("/api/v1/jobs/nonexistent-job-id", headers: member)
                #expect(missing.status == .notFound)
                #expect(missing.jsonBody["error"]?["code"] == "JOB_NOT_FOUND")
                #expect(missing.jsonBody["error"]?["message"]?.stringValue?.contains("nonexistent-job-id") == true)
                #expect(missing.jsonBody["error"]?["hint"]?.stringValue?.contains("GET /api/v1/jobs") == true)
                #expect(missing.jsonBody["detail"]?.stringValue?.lowercased().contains("not found") == true)

                // Cancel a pending job: 200, idempotent; results list it.
                let id = accepted.jsonBody["id"]?.stringValue ?? ""
                for _ in 0..<2 {
                    let cancelled = try await client.post("/api/v1/jobs/\(id)/cancel", [:], headers: member)
                    #expect(cancelled.status == .ok)
                    #expect(cancelled.jsonBody["status"] == "cancelled")
                    #expect(cancelled.jsonBody["error_message"] == "Job cancelled by user request")
                    #expect(cancelled.jsonBody["completed_at"]?.stringValue != nil)
                }
                #expect(try await client.get("/api/v1/jobs/\(id)/results", headers: member).jsonBody["status"] == "cancelled")
                let noResults = try await client.get("/api/v1/jobs/\(id)/results/files/scene_detection", headers: member)
                #expect(noResults.status == .badRequest)
                #expect(noResults.jsonBody["error"]?["code"] == "INVALID_REQUEST")
            }
        }
    }

    @Test("pipelines from the toolkit (aliases too), per-field validation, debug for administrators only, system health for the viewer, API keys")
    func pipelinesDebugSystem() async throws {
        try await withTestDatabase("annotation_routes", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["TASKS_SERVE_CONCURRENCY": "0"])
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let tenant = try await fixtures.setup("pip")
                try await fixtures.user("pip-operator", tenants: [tenant.id], admin: true)
                let member = bearer(try await client.login("pip-member")["access_token"])
                let root = bearer(try await client.login("pip-root")["access_token"])
                let operatorToken = try await client.login("pip-operator")["access_token"]?.stringValue ?? ""
                let admin = bearer(.string(operatorToken))

                for path in ["/api/v1/pipelines", "/api/v1/pipelines/"] {
                    let list = try await client.get(path, headers: member).jsonBody
                    let names = list["pipelines"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
                    #expect(names.starts(with: ["scene_detection", "person_tracking", "face_analysis", "audio_processing"]), "\(path)")
                    #expect(list["total"] == .int(Int64(names.count)))
                }
                let scene = try await client.get("/api/v1/pipelines/scene", headers: member).jsonBody
                #expect(scene["name"] == "scene_detection")
                #expect(scene["config_schema"]?["properties"]?["threshold"]?["default"] == 30)
                #expect(scene["enabled"] == true && scene["display_name"] == "Scene detection")
                let none = try await client.get("/api/v1/pipelines/nonexistent-pipeline", headers: member)
                #expect(none.status == .notFound)
                #expect(none.jsonBody["error"]?["code"] == "PIPELINE_NOT_FOUND")
                #expect(none.jsonBody["error"]?["message"]?.stringValue?.contains("nonexistent-pipeline") == true)
                #expect(none.jsonBody["error"]?["hint"]?.stringValue?.contains("videoannotator pipelines") == true)

                let checked = try await client.post(
                    "/api/v1/pipelines/person_tracking/validate", ["config": ["pps": 100, "unknown_field": true, "scale": 1.2]], headers: member).jsonBody
                #expect(checked["valid"] == false)
                #expect(checked["errors"]?.arrayValue?.count == 1)
                #expect(checked["errors"]?.arrayValue?.first?["field"]?.stringValue?.contains("pps") == true)
                #expect(checked["errors"]?.arrayValue?.first?["code"] == "OUT_OF_RANGE")
                #expect(checked["errors"]?.arrayValue?.first?["hint"]?.stringValue?.contains("maximum 60") == true)
                #expect(checked["warnings"]?.arrayValue?.first?["field"]?.stringValue?.contains("unknown_field") == true)
                #expect(try await client.post("/api/v1/pipelines/person_tracking/validate", ["config": [:]], headers: member).jsonBody["valid"] == true)
                #expect(try await client.post("/api/v1/pipelines/warp/validate", ["config": [:]], headers: member).status == .notFound)
                let whole = try await client.post(
                    "/api/v1/config/validate",
                    ["config": ["scene_detection": ["threshold": 0], "face": ["min_neighbors": 2.5]], "selected_pipelines": ["scene_detection", "face_analysis"]],
                    headers: member).jsonBody
                #expect(whole["valid"] == false)
                #expect(whole["pipelines_validated"] == ["scene_detection", "face_analysis"])
                #expect(Set(whole["errors"]?.arrayValue?.compactMap { $0["pipeline"]?.stringValue } ?? []) == ["scene_detection", "face_analysis"])
                let shared = try await client.post(
                    "/api/v1/config/validate", ["config": ["pps": 2], "selected_pipelines": ["face_analysis", "person_tracking"]], headers: member).jsonBody
                #expect(shared["valid"] == true)
                #expect(try await client.post("/api/v1/config/validate", ["config": [:]], headers: member).status == .unprocessableContent)

                // Debug: platform administrators only; no secret in what it says.
                for path in ["/api/v1/debug/server-info", "/api/v1/debug/token-info", "/api/v1/debug/pipelines", "/api/v1/debug/background-jobs",
                             "/api/v1/debug/request-log", "/api/v1/debug/mock-events", "/api/v1/debug/jobs/\(UUID())"] {
                    #expect(try await client.get(path, headers: member).status == .forbidden, "member: \(path)")
                    #expect(try await client.get(path, headers: root).status == .forbidden, "tenant super admin: \(path)")
                }
                let info = try await client.get("/api/v1/debug/token-info", headers: admin)
                #expect(info.status == .ok)
                #expect(info.jsonBody["token"]?["type"] == "access_token")
                #expect(info.jsonBody["is_platform_admin"] == true)
                #expect(!info.text.contains(operatorToken) && !info.text.lowercased().contains("password"))
                let server = try await client.get("/api/v1/debug/server-info", headers: admin)
                #expect(server.status == .ok)
                #expect(!server.text.lowercased().contains("secret") && !server.text.contains("postgres://"))
                #expect(try await client.get("/api/v1/debug/mock-events", headers: admin).status == .notFound)
                let tools = try await client.get("/api/v1/debug/pipelines", headers: admin).jsonBody
                #expect(tools["pipelines"]?.arrayValue?.first?["tools"]?.arrayValue?.first?["installed"] == true)
                let background = try await client.get("/api/v1/debug/background-jobs", headers: admin).jsonBody
                #expect(background["background_processing"]?["running"] == false, "this application runs no worker")
                #expect(background["background_processing"]?["concurrent_jobs"] == 0)
                let log = try await client.get("/api/v1/debug/request-log?limit=5", headers: admin).jsonBody
                let logged = log["requests"]?.arrayValue ?? []
                #expect(logged.count == 5)
                #expect(logged.contains { $0["path"] == "/api/v1/debug/pipelines" && $0["status_code"] == 200 })
                #expect(!logged.contains { $0["path"]?.stringValue?.contains("?") == true })
                #expect(try await client.get("/api/v1/debug/request-log?limit=0", headers: admin).status == .unprocessableContent)
                #expect(try await client.get("/api/v1/debug/jobs/\(UUID())", headers: admin).status == .notFound)

                // System health: what the viewer reads.
                let health = try await client.get("/api/v1/system/health").jsonBody
                #expect(health["security"]?["auth_required"] == true)
                #expect(health["services"]?["database"]?["status"] == "healthy")
                #expect(health["workers"]?["status"] == "stopped")
                #expect(health["workers"]?["active_jobs"] == 0)
                #expect(try await client.get("/health").status == .ok)
                #expect(try await client.get("/api/v1/health").status == .ok)

                // The CLI's way in: an API key with the annotation scopes.
                let key = try await client.post(
                    "/api/v1/api-keys", ["name": "videoannotator cli", "scopes": ["annotation:job:list", "annotation:pipeline:read"]], headers: member)
                #expect(key.status == .created)
                let apiKey = bearer(key.jsonBody["key"])
                #expect(try await client.get("/api/v1/jobs/", headers: apiKey).jsonBody["total"] == 0)
                #expect(try await client.get("/api/v1/pipelines/", headers: apiKey).status == .ok)
                #expect(try await client.get("/api/v1/jobs/\(UUID())", headers: apiKey).status == .forbidden)
                #expect(try await client.get("/api/v1/jobs/").status == .unauthorized)
            }
        }
    }
}

@Suite("Annotation: jobs on workers (tenant slots, a killed worker, cancellation)")
struct AnnotationWorkerTests {
    @Test("one slot per tenant: the second job waits; a worker killed mid-job leaves it retrying; a cancel stops the running tool")
    func workers() async throws {
        let storage = temporaryDirectory("annotation-workers")
        let media = try AnnotationMedia()
        defer { media.remove() }
        let long = Array(try Data(contentsOf: URL(fileURLWithPath: try await media.longClip())))
        try await withTestDatabase("annotation_workers", runPool: false) { database, handle in
            let environment = [
                "STORAGE_DIR": storage, "TASKS_SERVE_CONCURRENCY": "0", "TASKS_LEASE_SECONDS": "2", "TASKS_POLL_MS": "100",
                "ANNOTATION_MAX_CONCURRENT_JOBS": "1",
            ]
            let dependencies = try await makeDependencies(database, environment)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.live) { client in
                _ = try await fixtures.setup("wrk")
                let member = bearer(try await client.login("wrk-member")["access_token"])
                let form = jobForm(video: ("long.mp4", long), pipelines: "person_tracking", config: #"{"pps": 60}"#)
                let first = try #require(try await client.submitJob(form, headers: member).jsonBody["id"]?.stringValue)
                let second = try #require(try await client.submitJob(form, headers: member).jsonBody["id"]?.stringValue)
                func job(_ id: String) async throws -> JSONValue { try await client.get("/api/v1/jobs/\(id)", headers: member).jsonBody }

                let victim = Process()
                victim.executableURL = try platformExecutable()
                victim.arguments = ["worker", "--id", "annotation-victim", "--concurrency", "2"]
                victim.environment = environment.merging([
                    "DATABASE_URL": handle.runtime.connectionString, "LOG_LEVEL": "error",
                    "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                ]) { _, new in new }
                victim.standardOutput = FileHandle.nullDevice
                victim.standardError = FileHandle.nullDevice
                try victim.run()
                defer { if victim.isRunning { kill(victim.processIdentifier, SIGKILL) } }

                // One of them runs with its tool; the other waits for the tenant's only slot.
                var victimJob: String?
                #expect(try await eventually(within: 60) {
                    for id in [first, second] where try await job(id)["status"] == "running" && !processes(mentioning: "\(id)/long.mp4").isEmpty {
                        victimJob = id
                        return true
                    }
                    return false
                })
                let interrupted = try #require(victimJob)
                let queued = interrupted == first ? second : first
                // It waits for the slot: pending, also while a worker looks for a free slot.
                #expect(try await eventually(within: 30) {
                    let state = try await job(queued)
                    return state["current_step"]?.stringValue?.hasPrefix("waiting") == true && state["status"] == "pending"
                })

                kill(victim.processIdentifier, SIGKILL)
                await Tools.waitForExit(victim)
                // Its lease runs out; the reaper (any worker's) hands the job back: retrying.
                #expect(try await eventually(within: 30) {
                    _ = try await database.withPlatformScope { tx in try await TaskStore.reapExpiredLeases(in: tx) }
                    return try await job(interrupted)["status"] == "retrying"
                })
                #expect(try await eventually(within: 10) { processes(mentioning: "\(interrupted)/long.mp4").isEmpty }, "the killed worker's tool died with its pipe")

                let survivor = dependencies.taskWorker(concurrency: 2, logger: Logger(label: "survivor"), id: "annotation-survivor")
                try await withServices([survivor]) {
                    // The survivor takes up both; the tenant's one slot goes to one of them.
                    var running: String?
                    #expect(try await eventually(within: 60) {
                        for id in [first, second] where try await job(id)["status"] == "running" && !processes(mentioning: "\(id)/long.mp4").isEmpty {
                            running = id
                            return true
                        }
                        return false
                    })
                    let active = try #require(running)
                    let waiting = active == first ? second : first
                    #expect(try await job(waiting)["status"] != "running", "one slot per tenant")
                    if active == interrupted { #expect(try await job(interrupted)["attempts"] == 2) }
                    let cancelledAt = ContinuousClock.now
                    let cancelled = try await client.post("/api/v1/jobs/\(active)/cancel", ["reason": "enough"], headers: member)
                    #expect(cancelled.jsonBody["status"] == "cancelled")
                    #expect(cancelled.jsonBody["error_message"] == "Job cancelled by user request: enough")
                    // The counterfactual is minutes of tracking; the tool is gone in well under that.
                    #expect(try await eventually(within: 30) { processes(mentioning: "\(active)/long.mp4").isEmpty })
                    let stopped = ContinuousClock.now - cancelledAt
                    print("annotation: the cancelled job's tool stopped \(stopped) after the cancel")
                    #expect(stopped < .seconds(30))
                    // The slot is free: the other job runs; deleting it stops it too.
                    #expect(try await eventually(within: 60) {
                        try await job(waiting)["status"] == "running" && !processes(mentioning: "\(waiting)/long.mp4").isEmpty
                    })
                    #expect(try await client.delete("/api/v1/jobs/\(waiting)", headers: member).status == .noContent)
                    #expect(try await eventually(within: 30) { processes(mentioning: "\(waiting)/long.mp4").isEmpty })
                    #expect(try await client.get("/api/v1/jobs/\(waiting)", headers: member).status == .notFound)
                    #expect(try await job(active)["status"] == "cancelled")
                }
            }
        }
    }
}

@Suite("Annotation: a 1 GB upload")
struct AnnotationLargeUploadTests {
    @Test("a 1 GiB video streams to disk under a 256 MiB data limit; the server's memory stays flat; not a video: 422, nothing kept")
    func gigabyte() async throws {
        let storage = temporaryDirectory("annotation-large")
        defer { try? FileManager.default.removeItem(atPath: storage) }
        try await withTestDatabase("annotation_large") { database, handle in
            let fixtures = Fixtures(try await makeDependencies(database))
            _ = try await fixtures.setup("big")
            let file = storage + "/input.mp4"
            #expect(try await AnnotationMedia.run("sh", ["-c", "head -c \(1 << 30) /dev/urandom > '\(file)'"]).status == 0)
            let running = try await MemoryLimitedServer.start(
                database: handle.runtime.connectionString, storage: storage, dataLimit: 256 << 20, username: "big-member")
            defer { running.forceStop() }
            let (server, base, token) = (running.process, running.base, running.token)

            let upload = try await AnnotationMedia.run("curl", [
                "-s", "-w", "\n%{http_code}", "-H", "Authorization: Bearer \(token)", "-F", "video=@\(file)", "-F", "selected_pipelines=scene",
                base + "/api/v1/jobs/",
            ])
            let lines = upload.output.split(separator: "\n")
            #expect(lines.last == "422", "\(upload.output)")
            #expect(upload.output.contains("not a video"))
            #expect(server.isRunning)
            let status = (try? String(contentsOfFile: "/proc/\(server.processIdentifier)/status", encoding: .utf8)) ?? ""
            let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
                .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") } ?? Int.max
            print("annotation: peak RSS during a 1 GiB upload: \(peak) kB")
            // A quarter of the upload's size, mapped code included: the bytes went to disk, not memory.
            #expect(peak < 256 * 1024, "peak RSS \(peak) kB")
            let kept = FileManager.default.enumerator(atPath: storage + "/store")?.allObjects.compactMap { $0 as? String }.filter { $0.hasSuffix(".mp4") } ?? []
            #expect(kept.isEmpty, "\(kept)")
            await running.stop()
        }
    }
}
