import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlatformSupport
import PlatformTesting
import Testing

@testable import Server

@Suite("HTTP: event-triggered workflows")
struct WorkflowTriggerTests {
    /// A GoyaVision workflow triggered by `conf`, whose one step emits `emits` (when given).
    static func workflow(_ code: String, conf: JSONValue, emits: String? = nil) -> JSONValue {
        var nodes: [JSONValue] = [["node_key": "start", "node_type": "start"]]
        var edges: [JSONValue] = []
        var last = "start"
        if let emits {
            nodes.append(["node_key": "emit", "node_type": "emit", "config": ["event_type": .string(emits), "data": ["kind": "weekly", "seen": "{{input.event.type}}"]]])
            edges.append(["source_key": "start", "target_key": "emit"])
            last = "emit"
        }
        nodes.append(["node_key": "end", "node_type": "end", "config": ["output": ["event": "{{input.event.type}}", "kind": "{{input.event.data.data.kind}}"]]])
        edges.append(["source_key": .string(last), "target_key": "end"])
        return ["code": .string(code), "name": .string(code), "trigger_type": "event", "trigger_conf": conf, "status": "enabled", "nodes": .array(nodes), "edges": .array(edges)]
    }

    static func runs(_ client: some TestClientProtocol, _ workflow: String, _ headers: HTTPFields) async throws -> [JSONValue] {
        try await client.get("/api/v1/workflow/\(workflow)/history?limit=100", headers: headers).jsonBody["executions"]?.arrayValues ?? []
    }

    @Test("an event starts each matching workflow once, with the event as input; filters and the platform's own events do not trigger; chains stop at depth 5")
    func eventTriggers() async throws {
        try await withTestDatabase("workflow_triggers", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("et")
                let root = bearer(try await client.login("et-root")["access_token"])
                let listener = try await client.post(
                    "/api/v1/workflows", Self.workflow("listener", conf: ["event_type": "report.", "event_filter": ["data.kind": "weekly"]]), headers: root)
                #expect(listener.status == .created)
                let filtered = try await client.post(
                    "/api/v1/workflows", Self.workflow("monthly", conf: ["event_type": "report.ready", "event_filter": ["data.kind": "monthly"]]), headers: root
                ).jsonBody.id
                let onTasks = try await client.post("/api/v1/workflows", Self.workflow("on-tasks", conf: ["event_type": "task."]), headers: root).jsonBody.id

                // A manual workflow emits report.ready {kind: weekly}.
                var emitter = Self.workflow("emitter", conf: [:], emits: "report.ready")
                if case .object(var object) = emitter { object["trigger_type"] = "manual"; emitter = .object(object) }
                let emitterID = try await client.post("/api/v1/workflows", emitter, headers: root).jsonBody.id
                let run = try await client.post("/api/v1/workflows/\(emitterID)/trigger", [:], headers: root).jsonBody.id
                _ = try await client.finishedTask(run, headers: root)

                var triggered: [JSONValue] = []
                #expect(try await eventually(within: 30) {
                    triggered = try await Self.runs(client, listener.jsonBody.id, root)
                    return triggered.first?["status"] == "success"
                })
                #expect(triggered.count == 1)
                let output = try await client.get("/api/v1/executions/\(triggered.first?["id"]?.stringValue ?? "")", headers: root).jsonBody["result"]?["output"]
                #expect(output == ["event": "report.ready", "kind": "weekly"])
                #expect(try await Self.runs(client, filtered, root).isEmpty)
                #expect(try await Self.runs(client, onTasks, root).isEmpty)

