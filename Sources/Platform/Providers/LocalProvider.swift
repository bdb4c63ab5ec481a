import Foundation

/// The built-in `local` provider: no network, no model. It answers deterministically by
/// extracting from the conversation (the sentences of the last user message that share the
/// most words with it, up to the token limit), so the platform runs and its tests pass
/// offline. Every answer says so: `provider: "local"`, `isLanguageModel: false`.
public struct LocalProvider: ModelProvider {
    public let name = "local"
    public static let model = "local-extractive"

    public init() {}

    static func words(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
    }

    /// The answer for `request`: a labelled extract of the last user message.
    static func answer(_ request: ChatRequest) -> String {
        guard let last = request.messages.last(where: { $0.role == .user })?.content, !last.isEmpty else {
            return "[local extractive responder, not a language model] There is no user message to respond to."
        }
        let sentences = last.split(whereSeparator: { ".!?\n".contains($0) }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let frequency = Dictionary(words(last).map { ($0, 1) }, uniquingKeysWith: +)
        let ranked = sentences.enumerated().sorted { lhs, rhs in
            let left = words(lhs.element).reduce(0) { $0 + (frequency[$1] ?? 0) }
            let right = words(rhs.element).reduce(0) { $0 + (frequency[$1] ?? 0) }
            return left == right ? lhs.offset < rhs.offset : left > right
        }
        var picked = Array(ranked.prefix(2)).sorted { $0.offset < $1.offset }.map(\.element).joined(separator: ". ")
        if let limit = request.maxTokens {
            picked = words(picked).prefix(max(limit - 8, 1)).joined(separator: " ")
        }
        var text = "[local extractive responder, not a language model] \(picked)."
        for stop in request.stop ?? [] {
            if let range = text.range(of: stop) { text = String(text[..<range.lowerBound]) }
        }
        return text
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let started = ContinuousClock.now
        let text = Self.answer(request)
        let prompt = request.messages.reduce(0) { $0 + Self.words($1.content).count }
        return ChatResponse(
            provider: name, model: Self.model, content: text, toolCalls: [], finishReason: "stop",
            usage: TokenUsage(promptTokens: prompt, completionTokens: Self.words(text).count), duration: ContinuousClock.now - started,
            isLanguageModel: false)
    }

    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatChunk, any Error> {
        let text = Self.answer(request)
        let prompt = request.messages.reduce(0) { $0 + Self.words($1.content).count }
        return AsyncThrowingStream { continuation in
            let pieces = text.split(separator: " ", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                continuation.yield(ChatChunk(content: (index == 0 ? "" : " ") + piece))
            }
            continuation.yield(ChatChunk(content: "", finishReason: "stop", usage: TokenUsage(promptTokens: prompt, completionTokens: Self.words(text).count)))
            continuation.finish()
        }
    }

    public func models() async throws -> [ModelInfo] {
        [ModelInfo(name: Self.model, provider: name, contextWindow: nil, inputPricePerMillion: 0, outputPricePerMillion: 0, available: true)]
    }

    public func health() async -> ProviderHealth {
        ProviderHealth(provider: name, healthy: true, latency: .zero, message: "built in; extractive, not a language model")
    }
}

/// The model catalog: configured entries (context window, prices) merged with what the
/// providers report. A configured model a provider does not report is listed as unavailable.
public struct ModelCatalog: Sendable {
    public var configured: [ModelInfo]

    public init(configured: [ModelInfo]) {
        self.configured = configured
    }

    public func merged(with providers: [any ModelProvider]) async -> [ModelInfo] {
        var byKey: [String: ModelInfo] = [:]
        for entry in configured { byKey["\(entry.provider)/\(entry.name)"] = ModelInfo(
            name: entry.name, provider: entry.provider, contextWindow: entry.contextWindow, inputPricePerMillion: entry.inputPricePerMillion,
            outputPricePerMillion: entry.outputPricePerMillion, available: false) }
        for provider in providers {
            guard let reported = try? await provider.models() else { continue }
            for model in reported {
                let key = "\(model.provider)/\(model.name)"
                var entry = byKey[key] ?? model
                entry.available = true
                entry.contextWindow = entry.contextWindow ?? model.contextWindow
                entry.inputPricePerMillion = entry.inputPricePerMillion ?? model.inputPricePerMillion
                entry.outputPricePerMillion = entry.outputPricePerMillion ?? model.outputPricePerMillion
                byKey[key] = entry
            }
        }
        return byKey.values.sorted { ($0.provider, $0.name) < ($1.provider, $1.name) }
    }

    /// The cost of `usage` on `model`, when its prices are known.
    public func cost(of usage: TokenUsage, model: String, provider: String) -> Double? {
        guard let entry = configured.first(where: { $0.name == model && $0.provider == provider }),
            let input = entry.inputPricePerMillion, let output = entry.outputPricePerMillion
        else { return nil }
        return (Double(usage.promptTokens) * input + Double(usage.completionTokens) * output) / 1_000_000
    }
}
