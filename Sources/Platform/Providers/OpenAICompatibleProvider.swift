import AsyncHTTPClient
import Foundation
import NIOCore
import PlatformSupport

/// The OpenAI Chat Completions API (`/v1/chat/completions`, SSE streaming, `/v1/models`), as
/// also served by vLLM, llama.cpp's server and most gateways.
public struct OpenAICompatibleProvider: ModelProvider {
    public let name: String
    let http: ProviderHTTP
    let usage: (any UsageRecorder)?
    /// The tenant the calls are made for, as usage records name it.
    let tenant: UUID?

    public init(name: String = "openai", settings: ProviderSettings, client: HTTPClient = .shared, usage: (any UsageRecorder)? = nil, tenant: UUID? = nil) {
        self.name = name
        self.tenant = tenant
        self.http = ProviderHTTP(settings: settings, client: client, headers: settings.apiKey.map { [("Authorization", "Bearer \($0)")] } ?? [])
        self.usage = usage
    }

    func body(_ request: ChatRequest, stream: Bool) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(request.model), "stream": .bool(stream),
            "messages": .array(request.messages.map { message in
                var entry: [String: JSONValue] = ["role": .string(message.role.rawValue), "content": .string(message.content)]
                if let calls = message.toolCalls {
                    entry["tool_calls"] = .array(calls.map { call in
                        let arguments = (try? JSONEncoder().encode(call.arguments)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                        return ["id": .string(call.id), "type": "function", "function": ["name": .string(call.name), "arguments": .string(arguments)]]
                    })
                }
                if let id = message.toolCallId { entry["tool_call_id"] = .string(id) }
                return .object(entry)
            }),
        ]
        if let temperature = request.temperature { body["temperature"] = .double(temperature) }
        if let maxTokens = request.maxTokens { body["max_tokens"] = .int(Int64(maxTokens)) }
        if let stop = request.stop { body["stop"] = .array(stop.map { .string($0) }) }
        if let tools = request.tools {
            body["tools"] = .array(tools.map { ["type": "function", "function": ["name": .string($0.name), "description": .string($0.description), "parameters": $0.parameters]] })
        }
        if stream { body["stream_options"] = ["include_usage": true] }
        return .object(body)
    }

    static func usage(_ value: JSONValue?) -> TokenUsage? {
        guard case .int(let prompt)? = value?["prompt_tokens"], case .int(let completion)? = value?["completion_tokens"] else { return nil }
        return TokenUsage(promptTokens: Int(prompt), completionTokens: Int(completion))
    }

    static func arguments(_ text: String?) -> JSONValue {
        guard let text, let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else { return .object([:]) }
        return value
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let started = ContinuousClock.now
        let response = try await http.send(.POST, "/v1/chat/completions", json: try JSONEncoder().encode(body(request, stream: false)))
        let object = try OllamaProvider.decode(try await http.json(response))
        guard case .array(let choices)? = object["choices"], let choice = choices.first else {
            throw ProviderError.malformed("the answer has no choices")
        }
        var calls: [ToolCall] = []
        if case .array(let list)? = choice["message"]?["tool_calls"] {
            for call in list {
                guard let name = call["function"]?["name"]?.stringValue else { continue }
                calls.append(ToolCall(id: call["id"]?.stringValue ?? "call_\(calls.count)", name: name, arguments: Self.arguments(call["function"]?["arguments"]?.stringValue)))
            }
        }
        let duration = ContinuousClock.now - started
        let tokens = Self.usage(object["usage"])
        await usage?.record(provider: name, model: request.model, usage: tokens, duration: duration, tenant: tenant)
        return ChatResponse(
            provider: name, model: object["model"]?.stringValue ?? request.model, content: choice["message"]?["content"]?.stringValue ?? "",
            toolCalls: calls, finishReason: choice["finish_reason"]?.stringValue, usage: tokens, duration: duration, isLanguageModel: true)
    }

    /// Tool calls arrive in pieces (name first, arguments as string fragments) keyed by index.
    struct PartialCall {
        var id = ""
        var name = ""
        var arguments = ""
    }

    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatChunk, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ChatChunk, any Error>.makeStream()
        let task = Task {
            do {
                let started = ContinuousClock.now
                let response = try await http.send(.POST, "/v1/chat/completions", json: try JSONEncoder().encode(body(request, stream: true)))
                try await withDeadline(http.settings.totalTimeout, "the stream took longer than \(http.settings.totalTimeout)") {
                    var splitter = LineSplitter()
                    var done = false
                    var finish: String?
                    var tokens: TokenUsage?
                    var calls: [Int: PartialCall] = [:]
                    var data = ""
                    func handle(_ line: String) throws {
                        // SSE: `data:` lines make an event; a blank line ends it.
                        if line.isEmpty {
                            defer { data = "" }
                            guard !data.isEmpty else { return }
                            if data == "[DONE]" {
                                done = true
                                return
                            }
                            let object = try OllamaProvider.decode(Data(data.utf8))
                            if let error = object["error"] {
                                throw ProviderError.stream(error["message"]?.stringValue ?? error.stringValue ?? "error in the stream")
                            }
                            if let counted = Self.usage(object["usage"]) { tokens = counted }
                            guard case .array(let choices)? = object["choices"], let choice = choices.first else { return }
                            if let reason = choice["finish_reason"]?.stringValue { finish = reason }
                            if case .array(let pieces)? = choice["delta"]?["tool_calls"] {
                                for piece in pieces {
                                    guard case .int(let index)? = piece["index"] else { continue }
                                    var call = calls[Int(index)] ?? PartialCall()
                                    if let id = piece["id"]?.stringValue { call.id = id }
                                    if let name = piece["function"]?["name"]?.stringValue { call.name += name }
                                    if let fragment = piece["function"]?["arguments"]?.stringValue { call.arguments += fragment }
                                    calls[Int(index)] = call
                                }
                            }
                            if let text = choice["delta"]?["content"]?.stringValue, !text.isEmpty {
                                continuation.yield(ChatChunk(content: text))
                            }
                            return
                        }
                        if line.hasPrefix(":") { return }
                        if line.hasPrefix("data:") {
                            var value = line.dropFirst(5)
                            if value.hasPrefix(" ") { value = value.dropFirst() }
                            data += data.isEmpty ? String(value) : "\n" + value
                        }
                    }
                    for try await buffer in response.body {
                        for line in splitter.lines(buffer) { try handle(line) }
                        if done { break }
                    }
                    if let rest = splitter.finish() { try handle(rest) }
                    if !data.isEmpty { try handle("") }
                    guard done || finish != nil else { throw ProviderError.stream("the stream ended before the model finished") }
                    let toolCalls = calls.keys.sorted().compactMap { index -> ToolCall? in
                        guard let call = calls[index], !call.name.isEmpty else { return nil }
                        return ToolCall(id: call.id.isEmpty ? "call_\(index)" : call.id, name: call.name, arguments: Self.arguments(call.arguments))
                    }
                    continuation.yield(ChatChunk(content: "", toolCalls: toolCalls, finishReason: finish ?? "stop", usage: tokens))
                    await usage?.record(provider: name, model: request.model, usage: tokens, duration: ContinuousClock.now - started, tenant: tenant)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    public func models() async throws -> [ModelInfo] {
        let object = try OllamaProvider.decode(try await http.json(try await http.send(.GET, "/v1/models", json: nil)))
        guard case .array(let models)? = object["data"] else { throw ProviderError.malformed("/v1/models has no data list") }
        return models.compactMap { model in
            guard let id = model["id"]?.stringValue else { return nil }
            var window: Int?
            if case .int(let value)? = model["context_window"] ?? model["max_model_len"] { window = Int(value) }
            return ModelInfo(name: id, provider: name, contextWindow: window, available: true)
        }
    }

    public func health() async -> ProviderHealth {
        await healthFromModelList()
    }
}
