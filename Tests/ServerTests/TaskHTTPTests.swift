import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import PlatformTesting
@testable import Server
import Testing


/// Every test here runs the app with its in-process worker polling fast, with a lease long enough
/// that a loaded machine never lets one lapse by accident (lapses have their own test).
let fastTasks = ["TASKS_POLL_MS": "50", "TASKS_LEASE_SECONDS": "30", "TASKS_RETRY_BASE_MS": "50"]

extension JSONValue {
    var id: String { self["id"]?.stringValue ?? "missing" }
}

@Suite("HTTP: tasks, commands, bulk")
struct TaskHTTPTests {
    @Test("a task's life over HTTP: create, list, enqueue, start, report, complete; illegal moves answer 409 with the current status")
    func lifecycle() async throws {
        try await withTestDatabase("tasks_http_life", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, fastTasks)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("life")
                let root = bearer(try await client.login("life-root")["access_token"])
                // The content platform's body: its fields land in task_input.
                let created = try await client.post(
                    "/api/v1/tasks",
                    ["task_name": "Blog Post: AI Trends", "topic": "artificial intelligence", "primary_keyword": "AI trends 2025",
                     "task_metadata": ["style": "professional"], "task_type": "content.draft", "project_id": "0193c6a0-0000-7000-8000-000000000001"],
                    headers: root)
                #expect(created.status == .created)
                #expect(created.jsonBody["status"] == "pending")
                #expect(created.jsonBody["task_input"]?["topic"] == "artificial intelligence")
                #expect(created.jsonBody["task_metadata"]?["style"] == "professional")
                let id = created.jsonBody.id

                let listed = try await client.get("/api/v1/tasks?project_id=0193c6a0-0000-7000-8000-000000000001&task_type=content.draft&status=pending", headers: root)
                #expect(listed.jsonBody["total"] == 1)
                #expect(listed.jsonBody["items"]?[0]?["id"]?.stringValue == id)
                #expect(try await client.get("/api/v1/tasks?status=running", headers: root).jsonBody["total"] == 0)
                #expect(try await client.get("/api/v1/tasks?status=bogus", headers: root).status == .unprocessableContent)
                #expect(try await client.get("/api/v1/tasks?sort_by=drop", headers: root).status == .unprocessableContent)

                // Completing a pending task is not a legal move.
                let early = try await client.post("/api/v1/tasks/\(id)/complete", [:], headers: root)
                #expect(early.status == .conflict)
                #expect(early.jsonBody["error"]?["details"]?["current_status"] == "pending")

                let enqueued = try await client.post("/api/v1/tasks/\(id)/enqueue", [:], headers: root)
                #expect(enqueued.status == .ok)
                #expect(enqueued.jsonBody["job_id"]?.stringValue == id)
                #expect(enqueued.jsonBody["queue_name"] == "default")
                let position = try await client.get("/api/v1/tasks/\(id)/queue-status", headers: root)
                #expect(position.jsonBody["queue_status"] == "waiting")
                #expect(position.jsonBody["position"] == 0)
                #expect(try await client.post("/api/v1/tasks/\(id)/enqueue", [:], headers: root).status == .conflict)

                // The content platform's "in_progress" is running.
                let started = try await client.patch("/api/v1/tasks/\(id)", ["status": "in_progress"], headers: root)
                #expect(started.jsonBody["status"] == "running")
                #expect(started.jsonBody["attempts"] == 1)
                let reported = try await client.patch("/api/v1/tasks/\(id)", ["progress": 40, "current_step": "outline"], headers: root)
                #expect(reported.jsonBody["progress"] == 40)
                #expect(try await client.patch("/api/v1/tasks/\(id)", ["progress": 140], headers: root).status == .unprocessableContent)
                let done = try await client.post("/api/v1/tasks/\(id)/complete", ["task_output": ["words": 900]], headers: root)
                #expect(done.status == .ok)
                #expect(done.jsonBody["status"] == "completed")
                #expect(done.jsonBody["progress"] == 100)
                #expect(done.jsonBody["task_output"]?["words"] == 900)
                let again = try await client.post("/api/v1/tasks/\(id)/cancel", [:], headers: root)
                #expect(again.status == .conflict)
                #expect(again.jsonBody["error"]?["details"]?["current_status"] == "completed")

                let events = try await client.get("/api/v1/tasks/\(id)/events", headers: root)
                let types = (events.jsonBody["items"]?.arrayValues ?? []).compactMap { $0["type"]?.stringValue }
                #expect(types == ["task.created", "task.queued", "task.started", "task.progress", "task.completed"])

                let stats = try await client.get("/api/v1/tasks/metrics/summary", headers: root)
                #expect(stats.jsonBody["total_tasks"] == 1)
                #expect(stats.jsonBody["completed"] == 1)
                #expect(stats.jsonBody["completion_rate"] == 1)
                #expect(try await client.get("/api/v1/tasks/stats", headers: root).jsonBody == stats.jsonBody)
                let types2 = try await client.get("/api/v1/tasks/types", headers: root).jsonBody
                #expect(types2 == ["content.draft", "wait"])
                let queues = try await client.get("/api/v1/tasks/queue-info", headers: root)
                #expect(queues.jsonBody["queues"]?[0]?["completed"] == 1)
                #expect(try await client.get("/api/v1/tasks/list-redis-queues", headers: root).jsonBody == ["default"])

                // Definitions are fixed once a task has run; the name is not.
                #expect(try await client.put("/api/v1/tasks/\(id)", ["task_input": ["x": 1]], headers: root).status == .conflict)
                #expect(try await client.put("/api/v1/tasks/\(id)", ["task_name": "Renamed"], headers: root).jsonBody["task_name"] == "Renamed")
                #expect(try await client.delete("/api/v1/tasks/\(id)", headers: root).status == .noContent)
                #expect(try await client.get("/api/v1/tasks/\(id)", headers: root).status == .notFound)
                #expect(try await client.post("/api/v1/tasks", ["task_type": "bad type!", "priority": 500, "task_input": [1]], headers: root).jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["priority", "task_input", "task_type"])
            }
        }
    }

    @Test("the in-process worker runs queued wait tasks; a batch can chain dependencies")
    func workerInServe() async throws {
        try await withTestDatabase("tasks_http_worker", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, fastTasks)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("serve")
                let root = bearer(try await client.login("serve-root")["access_token"])
                let first = try await client.post("/api/v1/tasks", ["task_type": "wait", "task_input": ["seconds": 0.2], "enqueue": true], headers: root)
                let batch = try await client.post(
                    "/api/v1/tasks/batch",
                    ["tasks": [["task_type": "wait", "task_input": ["seconds": 0], "enqueue": true, "dependencies": [.string(first.jsonBody.id)]]]],
                    headers: root)
                #expect(batch.status == .created)
                let second = batch.jsonBody[0]?.id ?? "missing"
                let finished = try await eventually {
                    try await client.get("/api/v1/tasks/\(second)", headers: root).jsonBody["status"] == "completed"
                }
                #expect(finished)
                let one = try await client.get("/api/v1/tasks/\(first.jsonBody.id)", headers: root).jsonBody
                let two = try await client.get("/api/v1/tasks/\(second)", headers: root).jsonBody
                #expect(one["task_output"]?["waited_seconds"] == 0.2)
                // The dependent started only after its dependency completed.
                #expect((one["completed_at"]?.stringValue ?? "z") <= (two["started_at"]?.stringValue ?? ""))
                let unknown = try await client.post("/api/v1/tasks", ["task_type": "wait", "dependencies": ["0193c6a0-0000-7000-8000-000000000009"]], headers: root)
                #expect(unknown.status == .unprocessableContent)
            }
        }
    }

    @Test("external workers: claim under a lease, report, complete; another worker's report is refused; batched callback")
    func externalWorkers() async throws {
        try await withTestDatabase("tasks_http_claim", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, fastTasks)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("ext")
                let root = bearer(try await client.login("ext-root")["access_token"])
                let low = try await client.post("/api/v1/tasks", ["task_type": "render", "queue": "video", "priority": 10, "enqueue": true], headers: root).jsonBody.id
                let high = try await client.post("/api/v1/tasks", ["task_type": "render", "queue": "video", "priority": 90, "enqueue": true], headers: root).jsonBody.id
                let blocked = try await client.post(
                    "/api/v1/tasks", ["task_type": "render", "queue": "video", "priority": 100, "enqueue": true, "dependencies": [.string(low)]], headers: root).jsonBody.id
                #expect(try await client.get("/api/v1/tasks/\(blocked)/queue-status", headers: root).jsonBody["queue_status"] == "blocked")

                // Long leases: on a loaded machine this test can take a minute; a lapsed lease is another test.
                let claimed = try await client.post("/api/v1/tasks/claim", ["worker_id": "gpu-1", "queues": ["video"], "lease_seconds": 3600], headers: root)
                #expect(claimed.status == .ok)
                #expect(claimed.jsonBody.arrayCount == 1)
                #expect(claimed.jsonBody[0]?.id == high)
                #expect(claimed.jsonBody[0]?["worker_id"] == "gpu-1")
                #expect(claimed.jsonBody[0]?["lease_expires_at"] != nil)
                // The blocked one waits for `low`; `low` goes to the next claimant.
                let next = try await client.post("/api/v1/tasks/claim", ["worker_id": "gpu-2", "queues": ["video"], "limit": 5, "lease_seconds": 3600], headers: root)
                #expect(next.jsonBody.arrayCount == 1)
                #expect(next.jsonBody[0]?.id == low)
                #expect(try await client.post("/api/v1/tasks/claim", ["worker_id": "gpu-3"], headers: root).jsonBody == [])

                let stolen = try await client.patch("/api/v1/tasks/\(high)", ["progress": 10, "worker_id": "gpu-2"], headers: root)
                #expect(stolen.status == .conflict)
                #expect(stolen.jsonBody["error"]?["code"] == "LEASE_LOST")
                #expect(try await client.patch("/api/v1/tasks/\(high)", ["progress": 50, "worker_id": "gpu-1"], headers: root).status == .ok)
                #expect(try await client.post("/api/v1/tasks/\(high)/complete", ["output": ["frames": 10], "worker_id": "gpu-2"], headers: root).status == .conflict)
                #expect(try await client.post("/api/v1/tasks/\(high)/complete", ["output": ["frames": 10], "worker_id": "gpu-1"], headers: root).status == .ok)

                let callback = try await client.post(
                    "/api/v1/tasks/callback",
                    ["report_type": "task_status", "worker": "gpu-2",
                     "data": [["task_id": .string(low), "status": "completed", "output": ["frames": 3]],
                              ["task_id": .string(high), "status": "running"],
                              ["task_id": "0193c6a0-0000-7000-8000-000000000009", "progress": 5]]],
                    headers: root)
                #expect(callback.status == .ok)
                #expect(callback.jsonBody["processed"] == 1)
                #expect(callback.jsonBody["failed"] == 2)
                #expect(callback.jsonBody["results"]?[0]?["status"] == "completed")
                // Its dependency done, the blocked task is claimable now.
                #expect(try await client.post("/api/v1/tasks/claim", ["worker_id": "gpu-3", "task_types": ["render"]], headers: root).jsonBody[0]?.id == blocked)
                #expect(try await client.post("/api/v1/tasks/\(blocked)/fail", ["error_message": "out of memory"], headers: root).jsonBody["status"] == "failed")
                let retried = try await client.post("/api/v1/tasks/monitoring/\(blocked)/retry", [:], headers: root)
                #expect(retried.jsonBody["status"] == "queued")
                #expect(try await client.get("/api/v1/tasks/\(blocked)", headers: root).jsonBody["attempts"] == 0)

                let purged = try await client.post("/api/v1/tasks/delete-all-queues", [:], headers: root)
                #expect(purged.jsonBody["cancelled"] == 1)
                #expect(purged.jsonBody["queues"] == ["video"])
            }
        }
    }

    @Test("context: each change is kept as a JSON Patch that replays to the document; snapshots; intents propose then create")
    func contextAndIntents() async throws {
        try await withTestDatabase("tasks_http_context", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, fastTasks)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("ctx")
                let root = bearer(try await client.login("ctx-root")["access_token"])
                let id = try await client.post("/api/v1/tasks", ["task_type": "analysis"], headers: root).jsonBody.id
                let first: JSONValue = ["frames": 10, "labels": ["cat"], "meta": ["source": "cam/1", "fps": 25]]
                let second: JSONValue = ["frames": 12, "labels": ["cat", "dog"], "meta": ["source": "cam/1"], "done": true]
                #expect(try await client.patch("/api/v1/tasks/\(id)", ["context": first], headers: root).status == .ok)
                #expect(try await client.patch("/api/v1/tasks/\(id)", ["context": second], headers: root).status == .ok)
                let context = try await client.get("/api/v1/tasks/\(id)/context", headers: root).jsonBody
                #expect(context["version"] == 2)
                #expect(context["context"] == second)
                let patches = try await client.get("/api/v1/tasks/\(id)/context/patches", headers: root).jsonBody
                #expect(patches["total"] == 2)
                var replayed: JSONValue = [:]
                for patch in patches["items"]?.arrayValues ?? [] {
                    replayed = try JSONPatch.apply(patch["operations"]?.arrayValues ?? [], to: replayed)
                }
                #expect(replayed == second)
                let snapshot = try await client.post("/api/v1/tasks/\(id)/context/snapshot", [:], headers: root)
                #expect(snapshot.status == .created)
                #expect(snapshot.jsonBody["version"] == 2)
                #expect(snapshot.jsonBody["context"] == second)

                let before = try await client.get("/api/v1/tasks", headers: root).jsonBody["total"]
                let proposal = try await client.post("/api/v1/tasks/intent", ["intent": "create_blog_post", "task_id": .string(id), "parameters": ["topic": "Rust"]], headers: root)
                #expect(proposal.status == .ok)
                #expect(proposal.jsonBody["plan"]?.arrayCount == 3)
                #expect(proposal.jsonBody["plan"]?[2]?["depends_on"] == [2])
                #expect(try await client.get("/api/v1/tasks", headers: root).jsonBody["total"] == before)
                #expect(try await client.post("/api/v1/tasks/intent", ["intent": "conquer", "parameters": [:]], headers: root).status == .unprocessableContent)
                #expect(try await client.post("/api/v1/tasks/intent", ["intent": "create_blog_post", "parameters": [:]], headers: root).status == .unprocessableContent)
                let confirmed = try await client.post("/api/v1/tasks/confirm-intent", ["task_id": .string(id), "confirmed": true], headers: root)
                #expect(confirmed.status == .ok)
                let tasks = confirmed.jsonBody["tasks"]?.arrayValues ?? []
                #expect(tasks.count == 3)
                #expect(tasks.allSatisfy { $0["status"] == "queued" })
                #expect(tasks[2]["dependencies"] == [tasks[1]["id"] ?? .null])
                #expect(tasks[0]["task_metadata"]?["parent_task_id"]?.stringValue == id.lowercased())
                #expect(try await client.post("/api/v1/tasks/confirm-intent", ["intent_id": proposal.jsonBody["intent_id"] ?? .null], headers: root).status == .conflict)
            }
        }
    }

    @Test("commands: queue, list, complete, fail with retry, cancel, stats and cleanup")
    func commands() async throws {
        try await withTestDatabase("tasks_http_commands", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, fastTasks)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("cmd")
                let root = bearer(try await client.login("cmd-root")["access_token"])
                let created = try await client.post("/api/v1/commands", ["command": "execute_task", "parameters": ["task": "x"], "priority": "high"], headers: root)
                #expect(created.status == .created)
                #expect(created.jsonBody["status"] == "queued")
                #expect(created.jsonBody["priority"] == "high")
                let id = created.jsonBody["command_id"]?.stringValue ?? ""
                let other = try await client.post("/api/v1/commands", ["command": "sync"], headers: root).jsonBody["command_id"]?.stringValue ?? ""
                let third = try await client.post("/api/v1/commands", ["command": "sync", "priority": "low"], headers: root).jsonBody["command_id"]?.stringValue ?? ""
                #expect(try await client.post("/api/v1/commands", ["command": "x", "priority": "urgent"], headers: root).status == .unprocessableContent)

                let list = try await client.get("/api/v1/commands?status=queued", headers: root).jsonBody
                #expect(list["total"] == 3)
                #expect(list["commands"]?.arrayCount == 3)
                let completed = try await client.post("/api/v1/commands/\(id)/complete", ["result": ["ok": true]], headers: root)
                #expect(completed.jsonBody["status"] == "completed")
                #expect(completed.jsonBody["result"] == ["ok": true])
                let retried = try await client.post("/api/v1/commands/\(other)/fail", ["error": "busy", "retry": true], headers: root)
                #expect(retried.jsonBody["status"] == "queued")
                #expect(retried.jsonBody["error"] == "busy")
                let failed = try await client.post("/api/v1/commands/\(other)/fail", ["error": "broken"], headers: root)
                #expect(failed.jsonBody["status"] == "failed")
                #expect(try await client.post("/api/v1/commands/\(third)/cancel", [:], headers: root).status == .noContent)
                #expect(try await client.post("/api/v1/commands/\(third)/cancel", [:], headers: root).status == .conflict)
                let stats = try await client.get("/api/v1/commands/stats/queue-stats", headers: root).jsonBody
                #expect(stats["completed"] == 1)
                #expect(stats["failed"] == 1)
                #expect(stats["cancelled"] == 1)
                #expect(stats["queued"] == 0)
                // Commands are not tasks.
                #expect(try await client.get("/api/v1/tasks/\(id)", headers: root).status == .notFound)
                #expect(try await client.post("/api/v1/commands/cleanup/clear-old", ["older_than_days": 1], headers: root).jsonBody["deleted"] == 0)
                #expect(try await client.post("/api/v1/commands/cleanup/clear-old", ["older_than_days": 0], headers: root).jsonBody["deleted"] == 3)
                #expect(try await client.get("/api/v1/commands/\(id)", headers: root).status == .notFound)
            }
        }
    }

    @Test("bulk operations are all or nothing and report what they did")
    func bulk() async throws {
        try await withTestDatabase("tasks_http_bulk", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, fastTasks)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let tenant = try await fixtures.setup("bulk")
                let root = bearer(try await client.login("bulk-root")["access_token"])
                var ids: [JSONValue] = []
                for index in 0..<3 {
                    ids.append(.string(try await client.post("/api/v1/tasks", ["task_type": "report", "task_name": .string("Report, \"\(index)\"")], headers: root).jsonBody.id))
                }
                let finished = try await client.post("/api/v1/tasks", ["task_type": "report"], headers: root).jsonBody.id
                _ = try await client.post("/api/v1/tasks/\(finished)/start", [:], headers: root)
                _ = try await client.post("/api/v1/tasks/\(finished)/complete", [:], headers: root)

                let refused = try await client.post(
                    "/api/v1/bulk", ["operation": "update_status", "task_ids": .array(ids + [.string(finished)]), "parameters": ["new_status": "cancelled"]], headers: root)
                #expect(refused.status == .conflict)
                #expect(refused.jsonBody["error"]?["details"]?["tasks"]?[finished.lowercased()] == "completed")
                #expect(try await client.get("/api/v1/tasks?status=pending", headers: root).jsonBody["total"] == 3)

                let queued = try await client.post("/api/v1/bulk", ["operation": "update_status", "task_ids": .array(ids), "parameters": ["new_status": "queued"]], headers: root)
                #expect(queued.jsonBody["affected"] == 3)
                #expect(try await client.get("/api/v1/tasks?status=queued", headers: root).jsonBody["total"] == 3)

                let csv = try await client.post("/api/v1/bulk", ["operation": "export", "task_ids": .array(ids), "parameters": ["export_format": "csv"]], headers: root)
                let content = csv.jsonBody["result"]?["content"]?.stringValue ?? ""
                #expect(content.hasPrefix("id,task_type,task_name,status"))
                #expect(content.contains("\"Report, \"\"0\"\"\""))
                #expect(content.split(separator: "\r\n").count == 4)
                let json = try await client.post("/api/v1/bulk", ["operation": "export", "task_ids": .array(ids)], headers: root)
                #expect(json.jsonBody["result"]?["tasks"]?.arrayCount == 3)

                let reassigned = try await client.post(
                    "/api/v1/bulk", ["operation": "reassign", "task_ids": .array(ids), "parameters": ["owner_id": .string(tenant.member.uuidString)]], headers: root)
                #expect(reassigned.jsonBody["affected"] == 3)
                let member = bearer(try await client.login("bulk-member")["access_token"])
                #expect(try await client.get("/api/v1/tasks", headers: member).jsonBody["total"] == 3)
                #expect(try await client.post(
                    "/api/v1/bulk", ["operation": "reassign", "task_ids": .array(ids), "parameters": ["owner_id": "0193c6a0-0000-7000-8000-000000000009"]],
                    headers: root).status == .unprocessableContent)

                let missing = try await client.post("/api/v1/bulk", ["operation": "delete", "task_ids": .array(ids + ["0193c6a0-0000-7000-8000-000000000009"])], headers: root)
                #expect(missing.status == .notFound)
                #expect(try await client.post("/api/v1/bulk", ["operation": "delete", "task_ids": .array(ids)], headers: root).jsonBody["affected"] == 3)
                #expect(try await client.get("/api/v1/tasks", headers: root).jsonBody["total"] == 1)
            }
        }
    }

    @Test("another tenant's task and command ids answer 404 on every route that takes one")
    func crossTenant() async throws {
        try await withTestDatabase("tasks_http_bola", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, fastTasks)
            let fixtures = Fixtures(dependencies)
            let table = RouteTable()
            _ = buildRouter(dependencies, table: table)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("alpha")
                _ = try await fixtures.setup("beta")
                let alpha = bearer(try await client.login("alpha-root")["access_token"])
                let beta = bearer(try await client.login("beta-root")["access_token"])
                let task = try await client.post("/api/v1/tasks", ["task_type": "secret", "enqueue": true], headers: alpha).jsonBody.id
                let command = try await client.post("/api/v1/commands", ["command": "secret"], headers: alpha).jsonBody["command_id"]?.stringValue ?? ""
                let routes = table.all.filter { ($0.path.hasPrefix("/api/v1/tasks/") || $0.path.hasPrefix("/api/v1/commands/")) && $0.path.contains("{id}") }
                #expect(routes.count >= 20)
                for route in routes {
                    let id = route.path.hasPrefix("/api/v1/commands/") ? command : task
                    let path = route.path.replacingOccurrences(of: "{id}", with: id)
                    var headers = beta
                    headers[.contentType] = "application/json"
                    let body: JSONValue = route.method == .patch ? ["progress": 1] : route.method == .put ? ["task_name": "x"] : [:]
                    let response = try await client.execute(uri: path, method: route.method, headers: headers, body: try .json(body))
                    #expect(response.status == .notFound, "\(route.method) \(path) answered \(response.status)")
                }
                // Nor do bulk, callbacks, claims or intents reach it.
                #expect(try await client.post("/api/v1/bulk", ["operation": "export", "task_ids": [.string(task)]], headers: beta).status == .notFound)
                #expect(try await client.post("/api/v1/tasks/callback", ["report_type": "s", "worker": "w", "data": [["task_id": .string(task), "status": "running"]]], headers: beta).jsonBody["failed"] == 1)
                #expect(try await client.post("/api/v1/tasks/claim", ["worker_id": "thief"], headers: beta).jsonBody == [])
                #expect(try await client.post("/api/v1/tasks/intent", ["intent": "wait", "task_id": .string(task), "parameters": ["seconds": 1]], headers: beta).status == .notFound)
                #expect(try await client.post("/api/v1/tasks/delete-all-queues", [:], headers: beta).jsonBody["cancelled"] == 0)
                #expect(try await client.get("/api/v1/tasks/\(task)", headers: alpha).jsonBody["status"] == "queued")
            }
        }
    }

    @Test("SSE: an event produced through one instance reaches a progress stream on another; Last-Event-ID resumes from the log")
    func progressAcrossInstances() async throws {
        try await withTestDatabase("tasks_http_sse", runPool: false) { database, handle in
            let first = try await makeDependencies(database, fastTasks)
            let second = try await makeDependencies(Database(url: handle.runtime, maxConnections: 4, logger: Logger(label: "tests.b")), fastTasks)
            let fixtures = Fixtures(first)
            try await buildApplication(first).test(.router) { clientA in
                try await buildApplication(second).test(.live) { clientB in
                    let port = try #require(clientB.port)
                    _ = try await fixtures.setup("sse")
                    let token = try await clientA.login("sse-root")["access_token"]?.stringValue ?? ""
                    let root = bearer(.string(token))
                    let id = try await clientA.post("/api/v1/tasks", ["task_type": "render"], headers: root).jsonBody.id
                    let stream = try await EventStreamReader(url: "http://127.0.0.1:\(port)/api/v1/tasks/\(id)/progress/stream", token: token)
                    #expect(try await stream.read(until: { $0.contains("event: snapshot") }).contains("\"status\":\"pending\""))
                    for _ in 0..<50 where second.events.subscriberCount < 1 { try await Task.sleep(for: .milliseconds(20)) }
                    _ = try await clientA.post("/api/v1/tasks/\(id)/start", [:], headers: root)
                    _ = try await clientA.patch("/api/v1/tasks/\(id)", ["progress": 60, "current_step": "encoding"], headers: root)
                    let seen = try await stream.read(until: { $0.contains("event: task.progress") })
                    #expect(seen.contains("event: task.started"))
                    #expect(seen.contains("\"current_step\":\"encoding\""))
                    _ = try await clientA.post("/api/v1/tasks/\(id)/complete", [:], headers: root)
                    #expect(try await stream.read(until: { $0.contains("event: task.completed") }).contains("event: task.completed"))
                    stream.close()

                    // Resuming after the `started` event replays what followed, then ends (the task is done).
                    let events = try await clientA.get("/api/v1/tasks/\(id)/events", headers: root).jsonBody["items"]?.arrayValues ?? []
                    let started = events.first { $0["type"] == "task.started" }?["id"]?.stringValue ?? ""
                    let resumed = try await EventStreamReader(url: "http://127.0.0.1:\(port)/api/v1/tasks/\(id)/progress/stream?last_event_id=\(started)", token: token)
                    let replay = try await resumed.read(until: { $0.contains("event: task.completed") })
                    #expect(!replay.contains("event: task.started"))
                    #expect(replay.contains("event: task.progress"))
                    #expect(!replay.contains("event: snapshot"))
                    resumed.close()
                    // The tenant stream resumes from the log too.
                    let tenantStream = try await EventStreamReader(url: "http://127.0.0.1:\(port)/api/v1/events/stream?types=task.&last_event_id=\(started)", token: token)
                    #expect(try await tenantStream.read(until: { $0.contains("event: task.completed") }).contains("event: task.progress"))
                    tenantStream.close()
                }
            }
        }
    }
}

extension JSONValue {
    subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    var arrayValues: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    var objectKeys: [String]? {
        if case .object(let object) = self { return object.keys.sorted() }
        return nil
    }
}

@Suite("Docs")
struct DocsTests {
    @Test("docs/compatibility.md names every registered route")
    func compatibilityListsEveryRoute() async throws {
        try await withTestDatabase("docs_routes") { database, _ in
            let table = RouteTable()
            _ = buildRouter(try await makeDependencies(database), table: table)
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let doc = try String(contentsOf: root.appendingPathComponent("docs/compatibility.md"), encoding: .utf8)
            var missing: [String] = []
            for path in table.all.map(\.path) {
                // A row may name sub-routes by their suffix after a route it names in full.
                let last: String = path.split(separator: "/").last.map(String.init) ?? path
                let suffix: String = "/" + last + "`"
                if !doc.contains(path) && !doc.contains(suffix) { missing.append(path) }
            }
            #expect(missing.isEmpty, "routes missing from docs/compatibility.md: \(Set(missing).sorted())")
        }
    }
}
