import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PlatformDatabase
import PlatformServices
import PlatformSupport
import PlatformTesting
import Synchronization
import Testing

@testable import Server

/// A stand-in for n8n on a loopback port: its webhook trigger (`POST /webhook/{name}`) records
/// each call and answers like n8n (`{"executionId": ...}`), or 503 while the workflow is "down";
/// a workflow with a reaction then calls the platform back, as the n8n workflow would, at the
/// callback URL the call carried, with the callback secret or an HMAC signature of the body.
/// The platform's public address (`PUBLIC_BASE_URL`) resolves to the test server's port here,
/// as DNS or a proxy would in front of a real deployment.
final class N8nStub: Sendable {
    struct Call: Sendable {
        var workflow: String
        /// By lowercased name.
        var headers: [String: String]
        var body: JSONValue
    }

    /// What a workflow posts back: the body to send for a call's payload.
    struct Reaction: Sendable {
        var secretHeader: String?
        var secret: String
        var sign = false
        var body: @Sendable (JSONValue) -> JSONValue
    }

    struct State {
        var calls: [Call] = []
        var down: Set<String> = []
        var rejecting: Set<String> = []
        var callbacks: [(url: String, status: Int, body: JSONValue)] = []
    }

    let state = Mutex(State())
    let reactions: [String: Reaction]
    /// Where the platform's public base URL leads.
    let platform = Mutex<String?>(nil)

    init(reactions: [String: Reaction] = [:]) {
        self.reactions = reactions
    }

    var calls: [Call] { state.withLock { $0.calls } }
    func calls(to workflow: String) -> [Call] { calls.filter { $0.workflow == workflow } }
    var callbacks: [(url: String, status: Int, body: JSONValue)] { state.withLock { $0.callbacks } }
    func setDown(_ workflow: String, _ down: Bool) {
        state.withLock { state in
            if down { state.down.insert(workflow) } else { state.down.remove(workflow) }
        }
    }
    func setRejecting(_ workflow: String) { _ = state.withLock { $0.rejecting.insert(workflow) } }

    var router: Router<BasicRequestContext> {
        let router = Router()
        router.post("/webhook/{name}") { request, context -> Response in
            let name = context.parameters.get("name") ?? ""
            let buffer = try await request.body.collect(upTo: 4 << 20)
            let body = (try? JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView))) ?? .null
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let (count, down, rejecting) = self.state.withLock { state in
                state.calls.append(Call(workflow: name, headers: headers, body: body))
                return (state.calls.count, state.down.contains(name), state.rejecting.contains(name))
            }
            if down { return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "n8n is down"))) }
            if rejecting { return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: "{\"message\": \"bad workflow\"}"))) }
            if let reaction = self.reactions[name], let url = body["callback_url"]?.stringValue {
                // n8n answers the trigger at once and reports when its workflow is done.
                Task { _ = try? await self.callBack(url, reaction.body(body), reaction) }
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: "{\"executionId\": \"n8n-\(name)-\(count)\"}")))
        }
        return router
    }

    /// The test server that the public base URL reaches.
    func route(to port: Int?) { platform.withLock { $0 = "http://localhost:\(port ?? 0)" } }

    /// Posts `body` to the platform as n8n does, with the reaction's proof.
    @discardableResult
    func callBack(_ url: String, _ body: JSONValue, _ reaction: Reaction) async throws -> (status: Int, body: JSONValue) {
        let bytes = Array(try JSONEncoder().encode(body))
        var target = url
        if url.hasPrefix(publicBase), let actual = platform.withLock({ $0 }) { target = actual + url.dropFirst(publicBase.count) }
        var request = HTTPClientRequest(url: target)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if reaction.sign {
            request.headers.add(name: WorkflowCallbackSignature.headerName, value: WorkflowCallbackSignature.value(secret: reaction.secret, body: bytes))
        } else {
            request.headers.add(name: reaction.secretHeader ?? "X-Callback-Secret", value: reaction.secret)
        }
        request.body = .bytes(ByteBuffer(bytes: bytes))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let answer = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONDecoder().decode(JSONValue.self, from: Data(answer.readableBytesView))) ?? .null
        let status = Int(response.status.code)
        state.withLock { $0.callbacks.append((url, status, json)) }
        return (status, json)
    }
}

