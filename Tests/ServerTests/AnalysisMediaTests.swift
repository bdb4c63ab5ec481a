import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PlatformSupport
import PlatformTesting
@testable import Server
import Testing

@Suite("Analysis: downloads and shot analysis")
struct AnalysisMediaTests {
    @Test("yt-dlp downloads become media assets (deduplicated by hash); a failed download retried through the monitoring routes; shot analysis; delete needs force")
    func downloadAndAnalyze() async throws {
        let clip = try await analysisClip()
        let hash = SHA256.hash(data: clip).map { String(format: "%02x", $0) }.joined()
        let stub = YouTubeStub(clip: clip)
        let storage = temporaryDirectory("analysis-media")
        try await withStubServer(stub.router) { base in
            try await withTestDatabase("analysis_media", runPool: false) { database, _ in
                let dependencies = try await makeDependencies(database, analysisEnvironment(base, storage: storage))
                let fixtures = Fixtures(dependencies)
                try await buildApplication(dependencies).test(.router) { client in
                    _ = try await fixtures.setup("anm")
                    _ = try await fixtures.setup("anx")
                    let root = bearer(try await client.login("anm-root")["access_token"])
                    let stranger = bearer(try await client.login("anx-root")["access_token"])
                    #expect(try await client.storeYouTubeKey(YouTubeStub.key, headers: root).status == .ok)
                    let account = try await client.post(
                        "/api/v1/analysis/accounts/quick-add", ["channel_url": "https://www.youtube.com/@stubchannel", "is_scheduled": false], headers: root
                    ).jsonBody.id
                    let crawl = try #require(try await client.get("/api/v1/analysis/tasks?account_id=\(account)", headers: root).jsonBody[0]?.id)
                    #expect(try await client.finishedTask(crawl, headers: root, within: 90)["status"] == "completed")
                    let videos = try await client.get("/api/v1/analysis/accounts/\(account)/videos", headers: root).jsonBody.arrayValues ?? []
                    var ids: [String: String] = [:]
                    for video in videos { ids[video["video_id"]?.stringValue ?? ""] = video.id }
                    let first = try #require(ids["vidAAAAAAA1"])

                    // While the clips answer 404 the downloads fail (after their retries)...
                    stub.update { $0.clipsMissing = true }
                    let triggered = try await client.post(
                        "/api/v1/analysis/videos/trigger-download", ["video_ids": [.string(first), "vidAAAAAAA2", "missing-video"], "priority": 20], headers: root)
                    #expect(triggered.status == .ok)
                    #expect(triggered.jsonBody["results"]?.arrayValues?.map { $0["status"]?.stringValue ?? "" } == ["queued", "queued", "not_found"])
                    #expect(triggered.jsonBody["queued"] == 2 && triggered.jsonBody["failed"] == 1)
                    let downloads = (triggered.jsonBody["results"]?.arrayValues ?? []).prefix(2).map { $0["task_id"]?.stringValue ?? "" }
                    for task in downloads {
                        let failed = try await client.finishedTask(task, headers: root, within: 120)
                        #expect(failed["status"] == "failed" && failed["attempts"] == 3, "\(failed)")
                        #expect(failed["error_message"]?.stringValue?.contains("404") == true, "\(failed)")
                    }
                    let failedTasks = try await client.get("/api/v1/analysis/tasks?task_type=video_download&status=failed", headers: root).jsonBody
                    #expect(failedTasks.arrayCount == 2 && failedTasks[0]?["priority"] == 20 && failedTasks[0]?["video_id"] != .null)

                    // ...and are retried once they are there: by the tasks module's retry route and by the analysis one.
                    stub.update { $0.clipsMissing = false }
                    let retried = try await client.post("/api/v1/tasks/monitoring/\(downloads[0])/retry", [:], headers: root)
                    #expect(retried.status == .ok && retried.jsonBody["job_id"] == .string(downloads[0]), "\(retried.text)")
                    let requeued = try await client.put("/api/v1/analysis/tasks/\(downloads[1])", ["status": "queued"], headers: root)
                    #expect(requeued.status == .ok && ["queued", "running", "completed"].contains(requeued.jsonBody["status"]?.stringValue ?? ""))
                    let done = try await client.finishedTask(downloads[0], headers: root, within: 120)
                    #expect(done["status"] == "completed", "\(done)")
                    let other = try await client.finishedTask(downloads[1], headers: root, within: 120)
                    #expect(other["status"] == "completed", "\(other)")
                    // Task outputs write ids in lowercase, answers as UUIDs (uppercase).
                    let asset = try #require(done["task_output"]?["asset_id"]?.stringValue?.uppercased())
                    // The same bytes twice: one asset, reused.
                    #expect(other["task_output"]?["asset_id"]?.stringValue?.uppercased() == asset)
                    let flags = [done, other].compactMap { $0["task_output"]?["deduplicated"] }
                    #expect(flags.contains(.bool(false)) && flags.contains(.bool(true)), "\(flags)")
                    #expect(try await client.get("/api/v1/files", headers: root).jsonBody["total"] == 1)
                    let downloaded = try await client.get("/api/v1/analysis/videos?limit=10", headers: root).jsonBody.arrayValues ?? []
                    let firstVideo = try #require(downloaded.first { $0.id == first })
                    #expect(firstVideo["is_downloaded"] == true && firstVideo["asset_id"] == .string(asset))
                    #expect(firstVideo["asset"]?["id"] == .string(asset) && firstVideo["asset"]?["file_hash"] == .string(hash))
                    #expect(firstVideo["asset"]?["asset_type"] == "video" && firstVideo["asset"]?["original_filename"]?.stringValue?.hasPrefix("vidAAAAAAA") == true)
                    #expect(firstVideo["asset"]?["download_url"]?.stringValue?.hasPrefix("/api/v1/files/") == true)
                    let libraryAsset = try await client.get("/api/v1/assets/\(asset)", headers: root).jsonBody
                    #expect(libraryAsset["source_type"] == "crawl" && libraryAsset["size"] == .int(Int64(clip.count)))
                    #expect(try await client.get("/api/v1/assets/\(asset)", headers: stranger).status == .notFound)
                    let again = try await client.post("/api/v1/analysis/videos/trigger-download", ["video_ids": [.string(first)]], headers: root)
                    #expect(again.jsonBody["results"]?[0]?["status"] == "already_downloaded" && again.jsonBody["skipped"] == 1)

                    // Shot analysis of the downloaded video: three shots, results and artifacts.
                    let analysis = try await client.post("/api/v1/analysis/videos/\(first)/analyze", [:], headers: root)
                    #expect(analysis.status == .ok && analysis.jsonBody["message"] != nil && analysis.jsonBody["waits_for"] == .null)
                    let job = try #require(analysis.jsonBody["job_id"]?.stringValue)
                    #expect(try await client.finishedTask(job, headers: root, within: 120)["status"] == "completed")
                    let analysed = try #require(try await client.get("/api/v1/analysis/videos", headers: root).jsonBody.arrayValues?.first { $0.id == first })
                    #expect(analysed["analysis_status"] == "completed" && analysed["analysis_error"] == .null)
                    let scenes = try #require(analysed["analysis_results"]?["scene_detection"])
                    #expect(scenes["scene_count"] == 3, "\(scenes)")
                    let starts = scenes["scenes"]?.arrayValues?.compactMap { value -> Double? in
                        switch value["start_time"] { case .double(let time)?: time; case .int(let time)?: Double(time); default: nil }
                    } ?? []
                    #expect(starts.count == 3 && abs(starts[1] - 2) < 0.3 && abs(starts[2] - 4) < 0.3, "\(starts)")
                    let artifacts = try await client.get("/api/v1/tasks/\(job)/artifacts", headers: root).jsonBody.arrayValues ?? []
                    let keys = Set(artifacts.compactMap { $0["node_key"]?.stringValue })
                    #expect(keys.isSuperset(of: ["scene_detection", "scene_detection.shots", "scene_detection.keyframe.0", "scene_detection.keyframe.2"]), "\(keys)")
                    #expect(artifacts.allSatisfy { $0["asset_id"] == .string(asset) })

                    // A video not downloaded yet is downloaded first; the analysis waits for it.
                    let chained = try await client.post("/api/v1/analysis/videos/vidAAAAAAA3/analyze", [:], headers: root)
                    #expect(chained.jsonBody["waits_for"] != .null, "\(chained.text)")
                    let chainedJob = try #require(chained.jsonBody["job_id"]?.stringValue)
                    let monitoring = try await client.get("/api/v1/analysis/tasks?video_id=\(ids["vidAAAAAAA3"] ?? "")", headers: root).jsonBody
                    #expect(Set(monitoring.arrayValues?.compactMap { $0["task_type"]?.stringValue } ?? []) == ["video_download", "video_analysis"])
                    #expect(monitoring[0]?["dependencies"] == [chained.jsonBody["waits_for"] ?? .null])
                    #expect(try await client.finishedTask(chainedJob, headers: root, within: 180)["status"] == "completed")
                    #expect(try await client.get("/api/v1/analysis/tasks?task_type=video_analysis&status=completed", headers: root).jsonBody.arrayCount == 2)

                    // Downloads and analyses keep the account unless the delete is forced.
                    let refused = try await client.delete("/api/v1/analysis/accounts/\(account)", headers: root)
                    #expect(refused.status == .conflict && refused.jsonBody["error"]?["code"] == "ACCOUNT_HAS_DOWNLOADS")
                    var headers = root
                    headers[.contentType] = "application/json"
                    let forced = try await client.execute(
                        uri: "/api/v1/analysis/accounts/\(account)", method: .delete, headers: headers, body: try .json(["force": true]))
                    #expect(forced.status == .ok)
                    // The asset stays in the media library.
                    #expect(try await client.get("/api/v1/assets/\(asset)", headers: root).status == .ok)
                }
            }
        }
    }

