import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PlatformDatabase
import PlatformSupport
import PlatformTesting
@testable import Server
import ServiceLifecycle
import Testing

@Suite("Analysis: channel URLs, schedules, API failures")
struct AnalysisScheduleTests {
    @Test("URL forms accepted and refused (422 naming the forms); cron and interval validated on save; schedules set and stopped")
    func urlFormsAndSchedules() async throws {
        try await withTestDatabase("analysis_forms", runPool: false) { database, _ in
            // No API key anywhere: the crawls quick-add queues fail at once, saying what is missing.
            let dependencies = try await makeDependencies(database, ["YOUTUBE_API_BASE_URL": "http://127.0.0.1:9/youtube/v3", "TASKS_POLL_MS": "100"])
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("anf")
                let root = bearer(try await client.login("anf-root")["access_token"])
                let accepted: [(String, String)] = [
                    ("https://www.youtube.com/@Some.Handle-1", "https://www.youtube.com/@some.handle-1"),
                    ("youtube.com/@other_handle/videos?view=0", "https://www.youtube.com/@other_handle"),
                    ("http://m.youtube.com/channel/UCabcdefghijklmnopqrstuv", "https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv"),
                    ("https://www.youtube.com/c/SomeName", "https://www.youtube.com/c/somename"),
                    ("https://youtube.com/user/LegacyUser/featured#x", "https://www.youtube.com/user/legacyuser"),
                ]
                var first: String?
                for (url, canonical) in accepted {
                    let answer = try await client.post(
                        "/api/v1/analysis/accounts/quick-add", ["channel_url": .string(url), "is_scheduled": false], headers: root)
                    #expect(answer.status == .created, "\(url): \(answer.text)")
                    #expect(answer.jsonBody["channel_url"] == .string(canonical))
                    #expect(answer.jsonBody["is_scheduled"] == false && answer.jsonBody["next_crawl_at"] == .null)
                    first = first ?? answer.jsonBody.id
                }
                // The same channel in another spelling is the same account.
                let same = try await client.post("/api/v1/analysis/accounts/quick-add", ["channel_url": "https://YOUTUBE.com/@some.handle-1"], headers: root)
                #expect(same.status == .ok && same.jsonBody.id == first)
                let refused = [
                    "https://vimeo.com/@someone", "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube.com/channel/notachannelid",
                    "ftp://youtube.com/@abcd", "https://www.youtube.com/", "", "https://evil.example/www.youtube.com/@abcd",
                    "https://www.youtube.com:8443/@abcd", "https://www.youtube.com/@ab", "https://www.youtube.com/playlist?list=PL123",
                    "https://user:pw@www.youtube.com/@abcd",
                ]
                for url in refused {
                    let answer = try await client.post("/api/v1/analysis/accounts/quick-add", ["channel_url": .string(url)], headers: root)
                    #expect(answer.status == .unprocessableContent, "\(url) answered \(answer.status)")
                    #expect(answer.jsonBody["error"]?["details"]?["fields"]?["channel_url"]?.stringValue?.contains("/channel/UC") == true)
                }
                #expect(try await client.post("/api/v1/analysis/accounts/quick-add", ["category": "x"], headers: root).status == .unprocessableContent)

                // Schedules: cron expressions and intervals are checked before anything is saved.
                let badSchedules: [(JSONValue, String)] = [
                    (["cron_string": "61 * * * *"], "cron_string"), (["cron_string": "* * *"], "cron_string"),
                    (["cron_string": "*/0 * * * *"], "cron_string"), (["cron_string": "0 9 * * MON-FRIDAY"], "cron_string"),
                    (["schedule_interval": 10], "schedule_interval"), (["schedule_interval": 600, "cron_string": "0 * * * *"], "cron_string"),
                    (["video_limit": 0], "video_limit"), (["video_limit": 5000], "video_limit"),
                ]
                for (body, field) in badSchedules {
                    guard case .object(var fields) = body else { continue }
                    fields["channel_url"] = "https://www.youtube.com/@scheduled"
                    let answer = try await client.post("/api/v1/analysis/accounts/quick-add", .object(fields), headers: root)
                    #expect(answer.status == .unprocessableContent, "\(body)")
                    #expect(answer.jsonBody["error"]?["details"]?["fields"]?[field] != nil, "\(body): \(answer.text)")
                }
                #expect(try await client.get("/api/v1/analysis/accounts", headers: root).jsonBody.arrayCount == accepted.count)

                let cron = try await client.post(
                    "/api/v1/analysis/accounts/quick-add", ["channel_url": "https://www.youtube.com/@scheduled", "cron_string": "*/15  9-17 * * MON-FRI"],
                    headers: root)
                #expect(cron.status == .created)
                #expect(cron.jsonBody["cron_string"] == "*/15 9-17 * * MON-FRI" && cron.jsonBody["schedule_interval"] == .null)
                let next = try #require(cron.jsonBody["next_crawl_at"]?.stringValue.flatMap(RFC3339.date(from:)))
                let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC") ?? .current, from: next)
                #expect((9...17).contains(parts.hour ?? -1) && (parts.minute ?? -1) % 15 == 0 && (2...6).contains(parts.weekday ?? -1))
                let id = cron.jsonBody.id
                let interval = try await client.put("/api/v1/analysis/accounts/\(id)", ["schedule_interval": 7200], headers: root)
                #expect(interval.jsonBody["schedule_interval"] == 7200 && interval.jsonBody["cron_string"] == .null)
                let due = try #require(interval.jsonBody["next_crawl_at"]?.stringValue.flatMap(RFC3339.date(from:)))
                #expect(abs(due.timeIntervalSinceNow - 7200) < 300)
                #expect(try await client.put("/api/v1/analysis/accounts/\(id)", ["cron_string": "0 0 31 2 *x"], headers: root).status == .unprocessableContent)
                let stopped = try await client.put("/api/v1/analysis/accounts/\(id)", ["is_scheduled": false, "category": "news"], headers: root)
                #expect(stopped.jsonBody["is_scheduled"] == false && stopped.jsonBody["next_crawl_at"] == .null && stopped.jsonBody["category"] == "news")
                let paused = try await client.put("/api/v1/analysis/accounts/\(id)", ["cron_string": "0 6 * * *", "is_active": false], headers: root)
                #expect(paused.jsonBody["is_scheduled"] == true && paused.jsonBody["next_crawl_at"] == .null)
                #expect(try await client.post("/api/v1/analysis/accounts/\(id)/trigger-crawl", [:], headers: root).status == .conflict)
                let resumed = try await client.put("/api/v1/analysis/accounts/\(id)", ["is_active": true], headers: root)
                #expect(resumed.jsonBody["next_crawl_at"] != .null)

                // Without a key the crawl fails at once and says what to store.
                let tasks = try await client.get("/api/v1/analysis/tasks?task_type=account_crawl&limit=1", headers: root).jsonBody
                let failed = try await client.finishedTask(tasks[0]?.id ?? "", headers: root, within: 90)
                #expect(failed["status"] == "failed" && failed["error_message"]?.stringValue?.contains("youtube.api_key") == true, "\(failed)")
                #expect(try await client.get("/api/v1/analysis/tasks?status=failed&limit=1", headers: root).jsonBody.arrayCount == 1)
                #expect(try await client.get("/api/v1/analysis/tasks?task_type=crawl", headers: root).status == .unprocessableContent)
            }
        }
    }

    @Test("a due schedule queues one crawl however many instances look for it")
    func scheduleFiresOnce() async throws {
        let stub = YouTubeStub()
        try await withStubServer(stub.router) { base in
            try await withTestDatabase("analysis_schedule_once", maxConnections: 6, runPool: false) { database, handle in
                let environment = analysisEnvironment(base, storage: temporaryDirectory("analysis-schedule"))
                let dependencies = try await makeDependencies(database, environment)
                try await buildApplication(dependencies).test(.router) { client in
                    _ = try await Fixtures(dependencies).setup("ans")
                    let root = bearer(try await client.login("ans-root")["access_token"])
                    #expect(try await client.storeYouTubeKey(YouTubeStub.key, headers: root).status == .ok)
                    let added = try await client.post(
                        "/api/v1/analysis/accounts/quick-add",
                        ["channel_url": "https://www.youtube.com/@stubchannel", "crawl_videos": false, "schedule_interval": 3600], headers: root)
                    let id = added.jsonBody.id
                    let accountID = try #require(UUID(uuidString: id))
                    let quick = try await client.get("/api/v1/analysis/tasks?account_id=\(id)", headers: root).jsonBody
                    #expect(try await client.finishedTask(quick[0]?.id ?? "", headers: root, within: 90)["status"] == "completed")

                    // Two more instances, each with its own pool, beside the app's own scheduler.
                    let pools = (0..<2).map { _ in Database(url: handle.runtime, maxConnections: 2, logger: Logger(label: "tests.instance")) }
                    var instances: [any Service] = pools
                    for pool in pools {
                        instances.append(try await makeDependencies(pool, environment).analysis.scheduler(logger: Logger(label: "tests.scheduler")))
                    }
                    try await withServices(instances) {
                        for round in 1...3 {
                            try await database.withPlatformScope { tx in
                                try await tx.run("UPDATE analysis_accounts SET next_crawl_at = now() - interval '1 second' WHERE id = \(accountID)")
                            }
                            var scheduled: [JSONValue] = []
                            #expect(try await eventually(within: 60) {
                                scheduled = try await client.get("/api/v1/analysis/tasks?account_id=\(id)", headers: root).jsonBody.arrayValues?
                                    .filter { $0["trigger"] == "schedule" } ?? []
                                return scheduled.count == round
                            })
                            #expect(try await client.finishedTask(scheduled[0].id, headers: root, within: 90)["status"] == "completed")
                            // Every instance has looked again (200 ms each) and none queued a second crawl.
                            try await Task.sleep(for: .seconds(1))
                            let after = try await client.get("/api/v1/analysis/tasks?account_id=\(id)", headers: root).jsonBody.arrayValues?
                                .filter { $0["trigger"] == "schedule" } ?? []
                            #expect(after.count == round)
                        }
                    }
                    let snapshots = try await client.get("/api/v1/analysis/accounts/\(id)/snapshots", headers: root).jsonBody
                    #expect(snapshots.arrayCount == 4)
                    let next = try #require(
                        try await client.get("/api/v1/analysis/accounts/\(id)", headers: root).jsonBody["next_crawl_at"]?.stringValue.flatMap(RFC3339.date(from:)))
                    #expect(next > Date().addingTimeInterval(3000))
                }
            }
        }
    }

    @Test("quota exhaustion waits for the quota backoff (and the waiting crawl is re-prioritised, cancelled and queued again), rate limits retry within the call, a refused key fails at once")
    func apiFailures() async throws {
        let stub = YouTubeStub()
        try await withStubServer(stub.router) { base in
            try await withTestDatabase("analysis_api_failures", runPool: false) { database, _ in
                let dependencies = try await makeDependencies(
                    database, analysisEnvironment(base, storage: temporaryDirectory("analysis-quota"), extra: ["YOUTUBE_QUOTA_BACKOFF_SECONDS": "600"]))
                try await buildApplication(dependencies).test(.router) { client in
                    _ = try await Fixtures(dependencies).setup("anq")
                    let root = bearer(try await client.login("anq-root")["access_token"])
                    #expect(try await client.storeYouTubeKey(YouTubeStub.key, headers: root).status == .ok)

                    // The day's quota is spent: the attempt fails and the next waits for the quota backoff.
                    stub.update { $0.quotaFailures = 1 }
                    let added = try await client.post(
                        "/api/v1/analysis/accounts/quick-add", ["channel_url": "https://www.youtube.com/@stubchannel", "crawl_videos": false], headers: root)
                    let task = try #require(try await client.get("/api/v1/analysis/tasks?account_id=\(added.jsonBody.id)", headers: root).jsonBody[0]?.id)
                    var waiting: JSONValue = .null
                    #expect(try await eventually(within: 90) {
                        waiting = try await client.get("/api/v1/tasks/\(task)", headers: root).jsonBody
                        return waiting["status"] == "queued" && waiting["attempts"] == 1
                    })
                    #expect(waiting["error_message"]?.stringValue?.contains("quota exceeded") == true, "\(waiting)")
                    let events = try await client.get("/api/v1/tasks/\(task)/events?limit=100", headers: root).jsonBody["items"]?.arrayValues ?? []
                    let retry = try #require(events.first { $0["type"] == "task.retry_scheduled" })
                    #expect(retry["data"]?["retry_in_seconds"] == 600 || retry["data"]?["retry_in_seconds"] == 600.0, "\(retry)")

                    // While it waits it can be re-prioritised and cancelled; cancelled, queued again, it runs at once.
                    let raised = try await client.put("/api/v1/analysis/tasks/\(task)", ["priority": 80], headers: root)
                    #expect(raised.status == .ok && raised.jsonBody["priority"] == 80 && raised.jsonBody["status"] == "queued")
                    let cancelled = try await client.put("/api/v1/analysis/tasks/\(task)", ["status": "cancelled"], headers: root)
                    #expect(cancelled.status == .ok && cancelled.jsonBody["status"] == "cancelled")
                    #expect(try await client.put("/api/v1/analysis/tasks/\(task)", ["status": "cancelled"], headers: root).status == .conflict)
                    #expect(try await client.put("/api/v1/analysis/tasks/\(task)", ["priority": 10], headers: root).status == .conflict)
                    #expect(try await client.put("/api/v1/analysis/tasks/\(task)", ["status": "running"], headers: root).status == .unprocessableContent)
                    #expect(try await client.put("/api/v1/analysis/tasks/\(task)", [:], headers: root).status == .unprocessableContent)
                    let requeued = try await client.put("/api/v1/analysis/tasks/\(task)", ["status": "queued"], headers: root)
                    #expect(requeued.status == .ok)
                    let done = try await client.finishedTask(task, headers: root, within: 90)
                    #expect(done["status"] == "completed" && done["attempts"] == 1, "\(done)")

                    stub.update { $0.rateLimits = 2 }
                    let crawl = try await client.post("/api/v1/analysis/accounts/\(added.jsonBody.id)/trigger-crawl", ["crawl_videos": false], headers: root)
                    let rateLimited = try await client.finishedTask(crawl.jsonBody.id, headers: root, within: 90)
                    #expect(rateLimited["status"] == "completed" && rateLimited["attempts"] == 1, "\(rateLimited)")
                    // Quota: one refused call and one answered; rate limit: two 429s and the answer, in one attempt.
                    #expect(stub.requests("channels").count == 5)

                    #expect(try await client.storeYouTubeKey("wrong-key", headers: root).status == .ok)
                    let refused = try await client.post("/api/v1/analysis/accounts/\(added.jsonBody.id)/trigger-crawl", [:], headers: root)
                    let failed = try await client.finishedTask(refused.jsonBody.id, headers: root, within: 90)
                    #expect(failed["status"] == "failed" && failed["attempts"] == 1)
                    #expect(failed["error_message"]?.stringValue?.contains("API key not valid") == true, "\(failed)")
                    #expect(stub.requests("channels").allSatisfy { $0["part"] == "snippet,statistics,contentDetails" })
                }
            }
        }
    }
}
