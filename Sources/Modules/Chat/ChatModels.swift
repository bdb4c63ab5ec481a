import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

/// The body of `POST /chat`.
struct ChatInput: Codable, Sendable {
    /// Null (or absent) starts a new conversation.
    var conversationId: UUID?
    var message: String
    /// A registered AI model's name, `provider/model`, a model name the catalog knows, or `local`;
    /// absent: the tenant's selected Ollama model, else `local`.
    var model: String?
    var system: String?
    var temperature: Double?
    var maxTokens: Int?
    var stream: Bool?

    var problems: [String: String] {
        var problems: [String: String] = [:]
        if message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || message.count > 100_000 { problems["message"] = "must be 1-100000 characters" }
        if let model, model.isEmpty || model.count > 200 { problems["model"] = "must be 1-200 characters" }
        if let system, system.count > 20_000 { problems["system"] = "must be at most 20000 characters" }
        if let temperature, !(0...2).contains(temperature) { problems["temperature"] = "must be between 0 and 2" }
        if let maxTokens, !(1...32_768).contains(maxTokens) { problems["max_tokens"] = "must be 1-32768" }
        return problems
    }
}

/// The answer of `POST /chat` (and the `done` event of its stream).
struct ChatAnswer: Codable, Sendable, ResponseEncodable {
    var conversationId: UUID
    var messageId: UUID
    /// The user's message, kept whatever the outcome.
    var userMessageId: UUID
    var response: String
    var model: String
    var provider: String
    var tokensUsed: Int
    var promptTokens: Int
    var completionTokens: Int
    var latencyMs: Int
    /// False for the built-in `local` responder, which is not a language model.
    var isLanguageModel: Bool
}

struct StoredConversation: Codable, Sendable {
    var id: UUID
    var title: String
    var model: String
    var systemPrompt: String?
    var createdAt: Date
    var updatedAt: Date
}

struct StoredMessage: Codable, Sendable {
    var id: UUID
    var role: String
    var content: String
    var status: String
    var error: String?
    var provider: String?
    var model: String?
    var createdAt: Date
}

struct HistoryMessage: Codable, Sendable {
    var id: UUID
    var role: String
    var content: String
    var timestamp: Date
    /// `failed` for a user message whose answer failed (a retry of the same text answers it).
    var status: String
    var error: String?
    var model: String?
    var provider: String?
}

struct ChatHistory: Codable, Sendable, ResponseEncodable {
    var conversationId: UUID
    var title: String
    var model: String
    var messages: [HistoryMessage]
}

struct ConversationSummary: Codable, Sendable {
    var id: UUID
    var conversationId: UUID
    var title: String
    var model: String
    var messageCount: Int
    var lastMessage: String?
    var createdAt: Date
    var updatedAt: Date
}

struct ChatModelView: Codable, Sendable {
    /// What to send as `model`.
    var id: String
    var name: String
    var provider: String
    var capabilities: [String]
    var contextWindow: Int?
}

struct ChatModelList: Codable, Sendable, ResponseEncodable {
    var models: [ChatModelView]
}

extension APIError {
    static var conversationNotFound: APIError { .notFound("Conversation", code: "CONVERSATION_NOT_FOUND") }
    static var modelNotFound: APIError { .notFound("Model", code: "MODEL_NOT_FOUND") }
    static var aiModelNotFound: APIError { .notFound("AI model", code: "AI_MODEL_NOT_FOUND") }
    static func unknownModel(_ name: String) -> APIError {
        APIError(
            .unprocessableContent, code: "VALIDATION_ERROR", message: "The request has invalid fields",
            hint: "GET /api/v1/chat/models lists the models available to you",
            details: ["fields": ["model": .string("no available model is called '\(name)'")]])
    }
}

extension ChatInput: BodyExample {
    static var example: JSONValue { ["conversation_id": .null, "message": "Summarise our Q3 release notes in three bullets.", "model": "local", "temperature": 0.7] }
}
