import Foundation
import PlatformDatabase
import PlatformSupport
import Providers

/// One turn of a conversation, prepared: the user's message is stored, the history trimmed.
struct ChatTurn: Sendable {
    var conversationID: UUID
    var userMessageID: UUID
    var request: ChatRequest
    var resolved: ResolvedModel
    var system: String?
}

/// The turn logic shared by the plain and the streaming answers: conversations per user and
/// tenant, the user's message kept whatever happens, a failed turn marked (and reused by a retry
/// of the same text), usage recorded for every completion.
struct ChatService: Sendable {
    let database: Database
    let resolver: ModelResolver
    let store = ChatStore()

    /// Context windows are not always known; this many tokens is assumed then.
    static let defaultContextWindow = 8192

    func prepare(_ input: ChatInput, scope: TenantScope, userID: UUID) async throws -> ChatTurn {
        let resolved = try await resolver.resolve(input.model, scope: scope)
        let tenantID = scope.tenantID
        return try await database.withTenant(scope) { tx -> ChatTurn in
            let conversation: StoredConversation
            if let id = input.conversationId {
                guard let found = try await store.conversation(id, tenantID: tenantID, ownerID: userID, in: tx) else { throw APIError.conversationNotFound }
                conversation = found
            } else {
                guard let created = try await store.createConversation(
                    id: UUID.v7(), title: Self.title(input.message), model: resolved.choice, system: input.system, tenantID: tenantID, ownerID: userID,
                    in: tx)
                else { throw APIError.internalError }
                conversation = created
            }
            let stored = try await store.messages(conversation.id, tenantID: tenantID, in: tx)
            let userMessageID: UUID
            var earlier = stored
            if let last = stored.last, last.role == "user", last.status == "failed", last.content == input.message {
                // A retry of the turn that failed: answer that message instead of adding another.
                userMessageID = last.id
                earlier.removeLast()
            } else {
                userMessageID = UUID.v7()
                try await store.addMessage(
                    id: userMessageID, conversationID: conversation.id, role: "user", content: input.message, tenantID: tenantID, ownerID: userID, in: tx)
            }
            let system = input.system ?? conversation.systemPrompt
            try await store.touch(conversation.id, model: resolved.choice, system: input.system, tenantID: tenantID, in: tx)
            let history = earlier.filter { $0.status == "ok" && $0.role != "system" }.map { message in
                ChatMessage(role: message.role == "assistant" ? .assistant : .user, content: message.content)
            }
            let messages = Self.trimmed(
                system: system, history: history, current: ChatMessage(role: .user, content: input.message), contextWindow: resolved.contextWindow,
                maxTokens: input.maxTokens)
            return ChatTurn(
                conversationID: conversation.id, userMessageID: userMessageID,
                request: ChatRequest(model: resolved.model, messages: messages, temperature: input.temperature, maxTokens: input.maxTokens),
                resolved: resolved, system: system)
        }
    }

    /// A conversation's title: the start of its first message.
    static func title(_ message: String) -> String {
        let line = message.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let text = line.isEmpty ? "New conversation" : line
        return text.count > 80 ? String(text.prefix(79)) + "…" : text
    }

    /// A rough token count (4 characters a token, plus the message's framing).
    static func tokens(_ text: String) -> Int { (text.utf8.count + 3) / 4 + 4 }

    /// The system prompt, then as many of the latest turns as fit the context window (less
    /// what the answer may take), then the current message. Oldest turns go first; the history
    /// never starts with an answer whose question was dropped.
    static func trimmed(system: String?, history: [ChatMessage], current: ChatMessage, contextWindow: Int?, maxTokens: Int?) -> [ChatMessage] {
        let window = contextWindow ?? defaultContextWindow
        let reserve = maxTokens ?? min(1024, window / 4)
        var budget = window - reserve - tokens(current.content) - (system.map(tokens) ?? 0)
        var kept: [ChatMessage] = []
        for message in history.reversed() {
            let cost = tokens(message.content)
            guard cost <= budget else { break }
            budget -= cost
            kept.append(message)
        }
        kept.reverse()
        while kept.first?.role == .assistant { kept.removeFirst() }
        var messages: [ChatMessage] = []
        if let system, !system.isEmpty { messages.append(ChatMessage(role: .system, content: system)) }
        return messages + kept + [current]
    }

    /// Stores the answer and its usage; the user's message is answered.
    func succeed(_ turn: ChatTurn, content: String, usage: TokenUsage?, latency: Duration, scope: TenantScope, userID: UUID) async throws -> ChatAnswer {
        let tokens = usage ?? TokenUsage(
            promptTokens: turn.request.messages.reduce(0) { $0 + Self.tokens($1.content) }, completionTokens: Self.tokens(content))
        let milliseconds = Self.milliseconds(latency)
        let answerID = UUID.v7()
        let tenantID = scope.tenantID
        try await database.withTenant(scope) { tx in
            try await store.mark(turn.userMessageID, status: "ok", error: nil, tenantID: tenantID, in: tx)
            try await store.addMessage(
                id: answerID, conversationID: turn.conversationID, role: "assistant", content: content, provider: turn.resolved.providerName,
                model: turn.resolved.model, promptTokens: tokens.promptTokens, completionTokens: tokens.completionTokens, tenantID: tenantID, ownerID: userID,
                in: tx)
            try await store.touch(turn.conversationID, model: turn.resolved.choice, system: nil, tenantID: tenantID, in: tx)
            try await store.recordUsage(
                UsageRecord(
                    userID: userID, provider: turn.resolved.providerName, model: turn.resolved.model, promptTokens: tokens.promptTokens,
                    completionTokens: tokens.completionTokens, latencyMs: milliseconds, costUSD: turn.resolved.cost(tokens), success: true),
                tenantID: tenantID, in: tx)
        }
        return ChatAnswer(
            conversationId: turn.conversationID, messageId: answerID, userMessageId: turn.userMessageID, response: content, model: turn.resolved.model,
            provider: turn.resolved.providerName, tokensUsed: tokens.totalTokens, promptTokens: tokens.promptTokens, completionTokens: tokens.completionTokens,
            latencyMs: milliseconds, isLanguageModel: turn.resolved.providerName != "local")
    }

    /// Marks the turn failed (the message stays) and records the failed call.
    func fail(_ turn: ChatTurn, error: APIError, latency: Duration, scope: TenantScope, userID: UUID) async {
        let tenantID = scope.tenantID
        try? await database.withTenant(scope) { tx in
            try await store.mark(turn.userMessageID, status: "failed", error: ProviderFailure.summary(error), tenantID: tenantID, in: tx)
            try await store.recordUsage(
                UsageRecord(
                    userID: userID, provider: turn.resolved.providerName, model: turn.resolved.model, promptTokens: 0, completionTokens: 0,
                    latencyMs: Self.milliseconds(latency), costUSD: nil, success: false),
                tenantID: tenantID, in: tx)
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds) * 1000 + Int(duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
