import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PlatformSupport
import PlatformTesting
@testable import Providers
import Synchronization
import Testing

/// The bodies a stub received.
final class SeenBodies: Sendable {
    let bodies = Mutex<[JSONValue]>([])
    func withLock<T>(_ body: (inout [JSONValue]) -> T) -> T { bodies.withLock { body(&$0) } }
}

/// An Anthropic Messages API server: JSON and SSE answers, tools, errors, models.
func anthropicStub(_ seen: SeenBodies) -> Router<BasicRequestContext> {
    let router = Router()
    router.post("/v1/messages") { request, _ -> Response in
        #expect(request.headers[HTTPField.Name("x-api-key")!] == "sk-ant-test")
        #expect(request.headers[HTTPField.Name("anthropic-version")!] == AnthropicProvider.apiVersion)
        let body = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: try await request.body.collect(upTo: 1 << 20)))
        seen.withLock { $0.append(body) }
        let model = body["model"]?.stringValue ?? ""
        if model == "overloaded" {
            return Response(
                status: .init(code: 529), headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)))
        }
        if body["stream"] != true {
            if model == "tools" {
                return json([
                    "id": "msg_1", "type": "message", "role": "assistant", "model": .string(model), "stop_reason": "tool_use",
                    "content": [["type": "text", "text": "Let me look."], ["type": "tool_use", "id": "toolu_1", "name": "lookup", "input": ["city": "Paris"]]],
                    "usage": ["input_tokens": 30, "output_tokens": 12],
                ])
            }
            return json([
                "id": "msg_1", "type": "message", "role": "assistant", "model": .string(model), "stop_reason": "end_turn",
                "content": [["type": "text", "text": "Bonjour, "], ["type": "text", "text": "monde ✓"]], "usage": ["input_tokens": 21, "output_tokens": 6],
            ])
        }
        var events = [
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}",
            "event: ping\ndata: {\"type\":\"ping\"}",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hé\"}}",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"llo 🌍\"}}",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}",
        ]
        if model == "broken" {
            events.append("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}")
        } else if model == "cut" {
            // ends without message_stop
        } else {
            if model == "tools" {
                events.append("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_9\",\"name\":\"add\",\"input\":{}}}")
                events.append("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\": 2, \"}}")
                events.append("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"b\\\": 3}\"}}")
                events.append("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}")
            }
            events.append("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"\(model == "tools" ? "tool_use" : "end_turn")\"},\"usage\":{\"output_tokens\":9}}")
            events.append("event: message_stop\ndata: {\"type\":\"message_stop\"}")
        }
        return streamed(awkward(events.joined(separator: "\n\n") + "\n\n", size: 5), contentType: "text/event-stream")
    }
    router.get("/v1/models") { _, _ in json(["data": [["id": "claude-sonnet-4-5", "display_name": "Claude Sonnet 4.5", "type": "model"]], "has_more": false]) }
    return router
}

@Suite("Anthropic Messages client")
struct AnthropicTests {
    func provider(_ base: String) -> AnthropicProvider {
        AnthropicProvider(settings: ProviderSettings(baseURL: base, apiKey: "sk-ant-test", firstByteTimeout: .seconds(10), maxRetries: 0))
    }

    @Test("a complete answer: text blocks joined, usage, the system prompt lifted out, tool results as user blocks")
    func complete() async throws {
        let seen = SeenBodies()
        try await withStubServer(anthropicStub(seen)) { base in
            let answer = try await provider(base).complete(ChatRequest(
                model: "claude-sonnet-4-5",
                messages: [
                    ChatMessage(role: .system, content: "Be brief."), ChatMessage(role: .user, content: "Hi"),
                    ChatMessage(role: .assistant, content: "", toolCalls: [ToolCall(id: "toolu_0", name: "lookup", arguments: ["q": "x"])]),
                    ChatMessage(role: .tool, content: "42", toolCallId: "toolu_0"),
                ],
                temperature: 0.2, stop: ["END"]))
            #expect(answer.content == "Bonjour, monde ✓")
            #expect(answer.usage == TokenUsage(promptTokens: 21, completionTokens: 6))
            #expect(answer.finishReason == "end_turn")
            #expect(answer.provider == "anthropic")
            let body = try #require(seen.withLock { $0.last })
            #expect(body["system"] == "Be brief.")
            #expect(body["max_tokens"] == .int(Int64(AnthropicProvider.defaultMaxTokens)))
            #expect(body["stop_sequences"] == ["END"])
            #expect(body["messages"]?.arrayValues?.count == 3)
            #expect(body["messages"]?[1]?["content"]?[0]?["type"] == "tool_use")
            #expect(body["messages"]?[2]?["role"] == "user")
            #expect(body["messages"]?[2]?["content"]?[0]?["tool_use_id"] == "toolu_0")
        }
    }

    @Test("tool calls in a complete answer; tools sent with input_schema")
    func toolsComplete() async throws {
        let seen = SeenBodies()
        try await withStubServer(anthropicStub(seen)) { base in
            let tool = ToolDefinition(name: "lookup", description: "Look up a city", parameters: ["type": "object", "properties": ["city": ["type": "string"]]])
            let answer = try await provider(base).complete(ChatRequest(model: "tools", messages: [ChatMessage(role: .user, content: "Paris?")], tools: [tool]))
            #expect(answer.toolCalls == [ToolCall(id: "toolu_1", name: "lookup", arguments: ["city": "Paris"])])
            #expect(answer.content == "Let me look.")
            #expect(seen.withLock { $0.last?["tools"]?[0]?["input_schema"]?["type"] } == "object")
        }
    }

    @Test("streaming in 5-byte pieces: text deltas, usage from message_start and message_delta, streamed tool input")
    func stream() async throws {
        let seen = SeenBodies()
        try await withStubServer(anthropicStub(seen)) { base in
            let chunks = try await provider(base).stream(ChatRequest(model: "claude", messages: [ChatMessage(role: .user, content: "Hi")])).array()
            #expect(chunks.map(\.content).joined() == "Héllo 🌍")
            #expect(chunks.last?.finishReason == "end_turn")
            #expect(chunks.last?.usage == TokenUsage(promptTokens: 25, completionTokens: 9))
            let tools = try await provider(base).stream(ChatRequest(model: "tools", messages: [ChatMessage(role: .user, content: "add")])).array()
            #expect(tools.last?.toolCalls == [ToolCall(id: "toolu_9", name: "add", arguments: ["a": 2, "b": 3])])
            #expect(tools.last?.finishReason == "tool_use")
        }
    }

    @Test("an error event mid-stream, a stream cut short and an error status all throw")
    func failures() async throws {
        let seen = SeenBodies()
        try await withStubServer(anthropicStub(seen)) { base in
            await #expect(throws: ProviderError.stream("Overloaded")) {
                _ = try await provider(base).stream(ChatRequest(model: "broken", messages: [ChatMessage(role: .user, content: "x")])).array()
            }
            await #expect(throws: ProviderError.stream("the stream ended before the model finished")) {
                _ = try await provider(base).stream(ChatRequest(model: "cut", messages: [ChatMessage(role: .user, content: "x")])).array()
            }
            await #expect(throws: ProviderError.http(status: 529, message: "Overloaded")) {
                _ = try await provider(base).complete(ChatRequest(model: "overloaded", messages: [ChatMessage(role: .user, content: "x")]))
            }
            let models = try await provider(base).models()
            #expect(models.map(\.name) == ["claude-sonnet-4-5"])
        }
    }
}

extension JSONValue {
    fileprivate subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    fileprivate var arrayValues: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}