    @Test("a video larger than the download limit fails without retrying and leaves no asset")
    func sizeLimit() async throws {
        let clip = try await analysisClip()
        let stub = YouTubeStub(clip: clip)
        try await withStubServer(stub.router) { base in
            try await withTestDatabase("analysis_size_limit", runPool: false) { database, _ in
                let environment = analysisEnvironment(base, storage: temporaryDirectory("analysis-limit"), extra: ["ANALYSIS_DOWNLOAD_MAX_BYTES": "10000"])
                let dependencies = try await makeDependencies(database, environment)
                try await buildApplication(dependencies).test(.router) { client in
                    _ = try await Fixtures(dependencies).setup("anl")
                    let root = bearer(try await client.login("anl-root")["access_token"])
                    #expect(try await client.storeYouTubeKey(YouTubeStub.key, headers: root).status == .ok)
                    let account = try await client.post(
                        "/api/v1/analysis/accounts/quick-add", ["channel_url": "https://www.youtube.com/@stubchannel", "video_limit": 1], headers: root
                    ).jsonBody.id
                    let crawl = try #require(try await client.get("/api/v1/analysis/tasks?account_id=\(account)", headers: root).jsonBody[0]?.id)
                    #expect(try await client.finishedTask(crawl, headers: root, within: 90)["status"] == "completed")
                    let video = try #require(try await client.get("/api/v1/analysis/videos", headers: root).jsonBody[0]?.id)
                    let triggered = try await client.post("/api/v1/analysis/videos/trigger-download", ["video_ids": [.string(video)]], headers: root)
                    let task = try #require(triggered.jsonBody["results"]?[0]?["task_id"]?.stringValue)
                    let failed = try await client.finishedTask(task, headers: root, within: 120)
                    #expect(failed["status"] == "failed" && failed["attempts"] == 1, "\(failed)")
                    #expect(failed["error_message"]?.stringValue?.contains("larger than the download limit of 10000 bytes") == true)
                    #expect(try await client.get("/api/v1/assets", headers: root).jsonBody["total"] == 0)
                    #expect(try await client.get("/api/v1/analysis/videos", headers: root).jsonBody[0]?["is_downloaded"] == false)

                    // An analysis waiting for a download that fails is cancelled with it; the video is left as it was.
                    let analysis = try await client.post("/api/v1/analysis/videos/\(video)/analyze", [:], headers: root)
                    #expect(analysis.jsonBody["waits_for"] != .null, "\(analysis.text)")
                    let ended = try await client.finishedTask(analysis.jsonBody["job_id"]?.stringValue ?? "", headers: root, within: 120)
                    #expect(ended["status"] == "cancelled" && ended["error_message"]?.stringValue?.contains("dependency") == true, "\(ended)")
                    let after = try await client.get("/api/v1/analysis/videos", headers: root).jsonBody[0]
                    #expect(after?["analysis_status"] == .null && after?["is_downloaded"] == false)
                }
            }
        }
    }
}
