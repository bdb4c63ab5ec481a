import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlatformSupport
import PlatformTesting
@testable import Server
import Testing

extension TestClientProtocol {
    /// Stores the tenant's YouTube Data API key as its secret.
    func storeYouTubeKey(_ key: String, headers: HTTPFields) async throws -> TestResponse {
        try await put("/api/v1/settings/secrets/youtube.api_key", ["value": .string(key)], headers: headers)
    }
}

@Suite("Analysis: accounts, crawls, snapshots")
struct AnalysisAccountTests {
    static let accountFields = [
        "id", "account_id", "display_name", "username", "profile_url", "channel_url", "description", "avatar_url", "is_verified", "category",
        "subscriber_count", "is_active", "last_crawled_at", "video_crawl_limit", "created_at", "updated_at", "deleted_at", "uploads_playlist_id",
        "country", "published_at", "is_scheduled", "schedule_interval", "cron_string", "latest_snapshot",
    ]
    static let videoFields = [
        "id", "target_account_id", "video_id", "video_url", "asset_id", "title", "description", "thumbnail_url", "duration", "published_at",
        "category_id", "default_audio_language", "analysis_results", "analysis_status", "analysis_error", "is_downloaded", "created_at", "updated_at",
        "deleted_at", "latest_snapshot", "asset",
    ]
    static let taskFields = [
        "id", "task_type", "status", "priority", "dependencies", "target_account_id", "video_id", "error_message", "started_at", "completed_at",
        "created_at", "updated_at",
    ]