/// The platform's public address in the production tests (n8n's stand-in resolves it).
let publicBase = "http://platform.test"

/// Dependencies of an application whose public address is `publicBase`.
func productionDependencies(_ database: Database, _ extra: [String: String] = [:]) async throws -> AppDependencies {
    var environment = workflowConfig.merging(["PUBLIC_BASE_URL": publicBase]) { _, new in new }
    environment.merge(extra) { _, new in new }
    return try await makeDependencies(database, environment)
}

extension TestClientProtocol {
    /// Polls `path` until `condition` holds for its JSON, and returns the last answer.
    func poll(_ path: String, headers: HTTPFields, within seconds: Double = 60, until condition: (JSONValue) -> Bool) async throws -> JSONValue {
        var last: JSONValue = .null
        _ = try await eventually(within: seconds) {
            last = try await get(path, headers: headers).jsonBody
            return condition(last)
        }
        return last
    }

    /// A registered n8n workflow calling the stub's webhook `name`.
    func registerWorkflow(_ name: String, stub: String, callbackSecret: String?, callbackHeader: String? = nil, headers: HTTPFields) async throws -> String {
        var body: [String: JSONValue] = [
            "name": .string(name), "workflow_type": "short-video", "n8n_webhook_url": .string("\(stub)/webhook/\(name)"),
            "auth_header_name": "X-N8N-Key", "auth_header_value": .string("key-\(name)"),
        ]
        if let callbackSecret { body["callback_secret"] = .string(callbackSecret) }
        if let callbackHeader { body["callback_header_name"] = .string(callbackHeader) }
        return try await post("/api/v1/workflow-registry", .object(body), headers: headers).jsonBody.id
    }
}

@Suite("Production: the n8n loop")
struct ProductionLoopTests {
    static let generated: JSONValue = ["script": "A cat floats past the moon.", "hooks": ["Meow?"]]

    static let reactions: [String: N8nStub.Reaction] = [
        "generate": .init(secretHeader: "X-Callback-Secret", secret: "gen-secret") { payload in
            ["event_id": .string("gen-\(payload["execution_id"]?.stringValue ?? "")"), "title": "Cats in orbit", "score": 88,
             "score_details": ["hook": 9], "parameters": ["mood": "dreamy"], "content": ProductionLoopTests.generated]
        },
        "transform": .init(secret: "tr-secret", sign: true) { payload in
            ["event_id": "transform-1", "name": .string("Project: \(payload["inspiration"]?["title"]?.stringValue ?? "")"),
             "initial_parameters": ["duration": 45],
             "tasks": [
                ["key": "script", "task_type": "video.script", "task_input": ["text": "cats"], "config_ids": [], "queue": "render"],
                ["key": "render", "task_type": "video.render", "depends_on": ["script"], "task_input": ["fps": 30], "queue": "render"],
             ]]
        },
    ]

