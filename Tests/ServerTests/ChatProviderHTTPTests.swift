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
import Testing

@Suite("HTTP: chat providers failing, Ollama routes, AI models, the catalog")
struct ChatProviderHTTPTests {
    @Test("provider slow, rate limiting with Retry-After, and down: 504, 503, 503 naming it; the message kept, a retry not duplicated")
    func failures() async throws {
        let log = ChatStubLog()
        try await withStubServer(chatOllamaStub(log)) { ollama in
            try await withStubServer(chatOpenAIStub(log, key: "sk-vllm")) { vllm in
                try await withTestDatabase("chat_fail", runPool: false) { database, _ in
                    let dependencies = try await makeDependencies(database, [
                        "OLLAMA_BASE_URL": ollama, "MODEL_PROVIDER_TIMEOUT_SECONDS": "2", "MODEL_PROVIDER_RETRIES": "1", "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
                    ])
                    let fixtures = Fixtures(dependencies)
                    try await buildApplication(dependencies).test(.router) { client in
                        _ = try await fixtures.setup("fail")
                        let root = bearer(try await client.login("fail-root")["access_token"])

                        let started = ContinuousClock.now
                        let slow = try await client.post("/api/v1/chat", ["message": "Hello?", "model": "ollama/slow"], headers: root)
                        #expect(slow.status == .gatewayTimeout)
                        #expect(slow.jsonBody["error"]?["code"] == "PROVIDER_TIMEOUT")
                        #expect(slow.jsonBody["error"]?["details"]?["provider"] == "ollama")
                        // The stub answers after 20 s; the first-byte timeout (2 s, one retry) ends it well before.
                        #expect(ContinuousClock.now - started < .seconds(15))
                        let conversation = try #require(try await client.get("/api/v1/chat/conversations", headers: root).jsonBody["items"]?[0]?["id"]?.stringValue)
                        let kept = try await client.get("/api/v1/chat/history/\(conversation)", headers: root).jsonBody
                        #expect(kept["messages"]?.arrayCount == 1)
                        #expect(kept["messages"]?[0]?["status"] == "failed")

                        let waited = ContinuousClock.now
                        let busy = try await client.post("/api/v1/chat", ["message": "Hello?", "model": "ollama/busy"], headers: root)
                        #expect(busy.status == .serviceUnavailable)
                        #expect(busy.jsonBody["error"]?["code"] == "PROVIDER_RATE_LIMITED")
                        #expect(busy.jsonBody["error"]?["message"]?.stringValue?.contains("ollama") == true)
                        // One retry, after the Retry-After second.
                        #expect(ContinuousClock.now - waited >= .seconds(1))
                        #expect(log.all("/api/chat").filter { $0["model"] == "busy" }.count == 2)

                        // An AI model on a port nobody listens on: down.
                        let dead = try freePort()
                        let model = try await client.post(
                            "/api/v1/ai-models",
                            ["name": "house-vllm", "provider": "vllm", "endpoint": .string("http://127.0.0.1:\(dead)/v1"), "api_key": "sk-vllm", "model_name": "mistral-7b-instruct",
                             "config": ["max_retries": 0]],
                            headers: root)
                        #expect(model.status == .created)
                        let down = try await client.post(
                            "/api/v1/chat", ["conversation_id": .string(conversation), "message": "Hello?", "model": "house-vllm"], headers: root)
                        #expect(down.status == .serviceUnavailable)
                        #expect(down.jsonBody["error"]?["code"] == "PROVIDER_UNAVAILABLE")
                        #expect(down.jsonBody["error"]?["details"]?["provider"] == "vllm")
                        #expect(down.text.contains(String(dead)) == false)

                        // Fixed, the same text is sent again: the failed message is answered, not repeated.
                        let fixed = try await client.put("/api/v1/ai-models/\(model.jsonBody.id)", ["endpoint": .string(vllm)], headers: root)
                        #expect(fixed.status == .ok)
                        let retried = try await client.post(
                            "/api/v1/chat", ["conversation_id": .string(conversation), "message": "Hello?", "model": "house-vllm"], headers: root)
                        #expect(retried.status == .ok)
                        #expect(retried.jsonBody["response"] == "vLLM says hi")
                        #expect(retried.jsonBody["model"] == "mistral-7b-instruct")
                        let history = try await client.get("/api/v1/chat/history/\(conversation)", headers: root).jsonBody
                        #expect((history["messages"]?.arrayValues ?? []).map { "\($0["role"]?.stringValue ?? "") \($0["status"]?.stringValue ?? "")" } == ["user ok", "assistant ok"])
                        #expect(retried.jsonBody["user_message_id"] == history["messages"]?[0]?["id"])
                        #expect(log.last("/v1/chat/completions")?["messages"]?.arrayCount == 1)
                    }
                }
            }
        }
    }

