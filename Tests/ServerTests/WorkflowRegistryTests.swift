import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlatformSupport
import PlatformTesting
import Testing

@testable import Server

@Suite("HTTP: workflow registry and the n8n node")
struct WorkflowRegistryTests {
    /// start -> n8n(entry) -> end, in AutoMaticWorker's shape.
    static func n8nFlow(_ entry: String) -> JSONValue {
        [
            "name": "Publish",
            "nodes": [
                ["id": "start", "type": "start", "position": ["x": 0, "y": 0], "data": [:]],
                ["id": "call", "type": "n8n", "position": ["x": 100, "y": 0],
                 "data": ["workflow_registry_id": .string(entry), "payload": ["video": "{{input.video}}", "n": "{{input.n * 2}}"]]],
                ["id": "end", "type": "end", "position": ["x": 200, "y": 0], "data": ["output": "{{prev}}"]],
            ],
            "edges": [["id": "e1", "source": "start", "target": "call"], ["id": "e2", "source": "call", "target": "end"]],
        ]
    }

    @Test("registry CRUD in the short-video seed's shapes; secrets sealed and never served; the n8n node calls the webhook with its auth header")
    func registryAndNode() async throws {
        let stub = try StubAPI()
        defer { stub.stop() }
        try await withTestDatabase("workflow_registry", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("wr")
                let root = bearer(try await client.login("wr-root")["access_token"])
                let secret = "n8n-key-\(UUID().uuidString)"
                let created = try await client.post(
                    "/api/v1/workflow-registry",
                    ["name": "publish-video", "description": "Posts a video", "workflow_type": "publish", "n8n_webhook_url": .string(stub.base + "/webhook/publish"),
                     "auth_header_name": "X-N8N-Key", "auth_header_value": .string(secret), "callback_secret": "cb-secret"],
                    headers: root)
                #expect(created.status == .ok)
                let entry = created.jsonBody
                for field in ["id", "name", "description", "workflow_type", "n8n_webhook_url", "is_active", "created_at", "updated_at"] {
                    #expect(entry[field] != nil, "\(field)")
                }
                #expect(entry["is_active"] == true)
                #expect(entry["has_auth_header"] == true)
                #expect(entry["has_callback_secret"] == true)
                #expect(!String(decoding: created.body.readableBytesView, as: UTF8.self).contains(secret))
                let id = entry.id
                _ = try await client.post("/api/v1/workflow-registry", ["name": "thumbs", "workflow_type": "image"], headers: root)
                _ = try await client.post("/api/v1/workflow-registry", ["name": "thumbs-2", "workflow_type": "image", "is_active": false], headers: root)

                // Bare arrays, the seed's skip/limit and filters; types sorted and distinct.
                let all = try await client.get("/api/v1/workflow-registry", headers: root).jsonBody
                #expect(all.arrayValues?.count == 3)
                #expect(all[0]?["name"] == "thumbs-2")
                #expect(try await client.get("/api/v1/workflow-registry?skip=1&limit=1", headers: root).jsonBody[0]?["name"] == "thumbs")
                #expect(try await client.get("/api/v1/workflow-registry?workflow_type=image&is_active=true", headers: root).jsonBody.arrayValues?.count == 1)
                #expect(try await client.get("/api/v1/workflow-registry?limit=0", headers: root).status == .unprocessableContent)
                #expect(try await client.get("/api/v1/workflow-registry?is_active=", headers: root).status == .unprocessableContent)
                #expect(try await client.get("/api/v1/workflow-registry/types/list", headers: root).jsonBody == ["image", "publish"])

                // Bad input names the fields.
                let bad = try await client.post("/api/v1/workflow-registry", ["workflow_type": "x", "n8n_webhook_url": "ftp://example.com/x", "timeout_seconds": 0], headers: root)
                #expect(bad.status == .unprocessableContent)
                for field in ["name", "n8n_webhook_url", "timeout_seconds"] { #expect(bad.jsonBody["error"]?["details"]?["fields"]?[field] != nil, "\(field)") }

                // The n8n node: the payload rendered, the auth header opened and sent.
                let flow = try await client.post("/api/v1/flows", Self.n8nFlow(id), headers: root).jsonBody.id
                let run = try await client.post("/api/v1/flows/\(flow)/execute", ["input_data": ["video": "v1.mp4", "n": 21]], headers: root).jsonBody
                #expect(run["status"] == "completed")
                let output = run["result"]?["output"]
                #expect(output?["workflow_name"] == "publish-video")
                #expect(output?["body"]?["path"] == "/webhook/publish")
                #expect(output?["body"]?["echo"] == ["video": "v1.mp4", "n": 42])
                #expect(output?["body"]?["headers"]?["x-n8n-key"] == .string(secret))

                // A partial update keeps the rest; an empty secret removes it.
                let renamed = try await client.put("/api/v1/workflow-registry/\(id)", ["description": "Posts videos", "auth_header_value": ""], headers: root).jsonBody
                #expect(renamed["name"] == "publish-video")
                #expect(renamed["description"] == "Posts videos")
                #expect(renamed["has_auth_header"] == false)
                let unsigned = try await client.post("/api/v1/flows/\(flow)/execute", ["input_data": ["video": "v2.mp4", "n": 1]], headers: root).jsonBody
                #expect(unsigned["result"]?["output"]?["body"]?["headers"]?["x-n8n-key"] == nil)

                // Deactivated: the node refuses to call it.
                #expect(try await client.post("/api/v1/workflow-registry/\(id)/deactivate", [:], headers: root).jsonBody["is_active"] == false)
                let refused = try await client.post("/api/v1/flows/\(flow)/execute", ["input_data": ["video": "v3.mp4", "n": 1]], headers: root).jsonBody
                #expect(refused["status"] == "failed")
                #expect(FlowExpressionText.of(refused).contains("WORKFLOW_REGISTRY_INACTIVE"))
                #expect(try await client.post("/api/v1/workflow-registry/\(id)/activate", [:], headers: root).jsonBody["is_active"] == true)

                // Soft delete: the seed's confirmation; gone from reads and types.
                let deleted = try await client.delete("/api/v1/workflow-registry/\(id)", headers: root)
                #expect(deleted.status == .ok)
                #expect(deleted.jsonBody["id"] == .string(id))
                #expect(deleted.jsonBody["message"] != nil)
                let missing = try await client.get("/api/v1/workflow-registry/\(id)", headers: root)
                #expect(missing.status == .notFound)
                #expect(missing.jsonBody["error"]?["code"] == "WORKFLOW_REGISTRY_NOT_FOUND")
                #expect(try await client.get("/api/v1/workflow-registry/types/list", headers: root).jsonBody == ["image"])
                #expect(try await client.delete("/api/v1/workflow-registry/\(id)", headers: root).status == .notFound)
            }
        }
    }

