import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PlatformDatabase
import PlatformSupport
import PlatformTesting
import Synchronization
import Testing

@testable import Server

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let testPython = repositoryRoot.appendingPathComponent(".build/python-tools/bin/python")

/// The JSON API the workflow tests call (Tests/ServerTests/Fixtures/stub_api.py), on a free port.
final class StubAPI: Sendable {
    let process: Process
    let port: Int

    init() throws {
        let process = Process()
        process.executableURL = testPython
        process.arguments = [repositoryRoot.appendingPathComponent("Tests/ServerTests/Fixtures/stub_api.py").path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line.append(byte) }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)) else {
            kill(process.processIdentifier, SIGKILL)
            throw StubFailure()
        }
        self.process = process
        self.port = port
    }

    struct StubFailure: Error {}

    var base: String { "http://127.0.0.1:\(port)" }

    /// SIGKILL: a child of the test process may have inherited a blocked SIGTERM (dispatch's
    /// worker threads block signals), and a stub has nothing to shut down cleanly.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
    }
}

/// Workflows may call the loopback stub.
let workflowConfig = fastTasks.merging(["WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "FLOWS_SYNC_WAIT_SECONDS": "120", "WORKFLOW_SCHEDULER_MS": "200"]) { _, new in new }

extension TestClientProtocol {
    /// Waits until the run (a task) has finished, and returns the task.
    func finishedTask(_ id: String, headers: HTTPFields, within seconds: Double = 90) async throws -> JSONValue {
        var task: JSONValue = [:]
        _ = try await eventually(within: seconds) {
            task = try await get("/api/v1/tasks/\(id)", headers: headers).jsonBody
            return ["completed", "failed", "cancelled"].contains(task["status"]?.stringValue ?? "")
        }
        return task
    }
}

/// A flow that calls the stub, branches on the answer and shapes the result.
func pricingFlow(_ stub: StubAPI) -> JSONValue {
    [
        "name": "Pricing", "description": "fetch, decide, shape",
        "nodes": [
            ["id": "start", "type": "start", "position": ["x": 0, "y": 0], "data": ["label": "Start"]],
            ["id": "fetch", "type": "http_request", "position": ["x": 100, "y": 0],
             "data": ["url": .string(stub.base + "/items/{{input.item}}"), "method": "GET", "query": ["currency": "{{input.currency}}"]]],
            ["id": "check", "type": "condition", "position": ["x": 200, "y": 0], "data": ["expression": "prev.body.price >= 50"]],
            ["id": "expensive", "type": "transform", "position": ["x": 300, "y": -50],
             "data": ["template": ["label": "expensive {{nodes.fetch.output.body.name}}", "tags": "{{nodes.fetch.output.body.tags}}", "price": "{{nodes.fetch.output.body.price * 1.2}}"]]],
            ["id": "cheap", "type": "action", "position": ["x": 300, "y": 50],
             "data": ["code": "let b = nodes.fetch.output.body\n{label: 'cheap ' + b.name, tags: sort(b.tags), price: round(b.price * 0.9, 2), q: b.query}"]],
            ["id": "pick", "type": "transform", "position": ["x": 400, "y": 0], "data": ["template": "{{prev}}", "select": "$.label"]],
            ["id": "end", "type": "end", "position": ["x": 500, "y": 0], "data": ["output": ["label": "{{prev}}", "count": "{{len(keys(nodes))}}"]]],
        ],
        "edges": [
            ["id": "e1", "source": "start", "target": "fetch"],
            ["id": "e2", "source": "fetch", "target": "check", "condition": "on_success"],
            ["id": "e3", "source": "check", "target": "expensive", "condition": "true", "label": "yes"],
            ["id": "e4", "source": "check", "target": "cheap", "condition": "false", "label": "no"],
            ["id": "e5", "source": "expensive", "target": "pick"],
            ["id": "e6", "source": "cheap", "target": "pick"],
            ["id": "e7", "source": "pick", "target": "end"],
        ],
    ]
}

@Suite("HTTP: workflows, flows, executions")
struct WorkflowHTTPTests {
    @Test("a flow over AutoMaticWorker's API: created, read back, run synchronously and not, its executions listed, in the seed's shapes")
    func flowsEndToEnd() async throws {
        let stub = try StubAPI()
        defer { stub.stop() }
        try await withTestDatabase("workflows_flows", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("fl")
                let root = bearer(try await client.login("fl-root")["access_token"])
                let created = try await client.post("/api/v1/flows", pricingFlow(stub), headers: root)
                #expect(created.status == .created)
                let flow = created.jsonBody
                let id = flow.id
                for field in ["id", "name", "description", "nodes", "edges", "created_at", "updated_at"] { #expect(flow[field] != nil, "\(field)") }
                #expect(flow["nodes"]?[1]?["data"]?["method"] == "GET")
                #expect(flow["edges"]?[2]?["label"] == "yes")

                let list = try await client.get("/api/v1/flows", headers: root).jsonBody
                #expect(list["flows"]?[0]?["nodes_count"] == 7)
                #expect(list["pagination"]?["total"] == 1)

                // Sync: 7 -> price 70 -> expensive.
                let sync = try await client.post("/api/v1/flows/\(id)/execute", ["input_data": ["item": 7, "currency": "EUR"]], headers: root)
                #expect(sync.status == .ok)
                #expect(sync.jsonBody["status"] == "completed")
                #expect(sync.jsonBody["result"]?["output"]?["label"] == "expensive item-7")
                #expect(sync.jsonBody["result"]?["execution_time"] != nil)

                // Async: 2 -> price 20 -> cheap (the action node, an alias of code).
                let queued = try await client.post("/api/v1/flows/\(id)/execute", ["input_data": ["item": 2, "currency": "USD"], "async": true], headers: root)
                #expect(queued.status == .accepted)
                #expect(queued.jsonBody["status"] == "queued")
                let executionID = queued.jsonBody["execution_id"]?.stringValue ?? ""
                _ = try await client.finishedTask(executionID, headers: root)
                let execution = try await client.get("/api/v1/executions/\(executionID)", headers: root).jsonBody
                for field in ["execution_id", "flow_id", "status", "start_time", "end_time", "execution_time", "result", "logs"] {
                    #expect(execution[field] != nil, "\(field)")
                }
                #expect(execution["status"] == "completed")
                #expect(execution["result"]?["output"]?["label"] == "cheap item-2")
                #expect((execution["logs"]?.arrayValues?.count ?? 0) >= 6)
                let nodes = execution["nodes"]?.arrayValues ?? []
                #expect(nodes.first { $0["id"] == "expensive" }?["status"] == "skipped")

                let executions = try await client.get("/api/v1/flows/\(id)/executions?per_page=1", headers: root).jsonBody
                #expect(executions["executions"]?.arrayValues?.count == 1)
                #expect(executions["pagination"]?["total"] == 2)
                #expect(executions["pagination"]?["pages"] == 2)
                #expect(try await client.get("/api/v1/flows/\(id)/executions?status=failed", headers: root).jsonBody["executions"] == [])
                #expect(try await client.get("/api/v1/flows/\(id)/executions?status=bogus", headers: root).status == .unprocessableContent)

                // A changed graph is a new revision; deletion answers the seed's message.
                var renamed = pricingFlow(stub)
                if case .object(var object) = renamed { object["name"] = "Pricing v2"; renamed = .object(object) }
                let updated = try await client.put("/api/v1/flows/\(id)", ["name": "Renamed"], headers: root).jsonBody
                #expect(updated["name"] == "Renamed")
                #expect(updated["current_revision"] == 1)
                let regraphed = try await client.put("/api/v1/flows/\(id)", ["edges": pricingFlow(stub)["edges"] ?? []], headers: root).jsonBody
                #expect(regraphed["current_revision"] == 1)
                let deleted = try await client.delete("/api/v1/flows/\(id)", headers: root)
                #expect(deleted.jsonBody["message"] == "Flow deleted successfully")
                #expect(try await client.get("/api/v1/flows/\(id)", headers: root).status == .notFound)
            }
        }
    }

    @Test("the exported Python script reproduces the engine's output against the same stub")
    func pythonExport() async throws {
        let stub = try StubAPI()
        defer { stub.stop() }
        try await withTestDatabase("workflows_export", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("ex")
                let root = bearer(try await client.login("ex-root")["access_token"])
                let id = try await client.post("/api/v1/flows", pricingFlow(stub), headers: root).jsonBody.id
                let export = try await client.get("/api/v1/flows/\(id)/export?format=python", headers: root)
                #expect(export.status == .ok)
                #expect(export.headers[.contentDisposition]?.contains("flow_\(id.lowercased()).py") == true)
                let script = FileManager.default.temporaryDirectory.appendingPathComponent("flow-\(UUID().uuidString).py")
                try String(buffer: export.body).write(to: script, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(at: script) }
                for input: JSONValue in [["item": 7, "currency": "EUR"], ["item": 2, "currency": "USD"], ["item": 5, "currency": "GBP"]] {
                    let engine = try await client.post("/api/v1/flows/\(id)/execute", ["input_data": input], headers: root).jsonBody
                    let run = try await Tools.run(testPython.path, [script.path], input: try PlatformJSON.makeEncoder().encode(input))
                    #expect(run.status == 0)
                    let scripted = try JSONDecoder().decode(JSONValue.self, from: run.data)
                    #expect(scripted == engine["result"]?["output"], "input \(input)")
                }
                let json = try await client.get("/api/v1/flows/\(id)/export?format=json", headers: root)
                #expect(json.headers[.contentType] == "application/json")
                // Re-importable as it is.
                let reimported = try await client.post("/api/v1/flows", json.jsonBody, headers: root)
                #expect(reimported.status == .created)
                #expect(reimported.jsonBody["nodes"]?.arrayValues?.count == 7)
                #expect(try await client.get("/api/v1/flows/\(id)/export?format=yaml", headers: root).status == .unprocessableContent)
            }
        }
    }

    @Test("GoyaVision's workflows: integer visibility, revisions that never change, enable before trigger, node executions and its unnamed progress messages")
    func goyaWorkflows() async throws {
        try await withTestDatabase("workflows_goya", runPool: false) { database, handle in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.live) { client in
                let port = try #require(client.port)
                _ = try await Fixtures(dependencies).setup("gv")
                let token = try await client.login("gv-root")["access_token"]?.stringValue ?? ""
                let root = bearer(.string(token))
                let body: JSONValue = [
                    "code": "detect-v1", "name": "Detect", "trigger_type": "manual", "visibility": 0, "tags": ["video"],
                    "nodes": [
                        ["node_key": "start", "node_type": "trigger"],
                        ["node_key": "double", "node_type": "code", "config": ["code": "input.n * 2", "retry_count": 1, "timeout_seconds": 10], "position": ["x": 100, "y": 200]],
                        ["node_key": "end", "node_type": "end", "config": ["output": ["doubled": "{{prev}}"]]],
                    ],
                    "edges": [["source_key": "start", "target_key": "double"], ["source_key": "double", "target_key": "end", "condition": ["type": "on_success"]]],
                ]
                let created = try await client.post("/api/v1/workflows", body, headers: root)
                #expect(created.status == .created)
                let id = created.jsonBody.id
                #expect(created.jsonBody["visibility"] == "private")
                #expect(created.jsonBody["current_revision"] == 1)
                #expect(created.jsonBody["nodes"]?[1]?["config"]?["retry_count"] == 1)
                #expect(created.jsonBody["edges"]?[1]?["condition"]?["type"] == "on_success")
                #expect(try await client.post("/api/v1/workflows", body, headers: root).status == .conflict)
                #expect(try await client.get("/api/v1/workflows/\(id)", headers: root).jsonBody["nodes"] == nil)
                #expect(try await client.get("/api/v1/workflows/\(id)?with_nodes=true", headers: root).jsonBody["nodes"]?.arrayValues?.count == 3)
                #expect(try await client.get("/api/v1/workflows?keyword=detect&status=draft", headers: root).jsonBody["total"] == 1)
                #expect(try await client.get("/api/v1/workflows?tags=audio", headers: root).jsonBody["total"] == 0)

                // A draft cannot run.
                #expect(try await client.post("/api/v1/workflows/\(id)/trigger", ["input_params": ["n": 2]], headers: root).status == .conflict)
                // A new graph: revision 2; revision 1 stays as it was.
                var nodes = body["nodes"]?.arrayValues ?? []
                nodes[1] = ["node_key": "double", "node_type": "code", "config": ["code": "input.n * 3"]]
                let changed = try await client.put("/api/v1/workflows/\(id)", ["nodes": .array(nodes), "edges": body["edges"] ?? []], headers: root).jsonBody
                #expect(changed["current_revision"] == 2)
                #expect(try await client.put("/api/v1/workflows/\(id)", ["tags": ["video", "ai"]], headers: root).jsonBody["current_revision"] == 2)
                let first = try await client.get("/api/v1/workflows/\(id)/revisions/1", headers: root).jsonBody
                #expect(first["definition"]?["nodes"]?[1]?["config"]?["code"] == "input.n * 2")
                #expect(first["status"] == "archived")
                #expect(try await client.get("/api/v1/workflows/\(id)/revisions", headers: root).jsonBody["total"] == 2)
                #expect(try await client.get("/api/v1/workflows/\(id)/revisions/9", headers: root).status == .notFound)

                let enabled = try await client.post("/api/v1/workflows/\(id)/enable", [:], headers: root)
                #expect(enabled.jsonBody["status"] == "enabled")
                let triggered = try await client.post("/api/v1/workflows/\(id)/trigger", ["input_params": ["n": 5]], headers: root)
                #expect(triggered.status == .accepted)
                let taskID = triggered.jsonBody.id
                #expect(triggered.jsonBody["workflow_id"]?.stringValue == id.lowercased())
                #expect(triggered.jsonBody["workflow_revision"] == 2)
                #expect(triggered.jsonBody["node_executions"]?.arrayValues?.count == 3)
                let task = try await client.finishedTask(taskID, headers: root)
                #expect(task["status"] == "completed")
                #expect(task["task_output"]?["output"]?["doubled"] == 15)
                #expect(task["node_executions"]?.arrayValues?.map { $0["status"]?.stringValue ?? "" } == ["success", "success", "success"])
                // The run's context: GoyaVision's layout, its history as patches.
                let context = try await client.get("/api/v1/tasks/\(taskID)/context", headers: root).jsonBody
                #expect(context["context"]?["meta"]?["workflow_code"] == "detect-v1")
                #expect(context["context"]?["nodes"]?["double"]?["output"] == 15)

                // What GoyaVision's web client listens to: unnamed messages, ending on `success`.
                let stream = try await EventStreamReader(url: "http://127.0.0.1:\(port)/api/v1/tasks/\(taskID)/progress/stream", token: token)
                let seen = try await stream.read(until: { $0.contains("\"status\":\"success\"") })
                stream.close()
                #expect(seen.contains("\ndata: {"))
                #expect(seen.contains("\"node_executions\""))

                // Rolling back: a revision copied from revision 1 and activated.
                let rollback = try await client.post("/api/v1/workflows/\(id)/revisions", ["activate": true, "from_revision": 1], headers: root)
                #expect(rollback.status == .created)
                #expect(rollback.jsonBody["revision"] == 3)
                let again = try await client.post("/api/v1/workflows/\(id)/trigger", ["input_params": ["n": 5]], headers: root).jsonBody.id
                #expect(try await client.finishedTask(again, headers: root)["task_output"]?["output"]?["doubled"] == 10)
                #expect(try await client.post("/api/v1/workflows/\(id)/disable", [:], headers: root).jsonBody["status"] == "disabled")
                #expect(try await client.delete("/api/v1/workflows/\(id)", headers: root).status == .noContent)
                _ = handle
            }
        }
    }

    @Test("an invalid graph answers 422 naming every problem per node and field")
    func validation() async throws {
        try await withTestDatabase("workflows_invalid", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("iv")
                let root = bearer(try await client.login("iv-root")["access_token"])
                let bad = try await client.post(
                    "/api/v1/flows",
                    [
                        "name": "Broken",
                        "nodes": [
                            ["id": "s", "type": "start"], ["id": "h", "type": "http_request", "data": ["method": "FETCH"]],
                            ["id": "x", "type": "teleport"], ["id": "c", "type": "code", "data": ["code": "1 +"]],
                        ],
                        "edges": [["source": "s", "target": "h"], ["source": "h", "target": "ghost"]],
                    ], headers: root)
                #expect(bad.status == .unprocessableContent)
                let fields = bad.jsonBody["error"]?["details"]?["fields"]
                for field in ["nodes[1].config.url", "nodes[1].config.method", "nodes[2].type", "nodes[3].config.code", "edges[1].target"] {
                    #expect(fields?[field] != nil, "\(field)")
                }
                #expect(bad.jsonBody["error"]?["details"]?["nodes"]?["h"]?["config.url"] == "is required")
                #expect(try await client.post("/api/v1/flows", ["name": ""], headers: root).status == .unprocessableContent)
                let schedule = try await client.post(
                    "/api/v1/workflows", ["code": "s", "name": "S", "trigger_type": "schedule", "trigger_conf": ["schedule": "61 * * * *"]], headers: root)
                #expect(schedule.jsonBody["error"]?["details"]?["fields"]?["trigger_conf.schedule"] != nil)
                #expect(try await client.post("/api/v1/workflows", ["code": "s", "name": "S"], headers: root).status == .unprocessableContent)
            }
        }
    }

    @Test("a failing node: retried, then its on_failure branch runs; an unhandled failure fails the run; history and statistics follow")
    func failuresAndHistory() async throws {
        let stub = try StubAPI()
        defer { stub.stop() }
        try await withTestDatabase("workflows_failures", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("fx")
                let root = bearer(try await client.login("fx-root")["access_token"])
                let flow = try await client.post(
                    "/api/v1/flows",
                    [
                        "name": "Flaky",
                        "nodes": [
                            ["id": "start", "type": "start"],
                            ["id": "call", "type": "http_request", "data": ["url": .string(stub.base + "/status/503"), "retry_count": 2, "timeout_seconds": 5]],
                            ["id": "rescue", "type": "code", "data": ["code": "{rescued: true, why: nodes.call.error}"]],
                            ["id": "end", "type": "end"],
                        ],
                        "edges": [
                            ["source": "start", "target": "call"], ["source": "call", "target": "rescue", "condition": "on_failure"],
                            ["source": "rescue", "target": "end"],
                        ],
                    ], headers: root).jsonBody.id
                let handled = try await client.post("/api/v1/flows/\(flow)/execute", [:], headers: root).jsonBody
                #expect(handled["status"] == "completed")
                #expect(handled["result"]?["output"]?["rescued"] == true)
                let execution = try await client.get("/api/v1/executions/\(handled["execution_id"]?.stringValue ?? "")", headers: root).jsonBody
                #expect(execution["nodes"]?.arrayValues?.first { $0["id"] == "call" }?["attempts"] == 3)

                let broken = try await client.post(
                    "/api/v1/flows",
                    ["name": "Broken", "nodes": [["id": "start", "type": "start"], ["id": "bad", "type": "code", "data": ["code": "1 / 0"]], ["id": "end", "type": "end"]],
                     "edges": [["source": "start", "target": "bad"], ["source": "bad", "target": "end"]]], headers: root).jsonBody.id
                let failed = try await client.post("/api/v1/flows/\(broken)/execute", [:], headers: root).jsonBody
                #expect(failed["status"] == "failed")
                #expect(failed["result"]?["error"]?["node_id"] == "bad")

                let history = try await client.get("/api/v1/workflow/history", headers: root).jsonBody
                #expect(history["executions"]?.arrayValues?.count == 2)
                #expect(Set(history["executions"]?.arrayValues?.compactMap { $0["status"]?.stringValue } ?? []) == ["success", "failure"])
                #expect(try await client.get("/api/v1/workflow/history?status=failure", headers: root).jsonBody["total"] == 1)
                let details = try await client.get("/api/v1/workflow/\(failed["execution_id"]?.stringValue ?? "")/details", headers: root).jsonBody
                #expect(details["steps"]?.arrayValues?.map { $0["step_name"]?.stringValue ?? "" } == ["start", "bad", "end"])
                #expect(details["steps"]?[0]?["status"] == "completed")
                #expect(details["steps"]?[1]?["status"] == "failed")
                let statistics = try await client.get("/api/v1/workflow/statistics", headers: root).jsonBody
                #expect(statistics["total_executions"] == 2)
                #expect(statistics["success_rate"] == 0.5)
                #expect(statistics["workflows"]?.arrayValues?.count == 2)
                let performance = try await client.get("/api/v1/workflow/performance-metrics", headers: root).jsonBody
                // Three slow HTTP attempts with backoff outweigh a code node.
                #expect(performance["bottleneck"] == "http_request")
                #expect(performance["throughput"] != 0.0 && performance["throughput"] != nil)
                #expect(try await client.get("/api/v1/workflow/\(flow)/history", headers: root).jsonBody["executions"]?.arrayValues?.count == 1)
                #expect(try await client.get("/api/v1/workflow/statistics?days=0", headers: root).status == .unprocessableContent)
            }
        }
    }

    @Test("cancelling a run stops the running node within seconds")
    func cancellation() async throws {
        try await withTestDatabase("workflows_cancel", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("cx")
                let root = bearer(try await client.login("cx-root")["access_token"])
                let flow = try await client.post(
                    "/api/v1/flows",
                    ["name": "Slow", "nodes": [["id": "start", "type": "start"], ["id": "wait", "type": "delay", "data": ["seconds": 600]], ["id": "end", "type": "end"]],
                     "edges": [["source": "start", "target": "wait"], ["source": "wait", "target": "end"]]], headers: root).jsonBody.id
                let id = try await client.post("/api/v1/flows/\(flow)/execute", ["async": true], headers: root).jsonBody["execution_id"]?.stringValue ?? ""
                #expect(try await eventually(within: 20) {
                    try await client.get("/api/v1/executions/\(id)", headers: root).jsonBody["nodes"]?.arrayValues?.first { $0["id"] == "wait" }?["status"] == "running"
                })
                let started = ContinuousClock.now
                #expect(try await client.post("/api/v1/tasks/\(id)/cancel", [:], headers: root).status == .ok)
                let execution = try await client.get("/api/v1/executions/\(id)", headers: root).jsonBody
                #expect(execution["status"] == "cancelled")
                #expect(ContinuousClock.now - started < .seconds(30))
                // The handler stopped: no end node ran, and the worker's slot is free for the next run.
                #expect(execution["nodes"]?.arrayValues?.first { $0["id"] == "end" }?["status"] == "skipped")
                let next = try await client.post(
                    "/api/v1/flows",
                    ["name": "Quick", "nodes": [["id": "start", "type": "start"], ["id": "end", "type": "end"]], "edges": [["source": "start", "target": "end"]]],
                    headers: root).jsonBody.id
                #expect(try await client.post("/api/v1/flows/\(next)/execute", [:], headers: root).jsonBody["status"] == "completed")
            }
        }
    }

    @Test("node types in the seed's shape; aliases resolve")
    func nodeTypes() async throws {
        try await withTestDatabase("workflows_types", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("nt")
                let member = bearer(try await client.login("nt-member")["access_token"])
                let all = try await client.get("/api/v1/node-types", headers: member).jsonBody["node_types"]?.arrayValues ?? []
                let ids = Set(all.compactMap { $0["id"]?.stringValue })
                #expect(ids.isSuperset(of: ["start", "end", "http_request", "condition", "transform", "set", "merge", "delay", "loop", "code", "llm", "task", "emit", "subflow"]))
                let http = try await client.get("/api/v1/node-types/http_request", headers: member).jsonBody
                #expect(http["input_schema"]?["properties"]?["url"]?["type"] == "string")
                #expect(http["input_schema"]?["required"] == ["url"])
                #expect(http["output_schema"]?["properties"]?["status_code"] != nil)
                #expect(http["example_usage"]?["input"] != nil)
                #expect(try await client.get("/api/v1/node-types/action", headers: member).jsonBody["id"] == "code")
                #expect(try await client.get("/api/v1/node-types/teleport", headers: member).status == .notFound)
            }
        }
    }

    @Test("another tenant's flows, workflows, revisions and runs answer 404 on every route")
    func tenantBoundaries() async throws {
        try await withTestDatabase("workflows_bola", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                let fixtures = Fixtures(dependencies)
                _ = try await fixtures.setup("ta")
                _ = try await fixtures.setup("tb")
                let alpha = bearer(try await client.login("ta-root")["access_token"])
                let beta = bearer(try await client.login("tb-root")["access_token"])
                let graph: JSONValue = ["nodes": [["node_key": "start", "node_type": "start"], ["node_key": "end", "node_type": "end"]], "edges": [["source_key": "start", "target_key": "end"]]]
                var body = graph
                if case .object(var object) = body { object["code"] = "w"; object["name"] = "W"; object["trigger_type"] = "manual"; object["status"] = "enabled"; body = .object(object) }
                let workflow = try await client.post("/api/v1/workflows", body, headers: alpha).jsonBody.id
                let run = try await client.post("/api/v1/workflows/\(workflow)/trigger", [:], headers: alpha).jsonBody.id
                _ = try await client.finishedTask(run, headers: alpha)
                let routes: [(HTTPRequest.Method, String, JSONValue?)] = [
                    (.get, "/api/v1/workflows/\(workflow)", nil), (.put, "/api/v1/workflows/\(workflow)", ["name": "x"]),
                    (.delete, "/api/v1/workflows/\(workflow)", nil), (.post, "/api/v1/workflows/\(workflow)/enable", [:]),
                    (.post, "/api/v1/workflows/\(workflow)/disable", [:]), (.post, "/api/v1/workflows/\(workflow)/trigger", [:]),
                    (.get, "/api/v1/workflows/\(workflow)/revisions", nil), (.get, "/api/v1/workflows/\(workflow)/revisions/1", nil),
                    (.post, "/api/v1/workflows/\(workflow)/revisions", [:]),
                    (.get, "/api/v1/flows/\(workflow)", nil), (.put, "/api/v1/flows/\(workflow)", ["name": "x"]), (.delete, "/api/v1/flows/\(workflow)", nil),
                    (.post, "/api/v1/flows/\(workflow)/execute", [:]), (.get, "/api/v1/flows/\(workflow)/executions", nil),
                    (.get, "/api/v1/flows/\(workflow)/export", nil), (.get, "/api/v1/executions/\(run)", nil),
                    (.get, "/api/v1/workflow/\(run)/details", nil), (.get, "/api/v1/workflow/\(workflow)/history", nil),
                    (.get, "/api/v1/tasks/\(run)", nil), (.get, "/api/v1/tasks/\(run)/progress/stream", nil),
                ]
                for (method, path, body) in routes {
                    var headers = beta
                    headers[.contentType] = "application/json"
                    let response = try await client.execute(uri: path, method: method, headers: headers, body: try body.map { try .json($0) })
                    #expect(response.status == .notFound, "\(method) \(path) answered \(response.status)")
                }
                #expect(try await client.get("/api/v1/workflow/history", headers: beta).jsonBody["executions"] == [])
                #expect(try await client.get("/api/v1/flows", headers: beta).jsonBody["flows"] == [])
                #expect(try await client.get("/api/v1/workflows/\(workflow)", headers: alpha).status == .ok)
                // A run task is not created by hand.
                #expect(try await client.post("/api/v1/tasks", ["task_type": "workflow.run"], headers: alpha).status == .unprocessableContent)
            }
        }
    }
}
