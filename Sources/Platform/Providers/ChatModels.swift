import Foundation
import PlatformSupport

public typealias ProviderJSON = JSONValue

/// One message of a conversation.
public struct ChatMessage: Codable, Sendable, Equatable {
    public enum Role: String, Codable, Sendable { case system, user, assistant, tool }

    public var role: Role
    public var content: String
    /// Calls the assistant asked for (function calling).
    public var toolCalls: [ToolCall]?
    /// For a `tool` message: the call it answers.
    public var toolCallId: String?

    public init(role: Role, content: String, toolCalls: [ToolCall]? = nil, toolCallId: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallId = toolCallId
    }
}

/// A function the model may call, described by a JSON Schema of its arguments.
public struct ToolDefinition: Codable, Sendable, Equatable {
    public var name: String
    public var description: String
    public var parameters: ProviderJSON

    public init(name: String, description: String, parameters: ProviderJSON) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

public struct ToolCall: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// The arguments as the model wrote them (a JSON object).
    public var arguments: ProviderJSON

    public init(id: String, name: String, arguments: ProviderJSON) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

public struct ChatRequest: Sendable, Equatable {
    public var model: String
    public var messages: [ChatMessage]
    public var temperature: Double?
    public var maxTokens: Int?
    public var stop: [String]?
    public var tools: [ToolDefinition]?

    public init(model: String, messages: [ChatMessage], temperature: Double? = nil, maxTokens: Int? = nil, stop: [String]? = nil, tools: [ToolDefinition]? = nil) {
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.stop = stop
        self.tools = tools
    }
}

public struct TokenUsage: Codable, Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int { promptTokens + completionTokens }

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

/// A complete answer.
public struct ChatResponse: Sendable, Equatable {
    public var provider: String
    public var model: String
    public var content: String
    public var toolCalls: [ToolCall]
    public var finishReason: String?
    public var usage: TokenUsage?
    /// From sending the request to the last byte.
    public var duration: Duration
    /// False for the built-in `local` provider, which is not a language model.
    public var isLanguageModel: Bool
}

/// One piece of a streamed answer.
public struct ChatChunk: Sendable, Equatable {
    public var content: String
    public var toolCalls: [ToolCall]
    /// Set on the last chunk.
    public var finishReason: String?
    public var usage: TokenUsage?

    public init(content: String, toolCalls: [ToolCall] = [], finishReason: String? = nil, usage: TokenUsage? = nil) {
        self.content = content
        self.toolCalls = toolCalls
        self.finishReason = finishReason
        self.usage = usage
    }
}

public struct ModelInfo: Codable, Sendable, Equatable {
    public var name: String
    public var provider: String
    public var contextWindow: Int?
    /// US dollars per million tokens, where known.
    public var inputPricePerMillion: Double?
    public var outputPricePerMillion: Double?
    /// Reported by the provider (not only configured).
    public var available: Bool

    public init(name: String, provider: String, contextWindow: Int? = nil, inputPricePerMillion: Double? = nil, outputPricePerMillion: Double? = nil, available: Bool) {
        self.name = name
        self.provider = provider
        self.contextWindow = contextWindow
        self.inputPricePerMillion = inputPricePerMillion
        self.outputPricePerMillion = outputPricePerMillion
        self.available = available
    }
}

public struct ProviderHealth: Sendable, Equatable {
    public var provider: String
    public var healthy: Bool
    public var latency: Duration?
    public var message: String
}

/// What went wrong talking to a provider.
public enum ProviderError: Error, Sendable, Equatable {
    /// The provider answered with an error status (after retries, where retryable).
    case http(status: Int, message: String)
    /// No answer (or no first byte) within the timeout.
    case timeout(String)
    /// The answer could not be read as the provider's format.
    case malformed(String)
    /// The provider reported an error in the middle of a stream.
    case stream(String)
    case unavailable(String)
}

/// Usage accounting: every completed call is reported here (metrics per tenant and model).
public protocol UsageRecorder: Sendable {
    func record(provider: String, model: String, usage: TokenUsage?, duration: Duration, tenant: UUID?) async
}

/// The one interface chat, agents and operators use.
public protocol ModelProvider: Sendable {
    var name: String { get }
    func complete(_ request: ChatRequest) async throws -> ChatResponse
    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatChunk, any Error>
    func models() async throws -> [ModelInfo]
    func health() async -> ProviderHealth
}

extension ModelProvider {
    /// Healthy when the provider lists its models; the latency is that call's.
    public func healthFromModelList() async -> ProviderHealth {
        let started = ContinuousClock.now
        do {
            let count = try await models().count
            return ProviderHealth(provider: name, healthy: true, latency: ContinuousClock.now - started, message: "\(count) model(s) available")
        } catch {
            return ProviderHealth(provider: name, healthy: false, latency: nil, message: String(describing: error))
        }
    }
}