    @Test("another tenant's registry entries answer 404 on every route, and its n8n nodes cannot call them")
    func tenantBoundaries() async throws {
        try await withTestDatabase("workflow_registry_bola", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                let fixtures = Fixtures(dependencies)
                _ = try await fixtures.setup("ra")
                _ = try await fixtures.setup("rb")
                let alpha = bearer(try await client.login("ra-root")["access_token"])
                let beta = bearer(try await client.login("rb-root")["access_token"])
                let id = try await client.post(
                    "/api/v1/workflow-registry", ["name": "a", "workflow_type": "secret-type", "n8n_webhook_url": "http://127.0.0.1:9/hook"], headers: alpha
                ).jsonBody.id
                let routes: [(HTTPRequest.Method, String, JSONValue?)] = [
                    (.get, "/api/v1/workflow-registry/\(id)", nil), (.put, "/api/v1/workflow-registry/\(id)", ["name": "x"]),
                    (.delete, "/api/v1/workflow-registry/\(id)", nil), (.post, "/api/v1/workflow-registry/\(id)/activate", nil),
                    (.post, "/api/v1/workflow-registry/\(id)/deactivate", nil),
                ]
                for (method, path, body) in routes {
                    var headers = beta
                    headers[.contentType] = "application/json"
                    let response = try await client.execute(uri: path, method: method, headers: headers, body: try body.map { try .json($0) })
                    #expect(response.status == .notFound, "\(method) \(path) answered \(response.status)")
                }
                #expect(try await client.get("/api/v1/workflow-registry", headers: beta).jsonBody == [])
                #expect(try await client.get("/api/v1/workflow-registry/types/list", headers: beta).jsonBody == [])
                let flow = try await client.post("/api/v1/flows", Self.n8nFlow(id), headers: beta).jsonBody.id
                let run = try await client.post("/api/v1/flows/\(flow)/execute", ["input_data": ["video": "x", "n": 1]], headers: beta).jsonBody
                #expect(run["status"] == "failed")
                #expect(FlowExpressionText.of(run).contains("no workflow registry entry"))
                #expect(try await client.get("/api/v1/workflow-registry/\(id)", headers: alpha).status == .ok)
            }
        }
    }

    @Test("wait_for_callback: n8n is sent a callback URL; the node finishes with what n8n posts there; a wrong secret or a second post is refused")
    func callbacks() async throws {
        let stub = try StubAPI()
        defer { stub.stop() }
        let config = workflowConfig.merging(["PUBLIC_BASE_URL": "https://platform.example.com/"]) { _, new in new }
        try await withTestDatabase("workflow_registry_callbacks", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, config)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("cb")
                let root = bearer(try await client.login("cb-root")["access_token"])
                let entry = try await client.post(
                    "/api/v1/workflow-registry",
                    ["name": "later", "workflow_type": "async", "n8n_webhook_url": .string(stub.base + "/webhook/later"), "callback_secret": "cb-secret"],
                    headers: root
                ).jsonBody.id
                let flow: JSONValue = [
                    "name": "Later",
                    "nodes": [
                        ["id": "start", "type": "start", "position": ["x": 0, "y": 0], "data": [:]],
                        ["id": "call", "type": "n8n", "position": ["x": 100, "y": 0],
                         "data": ["workflow_registry_id": .string(entry), "wait_for_callback": true, "payload": ["n": "{{input.n}}"]]],
                        ["id": "end", "type": "end", "position": ["x": 200, "y": 0], "data": ["output": "{{prev}}"]],
                    ],
                    "edges": [["id": "e1", "source": "start", "target": "call"], ["id": "e2", "source": "call", "target": "end"]],
                ]
                let id = try await client.post("/api/v1/flows", flow, headers: root).jsonBody.id
                let run = try await client.post("/api/v1/flows/\(id)/execute", ["input_data": ["n": 7], "async": true], headers: root).jsonBody["execution_id"]?.stringValue ?? ""
                let runID = try #require(UUID(uuidString: run))

                // The call went out; n8n (here: the test) posts to the callback.
                var callback: UUID?
                #expect(try await eventually(within: 30) {
                    callback = try await database.withPlatformScope { tx in
                        try await tx.value("SELECT id FROM workflow_callbacks WHERE run_id = \(runID) AND sent_at IS NOT NULL", as: UUID.self)
                    }
                    return callback != nil
                })
                let path = "/api/v1/workflow-registry/callbacks/\(callback?.uuidString.lowercased() ?? "")"
                #expect(try await client.post(path, ["result": "forged"]).status == .unauthorized)
                #expect(try await client.post(path, ["result": "forged"], headers: [HTTPField.Name("X-Callback-Secret")!: "wrong"]).status == .unauthorized)
                #expect(try await client.get("/api/v1/tasks/\(run)", headers: root).jsonBody["status"] == "running")
                let accepted = try await client.post(path, ["result": "done", "n": 7], headers: [HTTPField.Name("X-Callback-Secret")!: "cb-secret"])
                #expect(accepted.status == .ok)
                #expect(accepted.jsonBody["received"] == true)
                #expect(try await client.post(path, ["result": "again"], headers: [HTTPField.Name("X-Callback-Secret")!: "cb-secret"]).status == .conflict)
                #expect(try await client.post("/api/v1/workflow-registry/callbacks/\(UUID().uuidString)", ["x": 1]).status == .notFound)

                let task = try await client.finishedTask(run, headers: root)
                #expect(task["status"] == "completed")
                let output = try await client.get("/api/v1/executions/\(run)", headers: root).jsonBody["result"]?["output"]
                #expect(output?["callback"] == ["result": "done", "n": 7])
                #expect(output?["body"]?["accepted"] == true)
                #expect(output?["body"]?["header_url"] == .string("https://platform.example.com" + path))
                #expect(output?["body"]?["body_url"] == .string("https://platform.example.com" + path))
            }
        }
    }
}

/// A JSON value as text, to look for a message anywhere in it.
enum FlowExpressionText {
    static func of(_ value: JSONValue) -> String {
        (try? String(decoding: PlatformJSON.makeEncoder().encode(value), as: UTF8.self)) ?? ""
    }
}
