import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PlatformDatabase
import PlatformServices
import PlatformSupport
import PlatformTesting
import Testing

@testable import Server

@Suite("Production: calls to n8n and its callbacks")
struct ProductionCallbackTests {
    /// A project type `code` whose inspiration workflow is `workflow`.
    static func type(_ code: String, inspiration workflow: String?, transform: String? = nil, _ client: some TestClientProtocol, _ headers: HTTPFields) async throws {
        var body: [String: JSONValue] = ["code": .string(code), "name": .string(code)]
        if let workflow { body["inspiration_workflow_id"] = .string(workflow) }
        if let transform { body["transform_workflow_id"] = .string(transform) }
        let response = try await client.post("/api/v1/project-types", .object(body), headers: headers)
        #expect(response.status == .ok, "\(response.text)")
    }

    @Test("n8n down: the call is retried with backoff and the inspiration shows the failure until n8n answers; a refused call fails at once")
    func n8nDown() async throws {
        let stub = N8nStub()
        stub.setDown("flaky", true)
        stub.setRejecting("broken")
        try await withStubServer(stub.router) { n8n in
            try await withTestDatabase("production_n8n_down", runPool: false) { database, _ in
                let dependencies = try await productionDependencies(database, ["TASKS_RETRY_BASE_MS": "1000"])
                try await buildApplication(dependencies).test(.live) { client in
                    _ = try await Fixtures(dependencies).setup("down")
                    let root = bearer(try await client.login("down-root")["access_token"])
                    let flaky = try await client.registerWorkflow("flaky", stub: n8n, callbackSecret: "s", headers: root)
                    let broken = try await client.registerWorkflow("broken", stub: n8n, callbackSecret: "s", headers: root)
                    try await Self.type("flaky_type", inspiration: flaky, client, root)
                    try await Self.type("broken_type", inspiration: broken, client, root)

                    let id = try await client.post("/api/v1/inspirations", ["title": "Idea", "project_type_code": "flaky_type"], headers: root).jsonBody.id
                    let failing = try await client.poll("/api/v1/inspirations/\(id)", headers: root) {
                        $0["last_workflow_call"]?["status"] == "retrying" && ($0["last_workflow_call"]?["attempts"]?.intValue ?? 0) >= 2
                    }
                    #expect(failing["last_workflow_call"]?["status"] == "retrying")
                    #expect(failing["last_workflow_call"]?["response_status"] == 503)
                    #expect(failing["last_workflow_call"]?["last_error"]?.stringValue?.contains("503") == true)
                    #expect(failing["last_workflow_call"]?["sent_at"] == .null)
                    #expect(failing["status"] == "pending")

                    stub.setDown("flaky", false)
                    let sent = try await client.poll("/api/v1/inspirations/\(id)", headers: root) { $0["last_workflow_call"]?["status"] == "sent" }
                    #expect(sent["last_workflow_call"]?["status"] == "sent")
                    #expect(sent["last_workflow_call"]?["last_error"] == .null)
                    #expect((sent["last_workflow_call"]?["attempts"]?.intValue ?? 0) >= 3)
                    #expect(sent["status"] == "generating")
                    #expect(stub.calls(to: "flaky").count == sent["last_workflow_call"]?["attempts"]?.intValue)

                    // A 4xx is not retried.
                    let other = try await client.post("/api/v1/inspirations", ["title": "Idea 2", "project_type_code": "broken_type"], headers: root).jsonBody.id
                    let failed = try await client.poll("/api/v1/inspirations/\(other)", headers: root) { $0["last_workflow_call"]?["status"] == "failed" }
                    #expect(failed["last_workflow_call"]?["attempts"] == 1)
                    #expect(failed["last_workflow_call"]?["last_error"]?.stringValue?.contains("HTTP 400") == true)
                    #expect(stub.calls(to: "broken").count == 1)

                    // A deactivated registry entry is not called; regenerate answers the new call's id.
                    #expect(try await client.post("/api/v1/workflow-registry/\(flaky)/deactivate", [:], headers: root).status == .ok)
                    let regenerated = try await client.post("/api/v1/inspirations/\(id)/regenerate", ["regeneration_params": ["tone": "funny"]], headers: root)
                    #expect(regenerated.status == .ok)
                    #expect(regenerated.jsonBody["inspiration_id"] == .string(id))
                    #expect(regenerated.jsonBody["message"] != nil)
                    let execution = regenerated.jsonBody["execution_id"]
                    let refused = try await client.poll("/api/v1/inspirations/\(id)", headers: root) { $0["last_workflow_call"]?["status"] == "failed" }
                    #expect(refused["last_workflow_call"]?["id"] == execution)
                    #expect(refused["last_workflow_call"]?["last_error"]?.stringValue?.contains("deactivated") == true)
                    #expect(refused["status"] == "pending")
                }
            }
        }
    }

