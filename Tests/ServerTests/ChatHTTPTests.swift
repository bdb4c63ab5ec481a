import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PlatformDatabase
import PlatformSupport
import PlatformTesting
import Providers
@testable import Server
import Synchronization
import Testing

/// What the stub model servers were asked.
final class ChatStubLog: Sendable {
    let bodies = Mutex<[String: [JSONValue]]>([:])
    let headers = Mutex<[String: [String]]>([:])

    func record(_ path: String, _ body: JSONValue, authorization: String? = nil) {
        bodies.withLock { $0[path, default: []].append(body) }
        if let authorization { headers.withLock { $0[path, default: []].append(authorization) } }
    }

    func all(_ path: String) -> [JSONValue] { bodies.withLock { $0[path] ?? [] } }
    func last(_ path: String) -> JSONValue? { all(path).last }
}

func chatJSON(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
    var fields = headers
    fields[.contentType] = "application/json"
    return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: (try? JSONEncoder().encode(value)) ?? Data())))
}

func chatBody(_ request: Request) async throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: Data(buffer: try await request.body.collect(upTo: 1 << 22)))
}

/// An Ollama server: chat (JSON and NDJSON), tags with details, ps, version, generate.
/// Models `slow` (answers after 20 s), `busy` (always 429, Retry-After: 1) and `broken`
/// (fails mid-stream) misbehave.
func chatOllamaStub(_ log: ChatStubLog) -> Router<BasicRequestContext> {
    let router = Router()
    router.post("/api/chat") { request, _ -> Response in
        let body = try await chatBody(request)
        log.record("/api/chat", body)
        let model = body["model"]?.stringValue ?? ""
        switch model {
        case "slow": try await Task.sleep(for: .seconds(20))
        case "busy": return chatJSON(["error": "server busy"], status: .tooManyRequests, headers: [.retryAfter: "1"])
        default: break
        }
        let turn = log.all("/api/chat").count
        let answer = "Answer \(turn) from \(model)"
        if body["stream"] == false {
            return chatJSON([
                "model": .string(model), "message": ["role": "assistant", "content": .string(answer)], "done": true, "done_reason": "stop",
                "prompt_eval_count": 11, "eval_count": 4,
            ])
        }
        var lines = [
            #"{"message":{"role":"assistant","content":"Strea"},"done":false}"#,
            #"{"message":{"role":"assistant","content":"med wörld"},"done":false}"#,
        ]
        lines.append(model == "broken" ? #"{"error":"runner crashed"}"# : #"{"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":9,"eval_count":3}"#)
        let text = lines.joined(separator: "\n") + "\n"
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: ResponseBody { writer in
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                try await writer.write(ByteBuffer(string: line + "\n"))
                try await Task.sleep(for: .milliseconds(20))
            }
            try await writer.finish(nil)
        })
    }
    router.get("/api/tags") { _, _ in
        chatJSON(["models": [
            ["name": "llama3.2:1b", "size": 1_321_098_329, "modified_at": "2026-11-01T10:00:00Z",
             "details": ["family": "llama", "parameter_size": "1.2B", "quantization_level": "Q8_0"]],
            ["name": "qwen2.5:7b", "size": 4_683_087_332, "details": ["family": "qwen2", "parameter_size": "7.6B", "quantization_level": "Q4_K_M"]],
        ]])
    }
    router.get("/api/ps") { _, _ in chatJSON(["models": [["name": "llama3.2:1b", "size_vram": 1_000_000]]]) }
    router.get("/api/version") { _, _ in chatJSON(["version": "0.13.1"]) }
    router.post("/api/generate") { request, _ -> Response in
        let body = try await chatBody(request)
        log.record("/api/generate", body)
        return chatJSON(["model": body["model"] ?? .null, "response": "", "done": true])
    }
    return router
}

/// An OpenAI-compatible server (a vLLM, say) that checks the bearer key it was given.
func chatOpenAIStub(_ log: ChatStubLog, key: String) -> Router<BasicRequestContext> {
    let router = Router()
    router.post("/v1/chat/completions") { request, _ -> Response in
        let body = try await chatBody(request)
        log.record("/v1/chat/completions", body, authorization: request.headers[.authorization])
        guard request.headers[.authorization] == "Bearer \(key)" else { return chatJSON(["error": ["message": "bad key"]], status: .unauthorized) }
        return chatJSON([
            "model": body["model"] ?? .null,
            "choices": [["index": 0, "message": ["role": "assistant", "content": "vLLM says hi"], "finish_reason": "stop"]],
            "usage": ["prompt_tokens": 1000, "completion_tokens": 500],
        ])
    }
    router.get("/v1/models") { request, _ -> Response in
        guard request.headers[.authorization] == "Bearer \(key)" else { return chatJSON(["error": ["message": "bad key"]], status: .unauthorized) }
        return chatJSON(["data": [["id": "mistral-7b-instruct", "max_model_len": 32768]]])
    }
    return router
}