                // A workflow that triggers itself: each run's event carries its depth, so the chain stops.
                let loop = try await client.post(
                    "/api/v1/workflows", Self.workflow("loop", conf: ["event_type": "loop.tick"], emits: "loop.tick"), headers: root).jsonBody.id
                var starter = Self.workflow("starter", conf: [:], emits: "loop.tick")
                if case .object(var object) = starter { object["trigger_type"] = "manual"; starter = .object(object) }
                let starterID = try await client.post("/api/v1/workflows", starter, headers: root).jsonBody.id
                _ = try await client.finishedTask(try await client.post("/api/v1/workflows/\(starterID)/trigger", [:], headers: root).jsonBody.id, headers: root)
                #expect(try await eventually(within: 60) {
                    let runs = try await Self.runs(client, loop, root)
                    return runs.count == 4 && runs.allSatisfy { $0["status"] == "success" }
                })
                try await Task.sleep(for: .seconds(2))
                #expect(try await Self.runs(client, loop, root).count == 4)
            }
        }
    }

    @Test("an event trigger needs an event type; another tenant's events never start a tenant's workflows")
    func validationAndTenants() async throws {
        try await withTestDatabase("workflow_triggers_tenants", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                let fixtures = Fixtures(dependencies)
                _ = try await fixtures.setup("ea")
                _ = try await fixtures.setup("eb")
                let alpha = bearer(try await client.login("ea-root")["access_token"])
                let beta = bearer(try await client.login("eb-root")["access_token"])
                let invalid = try await client.post("/api/v1/workflows", Self.workflow("bad", conf: ["event_filter": "x"]), headers: alpha)
                #expect(invalid.status == .unprocessableContent)
                #expect(invalid.jsonBody["error"]?["details"]?["fields"]?["trigger_conf.event_type"] != nil)

                let listener = try await client.post("/api/v1/workflows", Self.workflow("listener", conf: ["event_type": "report.ready"]), headers: alpha).jsonBody.id
                var emitter = Self.workflow("emitter", conf: [:], emits: "report.ready")
                if case .object(var object) = emitter { object["trigger_type"] = "manual"; emitter = .object(object) }
                let betaEmitter = try await client.post("/api/v1/workflows", emitter, headers: beta).jsonBody.id
                _ = try await client.finishedTask(try await client.post("/api/v1/workflows/\(betaEmitter)/trigger", [:], headers: beta).jsonBody.id, headers: beta)
                let alphaEmitter = try await client.post("/api/v1/workflows", emitter, headers: alpha).jsonBody.id
                _ = try await client.finishedTask(try await client.post("/api/v1/workflows/\(alphaEmitter)/trigger", [:], headers: alpha).jsonBody.id, headers: alpha)
                // Alpha's own event arrives; by then beta's (logged earlier) has long been dispatched.
                #expect(try await eventually(within: 30) { try await Self.runs(client, listener, alpha).count == 1 })
                try await Task.sleep(for: .seconds(1))
                #expect(try await Self.runs(client, listener, alpha).count == 1)
            }
        }
    }

    @Test("GoyaVision's task list: workflow_id, asset_id, from and to filters; items carry the run fields")
    func taskListFilters() async throws {
        try await withTestDatabase("workflow_task_filters", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("tf")
                let root = bearer(try await client.login("tf-root")["access_token"])
                var manual = Self.workflow("one", conf: [:])
                if case .object(var object) = manual { object["trigger_type"] = "manual"; manual = .object(object) }
                let one = try await client.post("/api/v1/workflows", manual, headers: root).jsonBody.id
                if case .object(var object) = manual { object["code"] = "two"; object["name"] = "two"; manual = .object(object) }
                let two = try await client.post("/api/v1/workflows", manual, headers: root).jsonBody.id
                let (assetA, assetB) = (UUID().uuidString.lowercased(), UUID().uuidString.lowercased())
                for (workflow, asset) in [(one, assetA), (one, assetB), (two, assetA)] {
                    let run = try await client.post("/api/v1/workflows/\(workflow)/trigger", ["asset_id": .string(asset)], headers: root).jsonBody.id
                    _ = try await client.finishedTask(run, headers: root)
                }
                let ofOne = try await client.get("/api/v1/tasks?workflow_id=\(one)", headers: root).jsonBody
                #expect(ofOne["total"] == 2)
                #expect(ofOne["items"]?[0]?["workflow_id"] == .string(one.lowercased()))
                #expect(ofOne["items"]?[0]?["node_executions"]?.arrayValues?.isEmpty == false)
                #expect(try await client.get("/api/v1/tasks?workflow_id=\(one)&asset_id=\(assetA)", headers: root).jsonBody["total"] == 1)
                #expect(try await client.get("/api/v1/tasks?asset_id=\(assetA)", headers: root).jsonBody["total"] == 2)
                #expect(try await client.get("/api/v1/tasks?workflow_id=\(one)&from=2099-01-01T00:00:00Z", headers: root).jsonBody["total"] == 0)
                #expect(try await client.get("/api/v1/tasks?workflow_id=\(one)&to=2099-01-01T00:00:00Z", headers: root).jsonBody["total"] == 2)
                let bad = try await client.get("/api/v1/tasks?workflow_id=nope&from=yesterday", headers: root)
                #expect(bad.status == .unprocessableContent)
                #expect(bad.jsonBody["error"]?["details"]?["fields"]?["workflow_id"] != nil)
                #expect(bad.jsonBody["error"]?["details"]?["fields"]?["from"] != nil)
            }
        }
    }
}