    @Test("inspiration -> n8n -> callback -> approve -> transform -> project and tasks -> a worker claims with its configs -> task updates -> project completed, counters exact")
    func wholeLoop() async throws {
        let stub = N8nStub(reactions: Self.reactions)
        try await withStubServer(stub.router) { n8n in
            try await withTestDatabase("production_loop", runPool: false) { database, _ in
                let dependencies = try await productionDependencies(database)
                try await buildApplication(dependencies).test(.live) { client in
                    stub.route(to: client.port)
                    _ = try await Fixtures(dependencies).setup("loop")
                    let root = bearer(try await client.login("loop-root")["access_token"])
                    let generate = try await client.registerWorkflow("generate", stub: n8n, callbackSecret: "gen-secret", headers: root)
                    let transform = try await client.registerWorkflow("transform", stub: n8n, callbackSecret: "tr-secret", headers: root)
                    let execute = try await client.registerWorkflow("execute", stub: n8n, callbackSecret: "ex-secret", callbackHeader: "X-Exec-Secret", headers: root)
                    let hd = try await client.post(
                        "/api/v1/worker-configs",
                        ["config_name": "render-hd", "config_type": "render", "worker_type": "ffmpeg", "config_data": ["resolution": "1080p", "fps": 30, "codec": ["name": "h264", "crf": 20]], "priority": 10],
                        headers: root).jsonBody.id
                    let sd = try await client.post(
                        "/api/v1/worker-configs", ["config_name": "render-sd", "config_type": "render", "config_data": ["resolution": "480p"], "priority": 1],
                        headers: root).jsonBody.id
                    let type = try await client.post(
                        "/api/v1/project-types",
                        ["code": "short_story", "name": "Short story", "inspiration_workflow_id": .string(generate), "transform_workflow_id": .string(transform),
                         "execution_workflow_id": .string(execute), "default_parameters": ["duration": 30, "style": "calm"], "category": "stories",
                         "parameter_schema": ["type": "object", "required": ["topic"], "properties": ["duration": ["type": "integer", "minimum": 5, "maximum": 120]]]],
                        headers: root)
                    #expect(type.status == .ok)

                    // 1. The inspiration is recorded with its call; the call goes out after commit.
                    let created = try await client.post(
                        "/api/v1/inspirations", ["title": "Cats in space", "project_type_code": "short_story", "source": "manual", "parameters": ["topic": "cats"]],
                        headers: root)
                    #expect(created.status == .ok)
                    let inspiration = created.jsonBody
                    let id = inspiration.id
                    for field in ["id", "title", "description", "project_type_code", "source", "parameters", "status", "score", "score_details", "review_notes", "created_at", "updated_at"] {
                        #expect(inspiration[field] != nil, "\(field)")
                    }
                    #expect(inspiration["status"] == "pending")
                    #expect(inspiration["description"] == .null)
                    #expect(inspiration["last_workflow_call"]?["status"] == "queued")
                    #expect(inspiration["last_workflow_call"]?["workflow_id"] == .string(generate))

                    // 2. n8n is called with the auth header and the callback URLs; it calls back.
                    let reviewed = try await client.poll("/api/v1/inspirations/\(id)", headers: root) { $0["status"] == "pending_review" }
                    #expect(reviewed["status"] == "pending_review")
                    #expect(reviewed["title"] == "Cats in orbit")
                    #expect(reviewed["score"] == 88)
                    #expect(reviewed["score_details"] == ["hook": 9])
                    #expect(reviewed["parameters"] == ["topic": "cats", "mood": "dreamy"])
                    #expect(reviewed["generated_content"] == Self.generated)
                    #expect(reviewed["last_workflow_call"]?["status"] == "sent")
                    #expect(reviewed["last_workflow_call"]?["n8n_execution_id"] == "n8n-generate-1")
                    let call = try #require(stub.calls(to: "generate").first)
                    #expect(call.headers["x-n8n-key"] == "key-generate")
                    let callbackURL = "\(publicBase)/api/v1/webhooks/n8n/inspiration/\(id.lowercased())"
                    #expect(call.headers["x-callback-url"] == callbackURL)
                    #expect(call.body["callback_url"] == .string(callbackURL))
                    #expect(call.body["event"] == "inspiration.generate")
                    #expect(call.body["inspiration"]?["id"] == .string(id))
                    #expect(call.body["project_type"]?["code"] == "short_story")
                    #expect(call.body["execution_id"] == reviewed["last_workflow_call"]?["id"])

                    // 3. Approval triggers the transform workflow, whose callback (signed) makes the project and its tasks.
                    let approved = try await client.post("/api/v1/inspirations/\(id)/approve", ["review_notes": "Lovely", "score": 95], headers: root)
                    #expect(approved.jsonBody["status"] == "approved")
                    #expect(approved.jsonBody["score"] == 95)
                    #expect(approved.jsonBody["review_notes"] == "Lovely")
                    let listed = try await client.poll("/api/v1/projects?inspiration_id=\(id)", headers: root) { ($0.arrayValues?.count ?? 0) == 1 }
                    let project = try #require(listed[0])
                    let projectID = project.id
                    #expect(project["name"] == "Project: Cats in orbit")
                    #expect(project["project_type_code"] == "short_story")
                    #expect(project["initial_parameters"] == ["topic": "cats", "mood": "dreamy", "duration": 45, "style": "calm"])
                    #expect(project["status"] == "queued")
                    #expect(project["inspiration_id"] == .string(id))
                    #expect(project["used_transform_workflow_id"] == .string(transform))
                    #expect(project["used_execution_workflow_id"] == .string(execute))
                    #expect(project["total_tasks"] == 2)
                    #expect(project["completed_tasks"] == 0)
                    #expect(project["failed_tasks"] == 0)
                    #expect(project["output_asset_id"] == .null)
                    let tasks = project["tasks"]?.arrayValues ?? []
                    #expect(tasks.map { $0["task_type"] } == ["video.script", "video.render"])
                    #expect(tasks.allSatisfy { $0["project_id"] == .string(projectID) && $0["status"] == "queued" })
                    let script = tasks.first?.id ?? ""
                    let render = tasks.last?.id ?? ""
                    #expect(tasks.last?["dependencies"] == [.string(script)])
                    let creation = stub.callbacks.first { $0.url.contains("/project_creation/") }
                    #expect(creation?.status == 200)
                    #expect(creation?.body["project_id"] == .string(projectID))
                    #expect(creation?.body["task_ids"] == [.string(script), .string(render)])

                    // The execution workflow was sent the project, with the task_update URL template.
                    #expect(try await eventually(within: 60) { !stub.calls(to: "execute").isEmpty })
                    let execution = try #require(stub.calls(to: "execute").first)
                    #expect(execution.body["project"]?["id"] == .string(projectID))
                    #expect(execution.body["callback_url"] == .string("\(publicBase)/api/v1/webhooks/n8n/project_execution/\(projectID.lowercased())"))
                    #expect(execution.body["callback_urls"]?["task_update"] == .string("\(publicBase)/api/v1/webhooks/n8n/task_update/{task_id}"))

                    // 4. A repeated project_creation callback (same or another event id) makes no second project.
                    let transformReaction = try #require(Self.reactions["transform"])
                    let repeatBody = transformReaction.body(["inspiration": ["title": "Cats in orbit"]])
                    let creationURL = "\(publicBase)/api/v1/webhooks/n8n/project_creation/\(id)"
                    let again = try await stub.callBack(creationURL, repeatBody, transformReaction)
                    #expect(again.status == 200)
                    #expect(again.body["duplicate"] == true)
                    #expect(again.body["project_id"] == .string(projectID))
                    var other = repeatBody
                    if case .object(var object) = other { object["event_id"] = "transform-2"; other = .object(object) }
                    #expect(try await stub.callBack(creationURL, other, transformReaction).body["duplicate"] == true)
                    #expect(try await client.get("/api/v1/projects?inspiration_id=\(id)", headers: root).jsonBody.arrayValues?.count == 1)

                    // 5. Configs for the render task: the HD config (higher priority) with the override merged.
                    let assigned = try await client.post(
                        "/api/v1/worker-configs/tasks/\(render)/assign", ["config_ids": [.string(hd), .string(sd)], "override_data": ["fps": 60, "codec": ["crf": 18]]],
                        headers: root)
                    #expect(assigned.jsonBody.arrayValues?.count == 2)
                    #expect(assigned.jsonBody[0]?["task_id"] == .string(render))
                    #expect(assigned.jsonBody[0]?["override_data"] == ["fps": 60, "codec": ["crf": 18]])

                    // 6. A worker claims the script task (nothing configured), completes it; the render task follows with its configs.
                    let first = try await client.post("/api/v1/tasks/claim", ["worker_id": "w1", "task_types": ["video.script", "video.render"]], headers: root).jsonBody
                    #expect(first.arrayValues?.count == 1)
                    #expect(first[0]?.id == script)
                    #expect(first[0]?["worker_configs"] == [:])
                    let running = try await client.poll("/api/v1/projects/\(projectID)", headers: root) { $0["status"] == "running" }
                    #expect(running["status"] == "running")
                    #expect(try await client.patch("/api/v1/tasks/\(script)", ["status": "completed", "task_output": ["words": 120]], headers: root).status == .ok)
                    let second = try await client.post("/api/v1/tasks/claim", ["worker_id": "w1", "task_types": ["video.render"]], headers: root).jsonBody
                    #expect(second[0]?.id == render)
                    let configs = second[0]?["worker_configs"]
                    #expect(configs?["render"]?["config_id"] == .string(hd))
                    #expect(configs?["render"]?["config_data"] == ["resolution": "1080p", "fps": 60, "codec": ["name": "h264", "crf": 18]])
                    #expect(try await client.get("/api/v1/worker-configs/tasks/\(render)/configs", headers: root).jsonBody == [
                        "render": ["config_id": .string(hd), "config_name": "render-hd", "config_type": "render", "worker_type": "ffmpeg", "priority": 10,
                                   "config_data": ["resolution": "1080p", "fps": 60, "codec": ["name": "h264", "crf": 18]]],
                    ])

                    // 7. n8n reports the render task done (a repeat of its event id changes nothing), then the project.
                    let exec = N8nStub.Reaction(secretHeader: "X-Exec-Secret", secret: "ex-secret") { $0 }
                    let taskURL = "\(publicBase)/api/v1/webhooks/n8n/task_update/\(render)"
                    let update = try await stub.callBack(taskURL, ["event_id": "render-done", "status": "completed", "output": ["video": "render.mp4"]], exec)
                    #expect(update.status == 200)
                    #expect(update.body["status"] == "completed")
                    let repeated = try await stub.callBack(taskURL, ["event_id": "render-done", "status": "failed", "error_message": "late"], exec)
                    #expect(repeated.body["duplicate"] == true)
                    #expect(try await client.get("/api/v1/tasks/\(render)", headers: root).jsonBody["status"] == "completed")
                    let counted = try await client.poll("/api/v1/projects/\(projectID)", headers: root) { $0["completed_tasks"] == 2 }
                    #expect(counted["total_tasks"] == 2)
                    #expect(counted["completed_tasks"] == 2)
                    #expect(counted["failed_tasks"] == 0)
                    let asset = UUID().uuidString
                    let done = try await stub.callBack(
                        "\(publicBase)/api/v1/webhooks/n8n/project_execution/\(projectID.lowercased())",
                        ["event_id": "project-done", "status": "completed", "output_asset_id": .string(asset)], exec)
                    #expect(done.status == 200)
                    let finished = try await client.get("/api/v1/projects/\(projectID)", headers: root).jsonBody
                    #expect(finished["status"] == "completed")
                    #expect(finished["output_asset_id"] == .string(asset))
                    #expect(finished["total_tasks"] == 2)
                    #expect(finished["completed_tasks"] == 2)
                    #expect(finished["failed_tasks"] == 0)
                    #expect(finished["tasks"]?.arrayValues?.map { $0["status"] } == ["completed", "completed"])

                    // Every accepted callback is in the log, each with the proof it carried.
                    let logged: [(String, String, String)] = try await database.withPlatformScope { tx in
                        try await tx.all("SELECT kind, outcome, proof FROM n8n_callbacks ORDER BY id", as: (String, String, String).self)
                    }
                    #expect(logged.map { $0.0 } == ["inspiration", "project_creation", "project_creation", "project_creation", "task_update", "task_update", "project_execution"])
                    #expect(logged.map { $0.1 } == ["applied", "applied", "duplicate", "duplicate", "applied", "duplicate", "applied"])
                    #expect(logged.filter { $0.0 == "project_creation" }.allSatisfy { $0.2 == "hmac_sha256" })
                    #expect(logged.filter { $0.0 != "project_creation" }.allSatisfy { $0.2 == "secret_header" })
                }
            }
        }
    }
}