    @Test("Ollama: health, models with details, warm-up, status, select-model (only a model Ollama has); the URL never shown")
    func ollamaRoutes() async throws {
        let log = ChatStubLog()
        try await withStubServer(chatOllamaStub(log)) { ollama in
            try await withTestDatabase("chat_ollama", runPool: false) { database, _ in
                let dependencies = try await makeDependencies(database, ["OLLAMA_BASE_URL": ollama])
                let fixtures = Fixtures(dependencies)
                try await buildApplication(dependencies).test(.router) { client in
                    let tenant = try await fixtures.setup("oll")
                    _ = try await fixtures.setup("oth")
                    let root = bearer(try await client.login("oll-root")["access_token"])
                    let member = bearer(try await client.login("oll-member")["access_token"])
                    let stranger = bearer(try await client.login("oth-root")["access_token"])
                    let port = String(ollama.split(separator: ":").last ?? "")

                    let health = try await client.get("/api/v1/ollama/health")
                    #expect(health.jsonBody["status"] == "healthy")
                    #expect(health.jsonBody["version"] == "0.13.1")
                    #expect(health.jsonBody["latency_ms"] != nil)
                    #expect(health.headers[HTTPField.Name("RateLimit-Policy")!]?.hasPrefix("\"auth\"") == true)
                    let models = try await client.get("/api/v1/ollama/models")
                    #expect(models.jsonBody["models"]?[0]?["name"] == "llama3.2:1b")
                    #expect(models.jsonBody["models"]?[0]?["parameters"] == 1_200_000_000)
                    #expect(models.jsonBody["models"]?[0]?["quantization"] == "Q8_0")
                    #expect(models.jsonBody["models"]?[0]?["family"] == "llama")
                    #expect(models.jsonBody["models"]?[1]?["size"] == 4_683_087_332)

                    let warm = try await client.post("/api/v1/ollama/warmup", ["model": "qwen2.5:7b"])
                    #expect(warm.jsonBody["status"] == "loaded")
                    #expect(log.last("/api/generate")?["prompt"] == "")
                    #expect(log.last("/api/generate")?["keep_alive"] != nil)
                    #expect(try await client.post("/api/v1/ollama/warmup", ["model": "nope"]).status == .unprocessableContent)

                    #expect(try await client.post("/api/v1/ollama/select-model", ["model": "qwen2.5:7b"]).status == .unauthorized)
                    #expect(try await client.post("/api/v1/ollama/select-model", ["model": "qwen2.5:7b"], headers: member).status == .forbidden)
                    let unknown = try await client.post("/api/v1/ollama/select-model", ["model": "gpt-5"], headers: root)
                    #expect(unknown.status == .unprocessableContent)
                    #expect(unknown.jsonBody["error"]?["details"]?["fields"]?["model"]?.stringValue?.contains("gpt-5") == true)
                    let selected = try await client.post("/api/v1/ollama/select-model", ["model": "qwen2.5:7b"], headers: root)
                    #expect(selected.jsonBody["selected_model"] == "qwen2.5:7b")
                    #expect(selected.jsonBody["available_models"]?.arrayCount == 2)

                    #expect(try await client.get("/api/v1/ollama/status", headers: member).jsonBody["active_model"] == "qwen2.5:7b")
                    #expect(try await client.get("/api/v1/ollama/status", headers: stranger).jsonBody["active_model"] == nil)
                    let anonymous = try await client.get("/api/v1/ollama/status").jsonBody
                    #expect(anonymous["loaded_models"] == ["llama3.2:1b"])
                    #expect(anonymous["active_model"] == nil)

                    // Chat without a model uses the tenant's choice.
                    let chat = try await client.post("/api/v1/chat", ["message": "Which model?"], headers: member)
                    #expect(chat.jsonBody["model"] == "qwen2.5:7b")
                    #expect(log.last("/api/chat")?["model"] == "qwen2.5:7b")
                    let available = try await client.get("/api/v1/chat/models", headers: member).jsonBody
                    #expect((available["models"]?.arrayValues ?? []).compactMap { $0["id"]?.stringValue }.sorted() == ["local", "ollama/llama3.2:1b", "ollama/qwen2.5:7b"])

                    for response in [health, models, warm, selected] { #expect(!response.text.contains(port)) }
                    _ = tenant
                }
            }
            // Not configured: health and the lists say so; warm-up answers 409.
            try await withTestDatabase("chat_no_ollama", runPool: false) { database, _ in
                let dependencies = try await makeDependencies(database)
                try await buildApplication(dependencies).test(.router) { client in
                    let health = try await client.get("/api/v1/ollama/health")
                    #expect(health.jsonBody["status"] == "not_configured")
                    let models = try await client.get("/api/v1/ollama/models")
                    #expect(models.jsonBody == ["models": [], "connected": false])
                    let warmup = try await client.post("/api/v1/ollama/warmup", ["model": "llama3.2:1b"])
                    #expect(warmup.status == .conflict)
                    #expect(warmup.jsonBody["error"]?["code"] == "PROVIDER_NOT_CONFIGURED")
                }
            }
        }
    }

    @Test("AI models: CRUD, keys sealed and never returned, endpoints checked, another tenant's answer 404, test-connection, usable by name")
    func aiModels() async throws {
        let log = ChatStubLog()
        try await withStubServer(chatOpenAIStub(log, key: "sk-secret-123")) { vllm in
            try await withTestDatabase("chat_ai_models", runPool: false) { database, _ in
                let dependencies = try await makeDependencies(database, ["WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"])
                let fixtures = Fixtures(dependencies)
                try await buildApplication(dependencies).test(.router) { client in
                    let tenant = try await fixtures.setup("aim")
                    _ = try await fixtures.setup("aio")
                    let root = bearer(try await client.login("aim-root")["access_token"])
                    let member = bearer(try await client.login("aim-member")["access_token"])
                    let stranger = bearer(try await client.login("aio-root")["access_token"])

                    let created = try await client.post(
                        "/api/v1/ai-models",
                        ["name": "house-vllm", "description": "Our GPU box", "provider": "vllm", "endpoint": .string(vllm + "/v1"), "api_key": "sk-secret-123",
                         "model_name": "mistral-7b-instruct", "config": ["context_window": 32768, "input_price_per_million": 0.5, "output_price_per_million": 1.5],
                         "visibility": 2],
                        headers: root)
                    #expect(created.status == .created)
                    #expect(created.jsonBody["has_api_key"] == true)
                    #expect(created.jsonBody["api_key"] == nil)
                    #expect(created.jsonBody["status"] == "active")
                    #expect(!created.text.contains("sk-secret-123"))
                    let id = created.jsonBody.id
                    let stored: ByteBuffer? = try await database.withPlatformScope { tx in
                        try await tx.first("SELECT sealed_api_key FROM ai_models WHERE id = \(UUID(uuidString: id) ?? UUID())", as: ByteBuffer.self)
                    }
                    #expect((stored?.readableBytes ?? 0) > 0)
                    #expect(!String(buffer: stored ?? ByteBuffer()).contains("sk-secret-123"))

                    #expect(try await client.post("/api/v1/ai-models", ["name": "House-VLLM", "provider": "vllm", "endpoint": .string(vllm), "model_name": "x"], headers: root).status == .conflict)
                    let bad = try await client.post("/api/v1/ai-models", ["name": "", "provider": "skynet", "model_name": ""], headers: root)
                    #expect(bad.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["model_name", "name", "provider"])
                    let metadata = try await client.post(
                        "/api/v1/ai-models", ["name": "meta", "provider": "openai", "endpoint": "http://169.254.169.254/latest", "model_name": "gpt"], headers: root)
                    #expect(metadata.status == .unprocessableContent)
                    #expect(metadata.jsonBody["error"]?["details"]?["fields"]?["endpoint"] != nil)
                    let noEndpoint = try await client.post("/api/v1/ai-models", ["name": "e", "provider": "vllm", "model_name": "x"], headers: root)
                    #expect(noEndpoint.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["endpoint"])
                    #expect(try await client.post("/api/v1/ai-models", ["name": "m", "provider": "vllm", "model_name": "x"], headers: member).status == .forbidden)

                    let list = try await client.get("/api/v1/ai-models?provider=vllm&keyword=gpu", headers: member)
                    #expect(list.jsonBody["total"] == 1)
                    #expect(list.jsonBody["items"]?[0]?["name"] == "house-vllm")
                    #expect(try await client.get("/api/v1/ai-models?status=disabled", headers: root).jsonBody["total"] == 0)
                    #expect(try await client.get("/api/v1/ai-models?status=", headers: root).status == .unprocessableContent)

                    // Another tenant: public or not, its ids are not found for writing and testing.
                    #expect(try await client.put("/api/v1/ai-models/\(id)", ["description": "mine"], headers: stranger).status == .notFound)
                    #expect(try await client.delete("/api/v1/ai-models/\(id)", headers: stranger).status == .notFound)
                    #expect(try await client.post("/api/v1/ai-models/\(id)/test-connection", [:], headers: stranger).status == .notFound)
                    #expect(try await client.get("/api/v1/ai-models/\(id)", headers: stranger).status == .notFound)
                    #expect(try await client.get("/api/v1/ai-models", headers: stranger).jsonBody["total"] == 0)
                    #expect(try await client.post("/api/v1/chat", ["message": "hi", "model": "house-vllm"], headers: stranger).status == .unprocessableContent)

                    let test = try await client.post("/api/v1/ai-models/\(id)/test-connection", [:], headers: root)
                    #expect(test.jsonBody["success"] == true)
                    #expect(test.jsonBody["latency_ms"] != nil)
                    #expect(log.headers.withLock { $0["/v1/chat/completions"] ?? [] }.isEmpty)

                    // Usable by name in chat, priced from its config.
                    let chat = try await client.post("/api/v1/chat", ["message": "hi", "model": "house-vllm"], headers: member)
                    #expect(chat.status == .ok)
                    #expect(chat.jsonBody["response"] == "vLLM says hi")
                    #expect(chat.jsonBody["provider"] == "vllm")
                    let cost: Double? = try await database.withPlatformScope { tx in
                        try await tx.first("SELECT coalesce(cost_usd, -1) FROM model_usage WHERE tenant_id = \(tenant.id)", as: Double.self)
                    }
                    #expect(abs((cost ?? 0) - (1000 * 0.5 + 500 * 1.5) / 1_000_000) < 1e-12)
                    #expect((try await client.get("/api/v1/chat/models", headers: member).jsonBody["models"]?.arrayValues ?? []).contains { $0["id"] == "house-vllm" })
                    // ... and through the provider registry (the workflow engine's llm node, agents).
                    let registered = try #require(try await dependencies.providers.provider("house-vllm", tenant: tenant.id))
                    let answer = try await registered.complete(ChatRequest(model: "ignored", messages: [ChatMessage(role: .user, content: "hi")]))
                    #expect(answer.content == "vLLM says hi")
                    #expect(log.last("/v1/chat/completions")?["model"] == "mistral-7b-instruct")

                    // A wrong key fails the test; removing the key is an empty string.
                    #expect(try await client.put("/api/v1/ai-models/\(id)", ["api_key": "wrong"], headers: root).jsonBody["has_api_key"] == true)
                    let failing = try await client.post("/api/v1/ai-models/\(id)/test-connection", [:], headers: root)
                    #expect(failing.jsonBody["success"] == false)
                    // A model that does not answer now is not offered for chat.
                    #expect(!(try await client.get("/api/v1/chat/models", headers: member).jsonBody["models"]?.arrayValues ?? []).contains { $0["id"] == "house-vllm" })
                    #expect(try await client.put("/api/v1/ai-models/\(id)", ["api_key": ""], headers: root).jsonBody["has_api_key"] == false)
                    let disabled = try await client.put("/api/v1/ai-models/\(id)", ["status": "disabled"], headers: root)
                    #expect(disabled.jsonBody["status"] == "disabled")
                    #expect(try await client.post("/api/v1/chat", ["message": "hi", "model": "house-vllm"], headers: member).status == .unprocessableContent)
                    #expect(try await client.delete("/api/v1/ai-models/\(id)", headers: root).status == .noContent)
                    #expect(try await client.get("/api/v1/ai-models/\(id)", headers: root).status == .notFound)
                }
            }
        }
    }

    @Test("the catalog merges configured entries with what providers report; names and aliases; unknown models 404; no URLs")
    func catalog() async throws {
        let log = ChatStubLog()
        try await withStubServer(chatOllamaStub(log)) { ollama in
            try await withTestDatabase("chat_catalog", runPool: false) { database, _ in
                let dependencies = try await makeDependencies(database, [
                    "OLLAMA_BASE_URL": ollama, "MODEL_CATALOG": "ollama/llama3.2:1b=131072:0:0,openai/gpt-4o=128000:2.5:10",
                ])
                try await buildApplication(dependencies).test(.router) { client in
                    let list = try await client.get("/api/v1/models")
                    #expect(list.status == .ok)
                    let models = list.jsonBody["models"]?.arrayValues ?? []
                    #expect(models.compactMap { $0["id"]?.stringValue } == ["local/local-extractive", "ollama/llama3.2:1b", "ollama/qwen2.5:7b", "openai/gpt-4o"])
                    let llama = models.first { $0["name"] == "llama3.2:1b" }
                    #expect(llama?["context_window"] == 131_072)
                    #expect(llama?["available"] == true)
                    let gpt = models.first { $0["name"] == "gpt-4o" }
                    #expect(gpt?["available"] == false)
                    #expect(gpt?["pricing"]?["input_per_million"] == 2.5)
                    #expect(try await client.get("/api/v1/models/list").jsonBody["total"] == 4)
                    #expect(try await client.get("/api/v1/models-list").jsonBody["total"] == 4)
                    #expect(try await client.get("/api/v1/models/qwen2.5:7b").jsonBody["provider"] == "ollama")
                    #expect(try await client.get("/api/v1/models/gpt-4o/info").jsonBody["context_window"] == 128_000)
                    #expect(try await client.get("/api/v1/models/claude-9").status == .notFound)
                    #expect(!list.text.contains(String(ollama.split(separator: ":").last ?? "")))
                }
            }
        }
    }
}
