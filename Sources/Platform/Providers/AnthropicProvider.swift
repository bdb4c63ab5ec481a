import AsyncHTTPClient
import Foundation
import NIOCore
import PlatformSupport

/// Anthropic's Messages API: `/v1/messages` (JSON, or SSE streaming with typed events),
/// `/v1/models`; tools as `tool_use` / `tool_result` content blocks.
public struct AnthropicProvider: ModelProvider {
    public let name: String
    let http: ProviderHTTP
    let usage: (any UsageRecorder)?
    let tenant: UUID?
    /// Anthropic requires `max_tokens`; this is used when a request has none.
    public static let defaultMaxTokens = 1024
    public static let apiVersion = "2023-06-01"

    public init(name: String = "anthropic", settings: ProviderSettings, client: HTTPClient = .shared, usage: (any UsageRecorder)? = nil, tenant: UUID? = nil) {
        self.name = name
        self.tenant = tenant
        var headers = [("anthropic-version", Self.apiVersion)]
        if let key = settings.apiKey { headers.append(("x-api-key", key)) }
        self.http = ProviderHTTP(settings: settings, client: client, headers: headers)
        self.usage = usage
    }

    func body(_ request: ChatRequest, stream: Bool) -> JSONValue {
        let system = request.messages.filter { $0.role == .system }.map(\.content).joined(separator: "\n\n")
        var messages: [JSONValue] = []
        for message in request.messages where message.role != .system {
            switch message.role {
            case .tool:
                let block: JSONValue = ["type": "tool_result", "tool_use_id": .string(message.toolCallId ?? ""), "content": .string(message.content)]
                messages.append(["role": "user", "content": [block]])
            case .assistant where !(message.toolCalls ?? []).isEmpty:
                var blocks: [JSONValue] = message.content.isEmpty ? [] : [["type": "text", "text": .string(message.content)]]
                for call in message.toolCalls ?? [] {
                    blocks.append(["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": call.arguments])
                }
                messages.append(["role": "assistant", "content": .array(blocks)])
            default:
                messages.append(["role": .string(message.role == .assistant ? "assistant" : "user"), "content": .string(message.content)])
            }
        }
        var body: [String: JSONValue] = [
            "model": .string(request.model), "messages": .array(messages),
            "max_tokens": .int(Int64(request.maxTokens ?? Self.defaultMaxTokens)),
        ]
        if stream { body["stream"] = true }
        if !system.isEmpty { body["system"] = .string(system) }
        if let temperature = request.temperature { body["temperature"] = .double(temperature) }
        if let stop = request.stop { body["stop_sequences"] = .array(stop.map { .string($0) }) }
        if let tools = request.tools {
            body["tools"] = .array(tools.map { ["name": .string($0.name), "description": .string($0.description), "input_schema": $0.parameters] })
        }
        return .object(body)
    }

    static func usage(input: JSONValue?, output: JSONValue?) -> TokenUsage? {
        guard case .int(let prompt)? = input, case .int(let completion)? = output else { return nil }
        return TokenUsage(promptTokens: Int(prompt), completionTokens: Int(completion))
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let started = ContinuousClock.now
        let response = try await http.send(.POST, "/v1/messages", json: try JSONEncoder().encode(body(request, stream: false)))
        let object = try OllamaProvider.decode(try await http.json(response))
        if object["type"]?.stringValue == "error" { throw ProviderError.stream(object["error"]?["message"]?.stringValue ?? "error") }
        guard case .array(let blocks)? = object["content"] else { throw ProviderError.malformed("the answer has no content blocks") }
        var text = ""
        var calls: [ToolCall] = []
        for block in blocks {
            switch block["type"]?.stringValue {
            case "text": text += block["text"]?.stringValue ?? ""
            case "tool_use":
                guard let name = block["name"]?.stringValue else { continue }
                calls.append(ToolCall(id: block["id"]?.stringValue ?? "call_\(calls.count)", name: name, arguments: block["input"] ?? [:]))
            default: continue
            }
        }
        let duration = ContinuousClock.now - started
        let tokens = Self.usage(input: object["usage"]?["input_tokens"], output: object["usage"]?["output_tokens"])
        await usage?.record(provider: name, model: request.model, usage: tokens, duration: duration, tenant: tenant)
        return ChatResponse(
            provider: name, model: object["model"]?.stringValue ?? request.model, content: text, toolCalls: calls,
            finishReason: object["stop_reason"]?.stringValue, usage: tokens, duration: duration, isLanguageModel: true)
    }