    @Test("the call is recorded with the change and sent after commit: with no worker running it waits in the outbox, and a worker started later sends it")
    func outbox() async throws {
        let stub = N8nStub()
        try await withStubServer(stub.router) { n8n in
            try await withTestDatabase("production_outbox", runPool: false) { database, _ in
                let dependencies = try await productionDependencies(database, ["TASKS_SERVE_CONCURRENCY": "0"])
                try await buildApplication(dependencies).test(.live) { client in
                    _ = try await Fixtures(dependencies).setup("box")
                    let root = bearer(try await client.login("box-root")["access_token"])
                    let workflow = try await client.registerWorkflow("later", stub: n8n, callbackSecret: "s", headers: root)
                    try await Self.type("later_type", inspiration: workflow, client, root)
                    let id = try await client.post("/api/v1/inspirations", ["title": "Idea", "project_type_code": "later_type"], headers: root).jsonBody.id
                    let queued: [(String, String)] = try await database.withPlatformScope { tx in
                        try await tx.all(
                            "SELECT t.status, c.status FROM n8n_calls c JOIN tasks t ON t.tenant_id = c.tenant_id AND t.id = c.task_id",
                            as: (String, String).self)
                    }
                    #expect(queued.count == 1)
                    #expect(queued.first?.0 == "queued")
                    #expect(queued.first?.1 == "queued")
                    #expect(stub.calls.isEmpty)

                    let worker = dependencies.taskWorker(concurrency: 1, logger: Logger(label: "tests.worker"))
                    try await withServices([worker]) {
                        let sent = try await client.poll("/api/v1/inspirations/\(id)", headers: root) { $0["last_workflow_call"]?["status"] == "sent" }
                        #expect(sent["status"] == "generating")
                    }
                    #expect(stub.calls(to: "later").count == 1)
                }
            }
        }
    }