    @Test("quick-add, crawl through the stub API: account and video snapshots; a second crawl adds snapshots and updates counts; other tenants get 404")
    func crawlEndToEnd() async throws {
        let stub = YouTubeStub()
        let storage = temporaryDirectory("analysis-crawl")
        try await withStubServer(stub.router) { base in
            try await withTestDatabase("analysis_crawl", runPool: false) { database, _ in
                let dependencies = try await makeDependencies(database, analysisEnvironment(base, storage: storage))
                let fixtures = Fixtures(dependencies)
                try await buildApplication(dependencies).test(.router) { client in
                    _ = try await fixtures.setup("anc")
                    _ = try await fixtures.setup("ano")
                    let root = bearer(try await client.login("anc-root")["access_token"])
                    let member = bearer(try await client.login("anc-member")["access_token"])
                    let stranger = bearer(try await client.login("ano-root")["access_token"])
                    #expect(try await client.storeYouTubeKey(YouTubeStub.key, headers: root).status == .ok)

                    let added = try await client.post(
                        "/api/v1/analysis/accounts/quick-add",
                        ["channel_url": "https://www.youtube.com/@StubChannel", "category": "tech", "video_limit": 3, "schedule_interval": 3600],
                        headers: root)
                    #expect(added.status == .created, "\(added.text)")
                    let account = added.jsonBody
                    #expect(Set(account.objectKeys ?? []).isSuperset(of: Self.accountFields))
                    #expect(account["latest_snapshot"] == .null)
                    #expect(account["channel_url"] == "https://www.youtube.com/@stubchannel")
                    #expect(account["is_scheduled"] == true && account["schedule_interval"] == 3600 && account["cron_string"] == .null)
                    #expect(account["video_crawl_limit"] == 3 && account["category"] == "tech" && account["is_active"] == true)
                    let id = account.id

                    // The crawl queued at once: the profile and an account snapshot, then the videos.
                    #expect(try await eventually(within: 90) {
                        try await client.get("/api/v1/analysis/accounts/\(id)", headers: root).jsonBody["latest_snapshot"]?["id"] != nil
                    })
                    let tasks = try await client.get("/api/v1/analysis/tasks?account_id=\(id)", headers: root).jsonBody
                    #expect(tasks.arrayCount == 1)
                    let taskKeys = Set(tasks[0]?.objectKeys ?? [])
                    #expect(taskKeys.isSuperset(of: Self.taskFields))
                    #expect(tasks[0]?["task_type"] == "account_crawl" && tasks[0]?["trigger"] == "quick_add")
                    let first = try await client.finishedTask(tasks[0]?.id ?? "", headers: root, within: 90)
                    #expect(first["status"] == "completed", "\(first)")
                    #expect(first["task_output"]?["videos_new"] == 3)
                    let crawled = try await client.get("/api/v1/analysis/accounts/\(id)", headers: root).jsonBody
                    #expect(crawled["account_id"] == .string(YouTubeStub.channelID))
                    #expect(crawled["display_name"] == "Stub Channel" && crawled["username"] == "@stubchannel" && crawled["country"] == "US")
                    #expect(crawled["profile_url"] == "https://www.youtube.com/@stubchannel")
                    #expect(crawled["uploads_playlist_id"] == .string(YouTubeStub.uploads))
                    #expect(crawled["avatar_url"] == "https://yt3.example/high.jpg")
                    #expect(crawled["published_at"] == "2015-03-01T10:00:00.000Z")
                    #expect(crawled["subscriber_count"] == 1000 && crawled["last_crawled_at"] != .null)
                    let snapshot = try #require(crawled["latest_snapshot"])
                    #expect(snapshot["subscriber_count"] == 1000 && snapshot["total_videos_count"] == 3 && snapshot["total_views"] == 50_000)
                    #expect(snapshot["hidden_subscriber_count"] == false && snapshot["target_account_id"] == .string(id))

                    // Uploads were paged (two a page) and the details fetched in one batch.
                    #expect(stub.requests("playlistItems").map { $0["pageToken"] } == [nil, "page-2"])
                    #expect(stub.requests("videos").count == 1)
                    let videos = try await client.get("/api/v1/analysis/accounts/\(id)/videos", headers: root).jsonBody
                    #expect(videos.arrayValues?.map { $0["video_id"]?.stringValue ?? "" } == ["vidAAAAAAA3", "vidAAAAAAA2", "vidAAAAAAA1"])
                    let third = try #require(videos[0])
                    #expect(Set(third.objectKeys ?? []).isSuperset(of: Self.videoFields))
                    #expect(third["video_url"] == .string(base + "/clips/vidAAAAAAA3.mp4") && third["duration"] == 65)
                    #expect(third["category_id"] == "22" && third["default_audio_language"] == "en" && third["title"] == "Video 3")
                    #expect(third["is_downloaded"] == false && third["asset"] == .null && third["analysis_results"] == [:])
                    #expect(third["latest_snapshot"]?["views_count"] == 300 && third["latest_snapshot"]?["likes_count"] == 30)
                    #expect(videos[1]?["latest_snapshot"]?["likes_count"] == .null)
                    let byViews = try await client.get("/api/v1/analysis/videos?sort_by=views_count&limit=2", headers: root).jsonBody
                    #expect(byViews.arrayValues?.map { $0["video_id"]?.stringValue ?? "" } == ["vidAAAAAAA2", "vidAAAAAAA3"])
                    #expect(try await client.get("/api/v1/analysis/videos?sort_by=likes", headers: root).status == .unprocessableContent)

                    // Another form of the channel's URL finds the same account.
                    let again = try await client.post(
                        "/api/v1/analysis/accounts/quick-add", ["channel_url": .string("m.youtube.com/channel/\(YouTubeStub.channelID)/videos")], headers: root)
                    #expect(again.status == .ok && again.jsonBody.id == id)
                    let secondTask = try #require(
                        try await client.get("/api/v1/analysis/tasks?account_id=\(id)&limit=1", headers: root).jsonBody[0]?.id)
                    _ = try await client.finishedTask(secondTask, headers: root, within: 90)

                    // A later crawl: new numbers, a snapshot more of the account and of each video.
                    stub.update { state in
                        state.subscribers = 1500
                        state.videoViews["vidAAAAAAA1"] = 150
                    }
                    let triggered = try await client.post("/api/v1/analysis/accounts/\(id)/trigger-crawl", ["video_limit": 3], headers: root)
                    #expect(triggered.status == .ok && triggered.jsonBody["task_type"] == "account_crawl")
                    #expect(triggered.jsonBody["target_account_id"] == .string(id) && triggered.jsonBody["trigger"] == "manual")
                    #expect(try await client.finishedTask(triggered.jsonBody.id, headers: root, within: 90)["status"] == "completed")
                    let snapshots = try await client.get("/api/v1/analysis/accounts/\(id)/snapshots", headers: root).jsonBody
                    #expect(snapshots.arrayValues?.map { $0["subscriber_count"] ?? .null } == [1000, 1000, 1500])
                    #expect(try await client.get("/api/v1/analysis/accounts/\(id)/snapshots?skip=2&limit=5", headers: root).jsonBody.arrayCount == 1)
                    #expect(try await client.get("/api/v1/analysis/accounts/\(id)", headers: root).jsonBody["subscriber_count"] == 1500)
                    let firstVideo = try #require(videos[2]?.id)
                    let history = try await client.get("/api/v1/analysis/videos/\(firstVideo)/snapshots", headers: root).jsonBody
                    #expect(history.arrayValues?.map { $0["views_count"] ?? .null } == [100, 100, 150])
                    #expect(history[0]?["video_id"] == .string(firstVideo))
                    #expect(try await client.get("/api/v1/analysis/videos/vidAAAAAAA1/snapshots", headers: root).jsonBody == history)
                    #expect(try await client.get("/api/v1/analysis/videos", headers: root).jsonBody.arrayCount == 3)

                    // Members read; adding and crawling are granted separately.
                    #expect(try await client.get("/api/v1/analysis/accounts", headers: member).jsonBody.arrayCount == 1)
                    #expect(try await client.get("/api/v1/analysis/accounts?category=tech&is_active=true", headers: root).jsonBody.arrayCount == 1)
                    #expect(try await client.get("/api/v1/analysis/accounts?category=cooking", headers: root).jsonBody.arrayCount == 0)
                    #expect(try await client.post("/api/v1/analysis/accounts/quick-add", ["channel_url": "https://youtube.com/@other"], headers: member).status == .forbidden)

                    // Another tenant's ids answer 404, and its lists are empty.
                    let task = triggered.jsonBody.id
                    #expect(try await client.get("/api/v1/analysis/accounts/\(id)", headers: stranger).status == .notFound)
                    #expect(try await client.put("/api/v1/analysis/accounts/\(id)", ["category": "x"], headers: stranger).status == .notFound)
                    #expect(try await client.delete("/api/v1/analysis/accounts/\(id)", headers: stranger).status == .notFound)
                    #expect(try await client.post("/api/v1/analysis/accounts/\(id)/trigger-crawl", [:], headers: stranger).status == .notFound)
                    #expect(try await client.get("/api/v1/analysis/accounts/\(id)/snapshots", headers: stranger).status == .notFound)
                    #expect(try await client.get("/api/v1/analysis/accounts/\(id)/videos", headers: stranger).status == .notFound)
                    #expect(try await client.get("/api/v1/analysis/videos/\(firstVideo)/snapshots", headers: stranger).status == .notFound)
                    #expect(try await client.post("/api/v1/analysis/videos/\(firstVideo)/analyze", [:], headers: stranger).status == .notFound)
                    #expect(try await client.put("/api/v1/analysis/tasks/\(task)", ["status": "cancelled"], headers: stranger).status == .notFound)
                    #expect(try await client.post("/api/v1/tasks/monitoring/\(task)/retry", [:], headers: stranger).status == .notFound)
                    #expect(try await client.get("/api/v1/analysis/videos", headers: stranger).jsonBody == [])
                    #expect(try await client.get("/api/v1/analysis/tasks?account_id=\(id)", headers: stranger).jsonBody == [])
                    let foreign = try await client.post("/api/v1/analysis/videos/trigger-download", ["video_ids": [.string(firstVideo)]], headers: stranger)
                    #expect(foreign.jsonBody["results"]?[0]?["status"] == "not_found" && foreign.jsonBody["queued"] == 0)
                    let batch = try await client.post("/api/v1/analysis/accounts/batch-trigger-crawl", ["account_ids": [.string(id), "nope"]], headers: stranger)
                    #expect(batch.jsonBody["results"]?.arrayValues?.map { $0["status"]?.stringValue ?? "" } == ["not_found", "not_found"])

                    // Nothing downloaded or analysed: a plain delete; the account and its videos are gone.
                    let deleted = try await client.delete("/api/v1/analysis/accounts/\(id)", headers: root)
                    #expect(deleted.status == .ok && deleted.jsonBody["id"] == .string(id))
                    #expect(try await client.get("/api/v1/analysis/accounts/\(id)", headers: root).status == .notFound)
                    #expect(try await client.get("/api/v1/analysis/accounts", headers: root).jsonBody == [])
                    #expect(try await client.get("/api/v1/analysis/videos", headers: root).jsonBody == [])
                }
            }
        }
    }
}
