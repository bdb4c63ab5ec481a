import AsyncHTTPClient
import Foundation
import NIOCore
import PlatformSupport

/// The Ollama HTTP API: `/api/chat` (NDJSON streaming), `/api/generate`, `/api/tags`,
/// `/api/ps`, `/api/show`, `/api/pull`, and warm-up through `keep_alive`.
public struct OllamaProvider: ModelProvider {
    public let name: String
    let http: ProviderHTTP
    let usage: (any UsageRecorder)?
    /// The tenant the calls are made for, as usage records name it.
    let tenant: UUID?

    public init(name: String = "ollama", settings: ProviderSettings, client: HTTPClient = .shared, usage: (any UsageRecorder)? = nil, tenant: UUID? = nil) {
        self.name = name
        self.tenant = tenant
        self.http = ProviderHTTP(settings: settings, client: client, headers: settings.apiKey.map { [("Authorization", "Bearer \($0)")] } ?? [])
        self.usage = usage
    }

    static func encode(_ value: JSONValue) throws -> Data {
        try JSONEncoder().encode(value)
    }

    static func decode(_ data: Data) throws -> JSONValue {
        do { return try JSONDecoder().decode(JSONValue.self, from: data) } catch { throw ProviderError.malformed("not JSON: \(String(decoding: data.prefix(200), as: UTF8.self))") }
    }

    func body(_ request: ChatRequest, stream: Bool) -> JSONValue {
        var options: [String: JSONValue] = [:]
        if let temperature = request.temperature { options["temperature"] = .double(temperature) }
        if let maxTokens = request.maxTokens { options["num_predict"] = .int(Int64(maxTokens)) }
        if let stop = request.stop { options["stop"] = .array(stop.map { .string($0) }) }
        var body: [String: JSONValue] = [
            "model": .string(request.model), "stream": .bool(stream),
            "messages": .array(request.messages.map { message in
                var entry: [String: JSONValue] = ["role": .string(message.role.rawValue), "content": .string(message.content)]
                if let calls = message.toolCalls {
                    entry["tool_calls"] = .array(calls.map { ["function": ["name": .string($0.name), "arguments": $0.arguments]] })
                }
                return .object(entry)
            }),
        ]
        if !options.isEmpty { body["options"] = .object(options) }
        if let tools = request.tools {
            body["tools"] = .array(tools.map { ["type": "function", "function": ["name": .string($0.name), "description": .string($0.description), "parameters": $0.parameters]] })
        }
        return .object(body)
    }

