import Foundation
import Hummingbird
import NIOCore
import PlatformSupport
import PlatformTesting
@testable import Providers
import Synchronization
import Testing


/// Writes `text` in pieces of `size` bytes (splitting lines and UTF-8 sequences anywhere).
func awkward(_ text: String, size: Int) -> [ByteBuffer] {
    let bytes = Array(text.utf8)
    return stride(from: 0, to: bytes.count, by: size).map { ByteBuffer(bytes: bytes[$0..<min($0 + size, bytes.count)]) }
}

func streamed(_ pieces: [ByteBuffer], contentType: String, delay: Duration = .milliseconds(2)) -> Response {
    Response(status: .ok, headers: [.contentType: contentType], body: ResponseBody { writer in
        for piece in pieces {
            try await writer.write(piece)
            try await Task.sleep(for: delay)
        }
        try await writer.finish(nil)
    })
}

final class Calls: Sendable {
    let count = Mutex<[String: Int]>([:])
    func next(_ key: String) -> Int { count.withLock { $0[key, default: 0] += 1; return $0[key] ?? 0 } }
}

func json(_ value: JSONValue) -> Response {
    Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: (try? JSONEncoder().encode(value)) ?? Data())))
}

/// An Ollama server as the docs describe it.
func ollamaStub(_ calls: Calls) -> Router<BasicRequestContext> {
    let router = Router()
    router.post("/api/chat") { request, _ -> Response in
        let body = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: try await request.body.collect(upTo: 1 << 20)))
        let model = body["model"]?.stringValue ?? ""
        switch model {
        case "busy" where calls.next("busy") == 1:
            return Response(status: .tooManyRequests, headers: [.retryAfter: "1"], body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"error":"slow down"}"#)))
        case "slow":
            try await Task.sleep(for: .seconds(3))
        case "missing":
            return Response(status: .notFound, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"error":"model 'missing' not found"}"#)))
        default: break
        }
        if body["stream"] == false {
            return json([
                "model": .string(model), "message": ["role": "assistant", "content": "Bonjour, 世界!"], "done": true, "done_reason": "stop",
                "prompt_eval_count": 12, "eval_count": 5,
            ])
        }
        var lines = [
            #"{"model":"m","message":{"role":"assistant","content":"Héllo "},"done":false}"#,
            #"{"model":"m","message":{"role":"assistant","content":"wörld 🌍"},"done":false}"#,
        ]
        if model == "broken" {
            lines.append(#"{"error":"model runner crashed"}"#)
        } else if model == "tools" {
            lines.append(#"{"model":"m","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"add","arguments":{"a":2,"b":3}}}]},"done":false}"#)
            lines.append(#"{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":20,"eval_count":7}"#)
        } else if model != "cut" {
            lines.append(#"{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":20,"eval_count":7}"#)
        }
        return streamed(awkward(lines.joined(separator: "\n") + "\n", size: 7), contentType: "application/x-ndjson")
    }
    router.get("/api/tags") { _, _ in json(["models": [["name": "llama3.2:1b", "size": 1_300_000_000], ["name": "qwen2.5:7b"]]]) }
    router.get("/api/ps") { _, _ in json(["models": [["name": "llama3.2:1b"]]]) }
    router.post("/api/show") { _, _ in json(["model_info": ["llama.context_length": 131_072], "template": "{{ .Prompt }}"]) }
    router.post("/api/generate") { request, _ -> Response in
        let body = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: try await request.body.collect(upTo: 1 << 20)))
        _ = calls.next("generate:" + (body["keep_alive"]?.stringValue ?? "none"))
        return json(["model": body["model"] ?? .null, "response": body["prompt"] == "" ? "" : "generated", "done": true])
    }
    router.post("/api/pull") { _, _ in json(["status": "success"]) }
    return router
}