/// Runs Python (httpx) against the live server: streams one chat answer and prints its events.
func chatStreamWithHTTPX(port: Int, token: String, body: JSONValue) async throws -> [JSONValue] {
    let script = """
        import json, sys, httpx
        port, token, body = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
        events, name, data = [], None, []
        with httpx.Client(timeout=60) as client:
            with client.stream("POST", f"http://127.0.0.1:{port}/api/v1/chat", json=body,
                               headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}) as response:
                assert response.status_code == 200, response.status_code
                assert response.headers["content-type"].startswith("text/event-stream")
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        name = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
                    elif line == "" and data:
                        events.append({"event": name, "data": json.loads("\\n".join(data))})
                        name, data = None, []
        print(json.dumps(events))
        """
    let outcome = try await Tools.run(
        testPython.path, ["-c", script, String(port), token, String(decoding: try JSONEncoder().encode(body), as: UTF8.self)])
    #expect(outcome.status == 0, "httpx client failed")
    let text = outcome.data
    guard case .array(let events) = try JSONDecoder().decode(JSONValue.self, from: text) else { return [] }
    return events
}

@Suite("HTTP: chat, models, Ollama, AI models")
struct ChatHTTPTests {
    @Test("a conversation over several turns sends the history each time; history, list, delete; others' conversations answer 404")
    func conversation() async throws {
        let log = ChatStubLog()
        try await withStubServer(chatOllamaStub(log)) { ollama in
            try await withTestDatabase("chat_turns", runPool: false) { database, _ in
                let dependencies = try await makeDependencies(database, ["OLLAMA_BASE_URL": ollama, "MODEL_CATALOG": "ollama/llama3.2:1b=8192:1:2"])
                let fixtures = Fixtures(dependencies)
                try await buildApplication(dependencies).test(.router) { client in
                    let tenant = try await fixtures.setup("cha")
                    _ = try await fixtures.setup("chb")
                    let other = try await fixtures.user("cha-other", tenants: [tenant.id])
                    try await fixtures.grant("member", to: other, in: tenant.id)
                    let member = bearer(try await client.login("cha-member")["access_token"])
                    let colleague = bearer(try await client.login("cha-other")["access_token"])
                    let stranger = bearer(try await client.login("chb-root")["access_token"])

                    let first = try await client.post(
                        "/api/v1/chat", ["conversation_id": .null, "message": "What is AI?", "model": "ollama/llama3.2:1b", "system": "Answer briefly."],
                        headers: member)
                    #expect(first.status == .ok)
                    #expect(first.jsonBody["response"] == "Answer 1 from llama3.2:1b")
                    #expect(first.jsonBody["model"] == "llama3.2:1b")
                    #expect(first.jsonBody["tokens_used"] == 15)
                    let conversation = try #require(first.jsonBody["conversation_id"]?.stringValue)
                    let second = try await client.post(
                        "/api/v1/chat", ["conversation_id": .string(conversation), "message": "And ML?", "model": "llama3.2:1b"], headers: member)
                    #expect(second.status == .ok)
                    #expect(second.jsonBody["conversation_id"]?.stringValue == conversation)
                    _ = try await client.post("/api/v1/chat", ["conversation_id": .string(conversation), "message": "Thanks", "model": "ollama-llama3.2:1b"], headers: member)

                    // The third request carried the whole conversation, the system prompt first.
                    let sent = (log.last("/api/chat")?["messages"]?.arrayValues ?? []).map { "\($0["role"]?.stringValue ?? ""): \($0["content"]?.stringValue ?? "")" }
                    #expect(sent == [
                        "system: Answer briefly.", "user: What is AI?", "assistant: Answer 1 from llama3.2:1b", "user: And ML?",
                        "assistant: Answer 2 from llama3.2:1b", "user: Thanks",
                    ])
                    let history = try await client.get("/api/v1/chat/history/\(conversation)", headers: member)
                    #expect(history.status == .ok)
                    #expect((history.jsonBody["messages"]?.arrayValues ?? []).map { $0["role"]?.stringValue ?? "" } == ["user", "assistant", "user", "assistant", "user", "assistant"])
                    #expect(history.jsonBody["messages"]?[0]?["timestamp"] != nil)
                    #expect(history.jsonBody["title"] == "What is AI?")

                    // Another member of the tenant and another tenant see nothing of it.
                    for headers in [colleague, stranger] {
                        #expect(try await client.get("/api/v1/chat/history/\(conversation)", headers: headers).status == .notFound)
                        #expect(try await client.delete("/api/v1/chat/history/\(conversation)", headers: headers).status == .notFound)
                        let intrude = try await client.post("/api/v1/chat", ["conversation_id": .string(conversation), "message": "hi", "model": "local"], headers: headers)
                        #expect(intrude.status == .notFound)
                        #expect(intrude.jsonBody["error"]?["code"] == "CONVERSATION_NOT_FOUND")
                        #expect(try await client.get("/api/v1/chat/conversations", headers: headers).jsonBody["total"] == 0)
                    }
                    #expect(log.all("/api/chat").count == 3)

                    // The list: newest activity first, with titles.
                    let local = try await client.post("/api/v1/chat", ["message": "Offline please. Just extract this sentence.", "model": "local"], headers: member)
                    #expect(local.jsonBody["provider"] == "local")
                    #expect(local.jsonBody["is_language_model"] == false)
                    _ = try await client.post("/api/v1/chat", ["conversation_id": .string(conversation), "message": "Last one", "model": "llama3.2:1b"], headers: member)
                    let list = try await client.get("/api/v1/chat/conversations", headers: member).jsonBody
                    #expect(list["total"] == 2)
                    #expect(list["items"]?[0]?["conversation_id"]?.stringValue == conversation)
                    #expect(list["items"]?[0]?["message_count"] == 8)
                    #expect(list["items"]?[1]?["title"] == "Offline please. Just extract this sentence.")

                    // Usage: one row per completion, priced from the catalog.
                    let usage: [(String, String, Int, Int, Double?)] = try await database.withPlatformScope { tx in
                        try await tx.all(
                            "SELECT provider, model, prompt_tokens, completion_tokens, cost_usd FROM model_usage WHERE tenant_id = \(tenant.id) ORDER BY id",
                            as: (String, String, Int, Int, Double?).self)
                    }
                    #expect(usage.count == 5)
                    #expect(usage[0].0 == "ollama" && usage[0].1 == "llama3.2:1b" && usage[0].2 == 11 && usage[0].3 == 4)
                    #expect(abs((usage[0].4 ?? 0) - (11 * 1 + 4 * 2) / 1_000_000.0) < 1e-12)
                    #expect(usage[3].0 == "local")

                    #expect(try await client.post("/api/v1/chat", ["message": "x", "model": "nonexistent-model"], headers: member).status == .unprocessableContent)
                    #expect(try await client.post("/api/v1/chat", ["message": "", "model": "local"], headers: member).status == .unprocessableContent)
                    #expect(try await client.post("/api/v1/chat", ["message": "x", "temperature": 3], headers: member).status == .unprocessableContent)
                    #expect(try await client.post("/api/v1/chat", ["message": "x", "conversation_id": "default"], headers: member).status == .unprocessableContent)
                    #expect(try await client.get("/api/v1/chat/history/not-a-uuid", headers: member).status == .notFound)

                    #expect(try await client.delete("/api/v1/chat/history/\(conversation)", headers: member).status == .noContent)
                    #expect(try await client.get("/api/v1/chat/history/\(conversation)", headers: member).status == .notFound)
                    #expect(try await client.get("/api/v1/chat/conversations", headers: member).jsonBody["total"] == 1)
                }
            }
        }
    }

    @Test("the history is trimmed to the model's context window, oldest turns first, the system prompt kept")
    func trimming() async throws {
        let log = ChatStubLog()
        try await withStubServer(chatOllamaStub(log)) { ollama in
            try await withTestDatabase("chat_trim", runPool: false) { database, _ in
                // 600 tokens, 100 of them kept for the answer.
                let dependencies = try await makeDependencies(database, ["OLLAMA_BASE_URL": ollama, "MODEL_CATALOG": "ollama/tiny=600"])
                let fixtures = Fixtures(dependencies)
                try await buildApplication(dependencies).test(.router) { client in
                    _ = try await fixtures.setup("trim")
                    let member = bearer(try await client.login("trim-member")["access_token"])
                    var conversation: JSONValue = .null
                    for turn in 1...6 {
                        // About 150 tokens each.
                        let text = "Turn \(turn): " + String(repeating: "word ", count: 115)
                        let answer = try await client.post(
                            "/api/v1/chat", ["conversation_id": conversation, "message": .string(text), "model": "ollama/tiny", "system": "Stay on topic.", "max_tokens": 100],
                            headers: member)
                        #expect(answer.status == .ok)
                        conversation = answer.jsonBody["conversation_id"] ?? .null
                    }
                    let sent = log.last("/api/chat")?["messages"]?.arrayValues ?? []
                    #expect(sent.first?["role"] == "system")
                    #expect(sent.first?["content"] == "Stay on topic.")
                    #expect(sent.last?["content"]?.stringValue?.hasPrefix("Turn 6:") == true)
                    // The oldest turns went; what is left is the latest, in order, and starts with a question.
                    #expect(sent.count < 12)
                    #expect(sent.count >= 3)
                    #expect(sent[1]["role"] == "user")
                    #expect(!sent.contains { $0["content"]?.stringValue?.hasPrefix("Turn 1:") == true })
                    let estimated = sent.reduce(0) { $0 + (($1["content"]?.stringValue ?? "").utf8.count + 3) / 4 + 4 }
                    #expect(estimated <= 500)
                    // Nothing is lost from the stored history.
                    let history = try await client.get("/api/v1/chat/history/\(conversation.stringValue ?? "")", headers: member)
                    #expect(history.jsonBody["messages"]?.arrayCount == 12)
                }
            }
        }
    }

    @Test("streaming over SSE, read by httpx: token events, then done with the plain answer's object; the turn is stored")
    func streaming() async throws {
        let log = ChatStubLog()
        try await withStubServer(chatOllamaStub(log)) { ollama in
            try await withTestDatabase("chat_stream", runPool: false) { database, _ in
                let dependencies = try await makeDependencies(database, ["OLLAMA_BASE_URL": ollama])
                let fixtures = Fixtures(dependencies)
                try await buildApplication(dependencies).test(.live) { client in
                    _ = try await fixtures.setup("strm")
                    let token = try #require(try await client.login("strm-member")["access_token"]?.stringValue)
                    let port = try #require(client.port)
                    let events = try await chatStreamWithHTTPX(port: port, token: token, body: ["message": "Stream please", "model": "ollama/llama3.2:1b", "stream": true])
                    #expect(events.first?["event"] == "start")
                    let tokens = events.filter { $0["event"] == "token" }.compactMap { $0["data"]?["content"]?.stringValue }
                    #expect(tokens.joined() == "Streamed wörld")
                    #expect(tokens.count >= 2)
                    let done = try #require(events.last)
                    #expect(done["event"] == "done")
                    #expect(done["data"]?["response"] == "Streamed wörld")
                    #expect(done["data"]?["tokens_used"] == 12)
                    let conversation = try #require(done["data"]?["conversation_id"]?.stringValue)
                    #expect(log.last("/api/chat")?["stream"] == true)

                    let headers = bearer(.string(token))
                    let history = try await client.execute(uri: "/api/v1/chat/history/\(conversation)", method: .get, headers: headers).jsonBody
                    #expect((history["messages"]?.arrayValues ?? []).map { $0["content"]?.stringValue ?? "" } == ["Stream please", "Streamed wörld"])

                    // A failure in the middle of the stream ends it with an error event; the message is kept, marked failed.
                    let broken = try await chatStreamWithHTTPX(
                        port: port, token: token, body: ["conversation_id": .string(conversation), "message": "Break", "model": "ollama/broken", "stream": true])
                    #expect(broken.last?["event"] == "error")
                    #expect(broken.last?["data"]?["error"]?["code"] == "PROVIDER_ERROR")
                    #expect(broken.last?["data"]?["error"]?["details"]?["provider"] == "ollama")
                    let after = try await client.execute(uri: "/api/v1/chat/history/\(conversation)", method: .get, headers: headers).jsonBody
                    #expect(after["messages"]?.arrayCount == 3)
                    #expect(after["messages"]?[2]?["status"] == "failed")
                }
            }
        }
    }
}