    /// One NDJSON object of `/api/chat` as a chunk; throws on an `error` object.
    static func chunk(_ object: JSONValue) throws -> ChatChunk {
        if let error = object["error"]?.stringValue { throw ProviderError.stream(error) }
        let content = object["message"]?["content"]?.stringValue ?? ""
        var calls: [ToolCall] = []
        if case .array(let list)? = object["message"]?["tool_calls"] {
            for (index, call) in list.enumerated() {
                guard let name = call["function"]?["name"]?.stringValue else { continue }
                calls.append(ToolCall(id: "call_\(index)", name: name, arguments: call["function"]?["arguments"] ?? [:]))
            }
        }
        let done = object["done"] == .bool(true)
        var usage: TokenUsage?
        if done, case .int(let prompt)? = object["prompt_eval_count"], case .int(let completion)? = object["eval_count"] {
            usage = TokenUsage(promptTokens: Int(prompt), completionTokens: Int(completion))
        }
        return ChatChunk(content: content, toolCalls: calls, finishReason: done ? (object["done_reason"]?.stringValue ?? "stop") : nil, usage: usage)
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let started = ContinuousClock.now
        let response = try await http.send(.POST, "/api/chat", json: try Self.encode(body(request, stream: false)))
        let chunk = try Self.chunk(try Self.decode(try await http.json(response)))
        let duration = ContinuousClock.now - started
        await usage?.record(provider: name, model: request.model, usage: chunk.usage, duration: duration, tenant: tenant)
        return ChatResponse(
            provider: name, model: request.model, content: chunk.content, toolCalls: chunk.toolCalls, finishReason: chunk.finishReason,
            usage: chunk.usage, duration: duration, isLanguageModel: true)
    }

    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatChunk, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ChatChunk, any Error>.makeStream()
        let task = Task {
            do {
                let started = ContinuousClock.now
                let response = try await http.send(.POST, "/api/chat", json: try Self.encode(body(request, stream: true)))
                let finished = try await withDeadline(http.settings.totalTimeout, "the stream took longer than \(http.settings.totalTimeout)") {
                    var splitter = LineSplitter()
                    var finished = false
                    for try await buffer in response.body {
                        for line in splitter.lines(buffer) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                            let chunk = try Self.chunk(try Self.decode(Data(line.utf8)))
                            continuation.yield(chunk)
                            if chunk.finishReason != nil {
                                finished = true
                                await usage?.record(provider: name, model: request.model, usage: chunk.usage, duration: ContinuousClock.now - started, tenant: tenant)
                            }
                        }
                    }
                    if let rest = splitter.finish(), !rest.trimmingCharacters(in: .whitespaces).isEmpty {
                        let chunk = try Self.chunk(try Self.decode(Data(rest.utf8)))
                        continuation.yield(chunk)
                        finished = finished || chunk.finishReason != nil
                    }
                    return finished
                }
                guard finished else { throw ProviderError.stream("the stream ended before the model finished") }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// `/api/generate` without streaming: a completion of `prompt`.
    public func generate(model: String, prompt: String, keepAlive: String? = nil) async throws -> String {
        var body: [String: JSONValue] = ["model": .string(model), "prompt": .string(prompt), "stream": false]
        if let keepAlive { body["keep_alive"] = .string(keepAlive) }
        let object = try Self.decode(try await http.json(try await http.send(.POST, "/api/generate", json: try Self.encode(.object(body)))))
        if let error = object["error"]?.stringValue { throw ProviderError.stream(error) }
        return object["response"]?.stringValue ?? ""
    }

    /// Loads a model into memory and keeps it there for `keepAlive` (an empty generate request).
    public func warmUp(model: String, keepAlive: String = "10m") async throws {
        _ = try await generate(model: model, prompt: "", keepAlive: keepAlive)
    }

    /// Downloads a model (waits for the pull to finish).
    public func pull(model: String) async throws {
        let object = try Self.decode(try await http.json(try await http.send(.POST, "/api/pull", json: try Self.encode(["model": .string(model), "stream": false]))))
        if let error = object["error"]?.stringValue { throw ProviderError.stream(error) }
    }

    /// `/api/show`: a model's details (`model_info`, parameters, template).
    public func show(model: String) async throws -> JSONValue {
        try Self.decode(try await http.json(try await http.send(.POST, "/api/show", json: try Self.encode(["model": .string(model)]))))
    }

    /// `/api/ps`: the models loaded now.
    public func running() async throws -> [String] {
        let object = try Self.decode(try await http.json(try await http.send(.GET, "/api/ps", json: nil)))
        guard case .array(let models)? = object["models"] else { return [] }
        return models.compactMap { $0["name"]?.stringValue }
    }

    /// `/api/version`: the server's version.
    public func version() async throws -> String {
        let object = try Self.decode(try await http.json(try await http.send(.GET, "/api/version", json: nil)))
        guard let version = object["version"]?.stringValue else { throw ProviderError.malformed("/api/version has no version") }
        return version
    }

    /// One model of `/api/tags`, with what Ollama says about it.
    public struct LocalModel: Sendable, Equatable {
        public var name: String
        public var size: Int64?
        public var parameterSize: String?
        public var quantization: String?
        public var family: String?
        public var modifiedAt: String?
    }

    /// `/api/tags` with sizes, parameter counts, quantization and family.
    public func localModels() async throws -> [LocalModel] {
        let object = try Self.decode(try await http.json(try await http.send(.GET, "/api/tags", json: nil)))
        guard case .array(let models)? = object["models"] else { throw ProviderError.malformed("/api/tags has no models list") }
        return models.compactMap { model in
            guard let name = model["name"]?.stringValue else { return nil }
            var size: Int64?
            if case .int(let bytes)? = model["size"] { size = bytes }
            return LocalModel(
                name: name, size: size, parameterSize: model["details"]?["parameter_size"]?.stringValue,
                quantization: model["details"]?["quantization_level"]?.stringValue, family: model["details"]?["family"]?.stringValue,
                modifiedAt: model["modified_at"]?.stringValue)
        }
    }

    public func models() async throws -> [ModelInfo] {
        let object = try Self.decode(try await http.json(try await http.send(.GET, "/api/tags", json: nil)))
        guard case .array(let models)? = object["models"] else { throw ProviderError.malformed("/api/tags has no models list") }
        return models.compactMap { model in
            guard let name = model["name"]?.stringValue else { return nil }
            return ModelInfo(name: name, provider: self.name, available: true)
        }
    }

    public func health() async -> ProviderHealth {
        await healthFromModelList()
    }
}