    struct PartialCall {
        var id = ""
        var name = ""
        var json = ""
    }

    /// The state of one streamed answer, fed one SSE event at a time.
    struct StreamState {
        var inputTokens: JSONValue?
        var outputTokens: JSONValue?
        var stopReason: String?
        var stopped = false
        var calls: [Int: PartialCall] = [:]

        /// The text of a `content_block_delta`, if any; throws on an `error` event.
        mutating func handle(_ object: JSONValue) throws -> String? {
            switch object["type"]?.stringValue {
            case "error":
                throw ProviderError.stream(object["error"]?["message"]?.stringValue ?? "error in the stream")
            case "message_start":
                inputTokens = object["message"]?["usage"]?["input_tokens"]
                if let output = object["message"]?["usage"]?["output_tokens"] { outputTokens = output }
            case "content_block_start":
                guard case .int(let index)? = object["index"], object["content_block"]?["type"]?.stringValue == "tool_use" else { return nil }
                calls[Int(index)] = PartialCall(
                    id: object["content_block"]?["id"]?.stringValue ?? "", name: object["content_block"]?["name"]?.stringValue ?? "")
            case "content_block_delta":
                let delta = object["delta"]
                if delta?["type"]?.stringValue == "text_delta" { return delta?["text"]?.stringValue }
                if delta?["type"]?.stringValue == "input_json_delta", case .int(let index)? = object["index"] {
                    calls[Int(index), default: PartialCall()].json += delta?["partial_json"]?.stringValue ?? ""
                }
            case "message_delta":
                if let reason = object["delta"]?["stop_reason"]?.stringValue { stopReason = reason }
                if let output = object["usage"]?["output_tokens"] { outputTokens = output }
            case "message_stop":
                stopped = true
            default:
                break
            }
            return nil
        }

        var toolCalls: [ToolCall] {
            calls.keys.sorted().compactMap { index in
                guard let call = calls[index], !call.name.isEmpty else { return nil }
                let arguments = call.json.isEmpty ? JSONValue.object([:]) : OpenAICompatibleProvider.arguments(call.json)
                return ToolCall(id: call.id.isEmpty ? "call_\(index)" : call.id, name: call.name, arguments: arguments)
            }
        }
    }

    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatChunk, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ChatChunk, any Error>.makeStream()
        let task = Task {
            do {
                let started = ContinuousClock.now
                let response = try await http.send(.POST, "/v1/messages", json: try JSONEncoder().encode(body(request, stream: true)))
                try await withDeadline(http.settings.totalTimeout, "the stream took longer than \(http.settings.totalTimeout)") {
                    var splitter = LineSplitter()
                    var state = StreamState()
                    var data = ""
                    func handle(_ line: String) throws {
                        if line.isEmpty {
                            defer { data = "" }
                            guard !data.isEmpty else { return }
                            if let text = try state.handle(try OllamaProvider.decode(Data(data.utf8))), !text.isEmpty {
                                continuation.yield(ChatChunk(content: text))
                            }
                            return
                        }
                        if line.hasPrefix("data:") {
                            var value = line.dropFirst(5)
                            if value.hasPrefix(" ") { value = value.dropFirst() }
                            data += data.isEmpty ? String(value) : "\n" + value
                        }
                    }
                    for try await buffer in response.body {
                        for line in splitter.lines(buffer) { try handle(line) }
                        if state.stopped { break }
                    }
                    if let rest = splitter.finish() { try handle(rest) }
                    if !data.isEmpty { try handle("") }
                    guard state.stopped || state.stopReason != nil else { throw ProviderError.stream("the stream ended before the model finished") }
                    let tokens = Self.usage(input: state.inputTokens, output: state.outputTokens)
                    continuation.yield(ChatChunk(content: "", toolCalls: state.toolCalls, finishReason: state.stopReason ?? "end_turn", usage: tokens))
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
            return ModelInfo(name: id, provider: name, available: true)
        }
    }

    public func health() async -> ProviderHealth {
        await healthFromModelList()
    }
}