/// An OpenAI-compatible server: Chat Completions (JSON and SSE) and models.
func openAIStub(_ calls: Calls) -> Router<BasicRequestContext> {
    let router = Router()
    router.post("/v1/chat/completions") { request, _ -> Response in
        #expect(request.headers[.authorization] == "Bearer sk-test")
        let body = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: try await request.body.collect(upTo: 1 << 20)))
        let model = body["model"]?.stringValue ?? ""
        if model == "busy" && calls.next("busy") == 1 {
            return Response(status: .tooManyRequests, headers: [.retryAfter: "1"], body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"error":{"message":"rate limited"}}"#)))
        }
        if model == "slow" { try await Task.sleep(for: .seconds(3)) }
        if body["stream"] != true {
            return json([
                "id": "chatcmpl-1", "model": .string(model),
                "choices": [["index": 0, "message": ["role": "assistant", "content": "Paris is the capital of France."], "finish_reason": "stop"]],
                "usage": ["prompt_tokens": 14, "completion_tokens": 7, "total_tokens": 21],
            ])
        }
        var events = [
            #"data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"Pa"}}]}"#,
            ": keep-alive comment",
            #"data: {"choices":[{"index":0,"delta":{"content":"rís ✓"}}]}"#,
        ]
        if model == "broken" {
            events.append(#"data: {"error":{"message":"upstream overloaded"}}"#)
        } else if model == "tools" {
            events.append(#"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"lookup","arguments":"{\"ci"}}]}}]}"#)
            events.append(#"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ty\":\"Paris\"}"}}]}}]}"#)
            events.append(#"data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#)
            events.append(#"data: {"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4}}"#)
            events.append("data: [DONE]")
        } else {
            events.append(#"data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#)
            events.append(#"data: {"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3}}"#)
            events.append("data: [DONE]")
        }
        return streamed(awkward(events.joined(separator: "\n\n") + "\n\n", size: 5), contentType: "text/event-stream")
    }
    router.get("/v1/models") { _, _ in json(["object": "list", "data": [["id": "gpt-4o-mini", "object": "model"], ["id": "local-llama", "max_model_len": 8192]]]) }
    return router
}

final class UsageLog: UsageRecorder {
    let entries = Mutex<[(String, String, TokenUsage?, UUID?)]>([])
    func record(provider: String, model: String, usage: TokenUsage?, duration: Duration, tenant: UUID?) async {
        entries.withLock { $0.append((provider, model, usage, tenant)) }
    }
}

func collect(_ stream: AsyncThrowingStream<ChatChunk, any Error>) async throws -> [ChatChunk] {
    var chunks: [ChatChunk] = []
    for try await chunk in stream { chunks.append(chunk) }
    return chunks
}

let hello = [ChatMessage(role: .user, content: "Say hello")]

@Suite("Model providers against stub servers")
struct ProviderTests {
    @Test("Ollama: complete, NDJSON stream split at awkward bytes, tools, models, warm-up, usage")
    func ollama() async throws {
        let calls = Calls()
        try await withStubServer(ollamaStub(calls)) { base in
            let usage = UsageLog()
            let tenant = UUID()
            let provider = OllamaProvider(
                settings: ProviderSettings(baseURL: base + "/", firstByteTimeout: .seconds(1), retryBase: .milliseconds(50)), usage: usage, tenant: tenant)
            let answer = try await provider.complete(ChatRequest(model: "llama3.2:1b", messages: hello, temperature: 0.2, maxTokens: 50))
            #expect(answer.content == "Bonjour, 世界!")
            #expect(answer.usage == TokenUsage(promptTokens: 12, completionTokens: 5))
            #expect(answer.isLanguageModel)
            let chunks = try await collect(provider.stream(ChatRequest(model: "llama3.2:1b", messages: hello)))
            #expect(chunks.map(\.content).joined() == "Héllo wörld 🌍")
            #expect(chunks.last?.finishReason == "stop")
            #expect(chunks.last?.usage?.totalTokens == 27)
            let tools = try await collect(provider.stream(ChatRequest(model: "tools", messages: hello, tools: [ToolDefinition(name: "add", description: "Add", parameters: ["type": "object"])])))
            #expect(tools.flatMap(\.toolCalls).first?.name == "add")
            #expect(tools.flatMap(\.toolCalls).first?.arguments == ["a": 2, "b": 3])
            #expect(try await provider.models().map(\.name) == ["llama3.2:1b", "qwen2.5:7b"])
            #expect(try await provider.running() == ["llama3.2:1b"])
            #expect(try await provider.show(model: "llama3.2:1b")["model_info"]?["llama.context_length"] == 131_072)
            try await provider.warmUp(model: "llama3.2:1b", keepAlive: "15m")
            #expect(calls.next("generate:15m") == 2)
            try await provider.pull(model: "qwen2.5:7b")
            #expect(await provider.health().healthy)
            #expect(usage.entries.withLock { $0.count } == 3)
            #expect(usage.entries.withLock { $0.allSatisfy { $0.0 == "ollama" && $0.3 == tenant } })
            #expect(usage.entries.withLock { $0.first?.2 } == TokenUsage(promptTokens: 12, completionTokens: 5))
        }
    }

    @Test("Ollama: an error mid-stream, a stream cut short, a 404, a 429 with Retry-After, a slow first byte")
    func ollamaFailures() async throws {
        let calls = Calls()
        try await withStubServer(ollamaStub(calls)) { base in
            let provider = OllamaProvider(settings: ProviderSettings(baseURL: base, firstByteTimeout: .seconds(1), maxRetries: 2, retryBase: .milliseconds(50)))
            await #expect(throws: ProviderError.stream("model runner crashed")) { try await collect(provider.stream(ChatRequest(model: "broken", messages: hello))) }
            await #expect(throws: ProviderError.stream("the stream ended before the model finished")) { try await collect(provider.stream(ChatRequest(model: "cut", messages: hello))) }
            await #expect(throws: ProviderError.http(status: 404, message: "model 'missing' not found")) { try await provider.complete(ChatRequest(model: "missing", messages: hello)) }
            let started = ContinuousClock.now
            let retried = try await provider.complete(ChatRequest(model: "busy", messages: hello))
            #expect(retried.content == "Bonjour, 世界!")
            #expect(ContinuousClock.now - started >= .milliseconds(950))
            await #expect(throws: ProviderError.self) { try await provider.complete(ChatRequest(model: "slow", messages: hello)) }
            let down = OllamaProvider(settings: ProviderSettings(baseURL: "http://127.0.0.1:1", firstByteTimeout: .seconds(1), maxRetries: 0))
            #expect(await !down.health().healthy)
        }
    }

    @Test("OpenAI-compatible: complete, SSE stream split at awkward bytes, streamed tool calls, models, retries and failures")
    func openAI() async throws {
        let calls = Calls()
        try await withStubServer(openAIStub(calls)) { base in
            let provider = OpenAICompatibleProvider(settings: ProviderSettings(baseURL: base, apiKey: "sk-test", firstByteTimeout: .seconds(1), retryBase: .milliseconds(50)))
            let answer = try await provider.complete(ChatRequest(model: "gpt-4o-mini", messages: hello, stop: ["\n"]))
            #expect(answer.content == "Paris is the capital of France.")
            #expect(answer.usage?.totalTokens == 21)
            let chunks = try await collect(provider.stream(ChatRequest(model: "gpt-4o-mini", messages: hello)))
            #expect(chunks.map(\.content).joined() == "París ✓")
            #expect(chunks.last?.finishReason == "stop")
            #expect(chunks.last?.usage == TokenUsage(promptTokens: 9, completionTokens: 3))
            let tools = try await collect(provider.stream(ChatRequest(model: "tools", messages: hello)))
            #expect(tools.last?.toolCalls == [ToolCall(id: "call_1", name: "lookup", arguments: ["city": "Paris"])])
            #expect(tools.last?.finishReason == "tool_calls")
            await #expect(throws: ProviderError.stream("upstream overloaded")) { try await collect(provider.stream(ChatRequest(model: "broken", messages: hello))) }
            let started = ContinuousClock.now
            #expect(try await provider.complete(ChatRequest(model: "busy", messages: hello)).content.hasPrefix("Paris"))
            #expect(ContinuousClock.now - started >= .milliseconds(950))
            await #expect(throws: ProviderError.self) { try await provider.complete(ChatRequest(model: "slow", messages: hello)) }
            let models = try await provider.models()
            #expect(models.map(\.name) == ["gpt-4o-mini", "local-llama"])
            #expect(models.last?.contextWindow == 8192)
            let catalog = ModelCatalog(configured: [
                ModelInfo(name: "gpt-4o-mini", provider: "openai", contextWindow: 128_000, inputPricePerMillion: 0.15, outputPricePerMillion: 0.6, available: false),
                ModelInfo(name: "retired", provider: "openai", available: false),
            ])
            let merged = await catalog.merged(with: [provider, LocalProvider()])
            #expect(merged.first { $0.name == "gpt-4o-mini" }?.contextWindow == 128_000)
            #expect(merged.first { $0.name == "gpt-4o-mini" }?.available == true)
            #expect(merged.first { $0.name == "retired" }?.available == false)
            #expect(merged.contains { $0.provider == "local" })
            let cost = catalog.cost(of: TokenUsage(promptTokens: 1_000_000, completionTokens: 1_000_000), model: "gpt-4o-mini", provider: "openai")
            #expect(abs((cost ?? 0) - 0.75) < 1e-9)
        }
    }

    @Test("provider configuration from the environment, with clear errors")
    func configuration() async throws {
        let config = try ProviderConfiguration.fromEnvironment([
            "OLLAMA_BASE_URL": "http://127.0.0.1:11434", "OPENAI_BASE_URL": "https://api.example.com/", "OPENAI_API_KEY": "sk-1",
            "MODEL_CATALOG": "openai/gpt-4o-mini=128000:0.15:0.6, ollama/llama3.2:1b=131072::",
        ])
        #expect(config.openAI?.baseURL == "https://api.example.com")
        #expect(config.openAI?.apiKey == "sk-1")
        #expect(config.catalog.map(\.name) == ["gpt-4o-mini", "llama3.2:1b"])
        #expect(config.catalog.last?.contextWindow == 131_072)
        #expect(ProviderRegistry(configuration: config).names == ["ollama", "openai", "local"])
        #expect(ProviderRegistry(configuration: ProviderConfiguration()).names == ["local"])
        let anthropic = try ProviderConfiguration.fromEnvironment(["ANTHROPIC_BASE_URL": "https://api.anthropic.com", "ANTHROPIC_API_KEY": "sk-ant-1"])
        #expect(anthropic.anthropic?.apiKey == "sk-ant-1")
        #expect(ProviderRegistry(configuration: anthropic).names == ["anthropic", "local"])
        #expect(try await ProviderRegistry(configuration: anthropic).provider("anthropic") is AnthropicProvider)
        #expect(throws: ProviderConfiguration.Invalid.self) { try ProviderConfiguration.fromEnvironment(["ANTHROPIC_BASE_URL": "api.anthropic.com"]) }
        #expect(throws: ProviderConfiguration.Invalid.self) { try ProviderConfiguration.fromEnvironment(["OPENAI_BASE_URL": "ftp://x"]) }
        #expect(throws: ProviderConfiguration.Invalid.self) { try ProviderConfiguration.fromEnvironment(["MODEL_CATALOG": "nomodel=1"]) }
    }

    @Test("the local provider answers offline, deterministically, and says it is not a language model")
    func local() async throws {
        let provider = LocalProvider()
        let request = ChatRequest(model: "anything", messages: [ChatMessage(role: .user, content: "The platform stores files. Files are deduplicated by hash. Nothing else matters")])
        let first = try await provider.complete(request)
        let second = try await provider.complete(request)
        #expect(first.content == second.content)
        #expect(first.provider == "local")
        #expect(!first.isLanguageModel)
        #expect(first.content.contains("not a language model"))
        #expect(first.content.contains("Files are deduplicated by hash"))
        let streamed = try await collect(provider.stream(request))
        #expect(streamed.map(\.content).joined() == first.content)
        #expect(streamed.last?.finishReason == "stop")
    }
}