    @Test("callbacks: a wrong or missing secret is a 401 and changes nothing; bad payloads are 422 naming the fields; unknown ids 404; repeats are acknowledged once")
    func callbackChecks() async throws {
        let stub = N8nStub()
        try await withStubServer(stub.router) { n8n in
            try await withTestDatabase("production_callbacks", runPool: false) { database, _ in
                let dependencies = try await productionDependencies(database)
                try await buildApplication(dependencies).test(.live) { client in
                    let fixtures = Fixtures(dependencies)
                    _ = try await fixtures.setup("cba")
                    _ = try await fixtures.setup("cbb")
                    let root = bearer(try await client.login("cba-root")["access_token"])
                    let other = bearer(try await client.login("cbb-root")["access_token"])
                    let workflow = try await client.registerWorkflow("gen", stub: n8n, callbackSecret: "s3cret", headers: root)
                    let unsecured = try await client.registerWorkflow("open", stub: n8n, callbackSecret: nil, headers: root)
                    _ = try await client.registerWorkflow("gen", stub: n8n, callbackSecret: "s3cret-b", headers: other)
                    try await Self.type("gen_type", inspiration: workflow, client, root)
                    try await Self.type("open_type", inspiration: unsecured, client, root)
                    let id = try await client.post("/api/v1/inspirations", ["title": "Idea", "project_type_code": "gen_type"], headers: root).jsonBody.id
                    _ = try await client.poll("/api/v1/inspirations/\(id)", headers: root) { $0["status"] == "generating" }
                    let path = "/api/v1/webhooks/n8n/inspiration/\(id)"
                    let good: JSONValue = ["title": "Better idea", "score": 70, "event_id": "e1"]
                    let secret = HTTPField.Name("X-Callback-Secret")!
                    let signature = HTTPField.Name(WorkflowCallbackSignature.headerName)!

                    // Refused: nothing changes.
                    for headers: HTTPFields in [
                        [:], [secret: "wrong"], [secret: "s3cret-b"], [signature: "sha256=" + String(repeating: "0", count: 64)],
                        [signature: WorkflowCallbackSignature.value(secret: "s3cret", body: Array("{\"other\": 1}".utf8))],
                    ] {
                        let refused = try await client.post(path, good, headers: headers)
                        #expect(refused.status == .unauthorized)
                        #expect(refused.jsonBody["error"]?["code"] == "CALLBACK_SECRET_INVALID")
                    }
                    let unchanged = try await client.get("/api/v1/inspirations/\(id)", headers: root).jsonBody
                    #expect(unchanged["title"] == "Idea")
                    #expect(unchanged["status"] == "generating")

                    // Unknown ids; bad bodies; bad fields, each named.
                    #expect(try await client.post("/api/v1/webhooks/n8n/inspiration/\(UUID())", good, headers: [secret: "s3cret"]).status == .notFound)
                    #expect(try await client.post("/api/v1/webhooks/n8n/inspiration/not-an-id", good, headers: [secret: "s3cret"]).status == .notFound)
                    #expect(try await client.post("/api/v1/webhooks/n8n/project_execution/\(UUID())", [:], headers: [secret: "s3cret"]).status == .notFound)
                    #expect(try await client.post("/api/v1/webhooks/n8n/task_update/\(UUID())", [:], headers: [secret: "s3cret"]).status == .notFound)
                    #expect(try await client.post(path, [1, 2], headers: [secret: "s3cret"]).status == .unprocessableContent)
                    let garbage = try await client.execute(
                        uri: path, method: .post, headers: [secret: "s3cret", .contentType: "application/json"], body: ByteBuffer(string: "{nope"))
                    #expect(garbage.status == .badRequest)
                    let bad = try await client.post(path, ["title": "", "score": 500, "parameters": "x", "score_details": [1]], headers: [secret: "s3cret"])
                    #expect(bad.status == .unprocessableContent)
                    for field in ["title", "score", "parameters", "score_details"] {
                        #expect(bad.jsonBody["error"]?["details"]?["fields"]?[field] != nil, "\(field)")
                    }
                    #expect(try await client.get("/api/v1/inspirations/\(id)", headers: root).jsonBody["status"] == "generating")

                    // Accepted once per event id.
                    let accepted = try await client.post(path, good, headers: [secret: "s3cret"])
                    #expect(accepted.status == .ok)
                    #expect(accepted.jsonBody["duplicate"] == false)
                    #expect(accepted.jsonBody["status"] == "pending_review")
                    let repeated = try await client.post(path, ["title": "Changed again", "event_id": "e1"], headers: [secret: "s3cret"])
                    #expect(repeated.jsonBody["duplicate"] == true)
                    let headerEvent = try await client.post(path, ["score": 71], headers: [secret: "s3cret", HTTPField.Name("X-Event-ID")!: "e1"])
                    #expect(headerEvent.jsonBody["duplicate"] == true)
                    let reviewed = try await client.get("/api/v1/inspirations/\(id)", headers: root).jsonBody
                    #expect(reviewed["title"] == "Better idea")
                    #expect(reviewed["score"] == 70)

                    // After approval the inspiration takes no more generated content: 409 naming its status.
                    #expect(try await client.post("/api/v1/inspirations/\(id)/approve", [:], headers: root).jsonBody["status"] == "approved")
                    let late = try await client.post(path, ["title": "Too late", "event_id": "e2"], headers: [secret: "s3cret"])
                    #expect(late.status == .conflict)
                    #expect(late.jsonBody["error"]?["details"]?["current_status"] == "approved")
                    // No transform workflow was triggered for it: nothing can authenticate a project_creation.
                    #expect(try await client.post("/api/v1/webhooks/n8n/project_creation/\(id)", ["tasks": []], headers: [secret: "s3cret"]).status == .unauthorized)

                    // An entry without a callback secret accepts no callback; neither does an inspiration nothing was triggered for.
                    let open = try await client.post("/api/v1/inspirations", ["title": "Open", "project_type_code": "open_type"], headers: root).jsonBody.id
                    _ = try await client.poll("/api/v1/inspirations/\(open)", headers: root) { $0["status"] == "generating" }
                    #expect(try await client.post("/api/v1/webhooks/n8n/inspiration/\(open)", good, headers: [secret: ""]).status == .unauthorized)
                    let bare = try await client.post("/api/v1/inspirations", ["title": "No type"], headers: root).jsonBody.id
                    #expect(try await client.post("/api/v1/webhooks/n8n/inspiration/\(bare)", good, headers: [secret: "s3cret"]).status == .unauthorized)

                    // A task outside any project takes no n8n report.
                    let loose = try await client.post("/api/v1/tasks", ["task_type": "loose", "task_name": "x"], headers: root).jsonBody.id
                    #expect(try await client.post("/api/v1/webhooks/n8n/task_update/\(loose)", ["status": "running"], headers: [secret: "s3cret"]).status == .notFound)

                    let logged: [String] = try await database.withPlatformScope { tx in
                        try await tx.all("SELECT outcome FROM n8n_callbacks ORDER BY id", as: String.self)
                    }
                    #expect(logged == ["applied", "duplicate", "duplicate"])
                }
            }
        }
    }
}
