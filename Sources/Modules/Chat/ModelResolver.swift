import AsyncHTTPClient
import Foundation
import NIOCore
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import Providers

/// A model a request named, ready to call.
struct ResolvedModel: Sendable {
    var provider: any ModelProvider
    /// The provider as errors and usage name it (`ollama`, `openai`, an AI model's provider).
    var providerName: String
    /// The model sent to the provider.
    var model: String
    /// What the caller chose, as conversations keep it.
    var choice: String
    var contextWindow: Int?
    var inputPricePerMillion: Double?
    var outputPricePerMillion: Double?

    func cost(_ usage: TokenUsage) -> Double? {
        guard let input = inputPricePerMillion, let output = outputPricePerMillion else { return nil }
        return (Double(usage.promptTokens) * input + Double(usage.completionTokens) * output) / 1_000_000
    }

    /// How the provider answered a probe: its model list, or (for servers without one) a
    /// one-token completion of `model`.
    enum ProbeAnswer: Sendable {
        case listed([String])
        case completed
    }

    /// A real call that shows the model can be reached; throws the provider's error when neither
    /// the model list nor a one-token completion answers.
    func probe() async throws -> ProbeAnswer {
        if let listed = try? await provider.models() { return .listed(listed.map(\.name)) }
        _ = try await provider.complete(ChatRequest(model: model, messages: [ChatMessage(role: .user, content: "ping")], maxTokens: 1))
        return .completed
    }
}

/// The tenant's registered AI models as providers, for chat and (through the provider registry)
/// the workflow engine and agents. Endpoints are checked against the outbound target policy
/// each time they are used; keys are opened only here.
public struct AIModelDirectory: RegisteredModelSource {
    let database: Database
    let sealer: SecretSealer?
    let targets: OutboundTargetPolicy
    let store = AIModelStore()

    public init(database: Database, sealer: SecretSealer?, targets: OutboundTargetPolicy) {
        self.database = database
        self.sealer = sealer
        self.targets = targets
    }

    public func provider(named name: String, tenant: UUID, registry: ProviderRegistry) async throws -> (any ModelProvider)? {
        try await resolve(named: name, scope: TenantScope(tenantID: tenant, dataScope: .all), registry: registry)?.provider
    }

    /// The active model `name` visible to `scope`, bound to its model name.
    func resolve(named name: String, scope: TenantScope, registry: ProviderRegistry) async throws -> ResolvedModel? {
        guard let (model, sealed) = try await database.withTenant(scope, { tx in try await store.findActive(named: name, tenantID: scope.tenantID, in: tx) })
        else { return nil }
        return try await resolved(model, sealed: sealed, tenantID: scope.tenantID, registry: registry)
    }

    func resolved(_ model: StoredAIModel, sealed: ByteBuffer?, tenantID: UUID, registry: ProviderRegistry) async throws -> ResolvedModel {
        let kind = AIModelProvider.kind(model.provider)
        let window = model.config["context_window"].flatMap(JSONSchema.integer)
        let prices = (model.config["input_price_per_million"].flatMap(JSONSchema.number), model.config["output_price_per_million"].flatMap(JSONSchema.number))
        if kind == "local" {
            return ResolvedModel(
                provider: LocalProvider(), providerName: "local", model: LocalProvider.model, choice: model.name, contextWindow: window,
                inputPricePerMillion: 0, outputPricePerMillion: 0)
        }
        let key = try sealed.map { sealed -> String in
            guard let sealer else { throw ChatFailure.secretsNotConfigured }
            return try sealer.open(sealed, tenant: tenantID, name: Self.secretName(model.id))
        }
        let endpoint = try await self.endpoint(model, kind: kind, registry: registry)
        let timeout = model.config["timeout_seconds"].flatMap(JSONSchema.integer) ?? Int(registry.configuration.ollama?.firstByteTimeout.components.seconds ?? 30)
        let retries = model.config["max_retries"].flatMap(JSONSchema.integer).map { min(max($0, 0), 5) } ?? 2
        let settings = ProviderSettings(baseURL: endpoint, apiKey: key, firstByteTimeout: .seconds(timeout), maxRetries: retries)
        let base = registry.makeProvider(kind: kind, name: model.provider, settings: settings, tenant: tenantID)
        return ResolvedModel(
            provider: BoundModelProvider(base: base, model: model.modelName, name: model.name, contextWindow: window), providerName: model.provider,
            model: model.modelName, choice: model.name, contextWindow: window, inputPricePerMillion: prices.0, outputPricePerMillion: prices.1)
    }

    /// The base URL to call: the model's endpoint (without a trailing `/v1`, which the clients
    /// add), else the platform's configured one for that provider, else the vendor's.
    func endpoint(_ model: StoredAIModel, kind: String, registry: ProviderRegistry) async throws -> String {
        var endpoint = model.endpoint.trimmingCharacters(in: .whitespaces)
        if endpoint.isEmpty {
            switch kind {
            case "ollama": endpoint = registry.configuration.ollama?.baseURL ?? ""
            case "anthropic": endpoint = "https://api.anthropic.com"
            default: endpoint = model.provider == "openai" ? (registry.configuration.openAI?.baseURL ?? "https://api.openai.com") : ""
            }
            guard !endpoint.isEmpty else { throw ChatFailure.noEndpoint(model.name) }
            return endpoint
        }
        do { _ = try await targets.check(endpoint) } catch let refused as OutboundTargetPolicy.Refused {
            throw ChatFailure.endpointRefused(refused.reason)
        }
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        if kind != "ollama", endpoint.hasSuffix("/v1") { endpoint.removeLast(3) }
        return endpoint
    }

    /// The associated data an AI model's sealed key is bound to.
    static func secretName(_ id: UUID) -> String { "ai_model.\(id.uuidString.lowercased()).api_key" }
}

/// Why a model could not be called, before any provider was asked.
enum ChatFailure: Error {
    case secretsNotConfigured
    case noEndpoint(String)
    case endpointRefused(String)

    var apiError: APIError {
        switch self {
        case .secretsNotConfigured:
            APIError(.serviceUnavailable, code: "SECRETS_NOT_CONFIGURED", message: "No secrets key is configured, so API keys cannot be kept",
                     hint: "Set SECRETS_KEY (32 bytes, base64) or JWT_SECRET")
        case .noEndpoint(let name):
            APIError(.conflict, code: "PROVIDER_NOT_CONFIGURED", message: "The AI model '\(name)' has no endpoint and the platform has none configured for its provider")
        case .endpointRefused(let reason):
            APIError(.badGateway, code: "PROVIDER_ENDPOINT_REFUSED", message: "The model's endpoint may not be called: \(reason)")
        }
    }
}

/// Names to models: a registered AI model, `provider/model` (or `provider-model`), `local`, a
/// name the catalog knows; nothing named means the tenant's selected Ollama model, else `local`.
struct ModelResolver: Sendable {
    let database: Database
    let providers: ProviderRegistry
    let directory: AIModelDirectory
    let store = ChatStore()

    func resolve(_ requested: String?, scope: TenantScope) async throws -> ResolvedModel {
        do {
            return try await lookUp(requested, scope: scope)
        } catch let failure as ChatFailure {
            throw failure.apiError
        }
    }

    func lookUp(_ requested: String?, scope: TenantScope) async throws -> ResolvedModel {
        let choice = requested?.trimmingCharacters(in: .whitespaces) ?? ""
        if choice.isEmpty {
            if providers.configuration.ollama != nil,
                let selected = try await database.withTenant(scope, { tx in try await store.selectedOllamaModel(tenantID: scope.tenantID, in: tx) }),
                let resolved = try await builtIn("ollama", selected, choice: "ollama/\(selected)", scope: scope)
            {
                return resolved
            }
            return local(choice: "local")
        }
        if let registered = try await directory.resolve(named: choice, scope: scope, registry: providers) { return registered }
        if choice == "local" || choice == LocalProvider.model || choice.hasPrefix("local/") { return local(choice: choice) }
        for separator in ["/", "-"] {
            guard let range = choice.range(of: separator) else { continue }
            let name = String(choice[..<range.lowerBound])
            let model = String(choice[range.upperBound...])
            if providers.names.contains(name), !model.isEmpty, let resolved = try await builtIn(name, model, choice: choice, scope: scope) { return resolved }
        }
        // A bare model name: configured in the catalog, else reported by a provider.
        if let entry = providers.configuration.catalog.first(where: { $0.name == choice && providers.names.contains($0.provider) }),
            let resolved = try await builtIn(entry.provider, choice, choice: choice, scope: scope)
        {
            return resolved
        }
        for entry in await providers.catalog() where entry.name == choice && entry.available && entry.provider != "local" {
            if let resolved = try await builtIn(entry.provider, choice, choice: choice, scope: scope) {
                var withWindow = resolved
                withWindow.contextWindow = withWindow.contextWindow ?? entry.contextWindow
                return withWindow
            }
        }
        throw APIError.unknownModel(choice)
    }

    func local(choice: String) -> ResolvedModel {
        ResolvedModel(provider: LocalProvider(), providerName: "local", model: LocalProvider.model, choice: choice, contextWindow: nil, inputPricePerMillion: 0, outputPricePerMillion: 0)
    }

    func builtIn(_ name: String, _ model: String, choice: String, scope: TenantScope) async throws -> ResolvedModel? {
        if name == "local" { return local(choice: choice) }
        guard let provider = try await providers.provider(name, tenant: scope.tenantID) else { return nil }
        let entry = providers.configuration.catalog.first { $0.provider == name && $0.name == model }
        return ResolvedModel(
            provider: provider, providerName: name, model: model, choice: choice, contextWindow: entry?.contextWindow,
            inputPricePerMillion: entry?.inputPricePerMillion, outputPricePerMillion: entry?.outputPricePerMillion)
    }
}

/// A provider's failure as the answer to the caller: 504 for a timeout, 503 when the provider
/// cannot be reached or keeps refusing (429), 502 for an error or an unreadable answer.
enum ProviderFailure {
    static func apiError(_ error: any Error, provider: String) -> APIError {
        if let error = error as? APIError { return error }
        if let failure = error as? ChatFailure { return failure.apiError }
        let details: [String: JSONValue] = ["provider": .string(provider)]
        switch error {
        case ProviderError.timeout(let message):
            return APIError(.gatewayTimeout, code: "PROVIDER_TIMEOUT", message: "The model provider \(provider) did not answer in time: \(message)", details: details)
        case ProviderError.http(let status, let message) where status == 429:
            return APIError(
                .serviceUnavailable, code: "PROVIDER_RATE_LIMITED", message: "The model provider \(provider) is refusing requests for now (429): \(message)",
                hint: "Retry later", details: details.merging(["provider_status": 429]) { first, _ in first })
        case ProviderError.http(let status, let message):
            return APIError(
                .badGateway, code: "PROVIDER_ERROR", message: "The model provider \(provider) answered \(status): \(message)",
                details: details.merging(["provider_status": .int(Int64(status))]) { first, _ in first })
        case ProviderError.malformed(let message), ProviderError.stream(let message):
            return APIError(.badGateway, code: "PROVIDER_ERROR", message: "The model provider \(provider) failed: \(message)", details: details)
        case ProviderError.unavailable(let message):
            return APIError(.serviceUnavailable, code: "PROVIDER_UNAVAILABLE", message: "The model provider \(provider) is unavailable: \(message)", details: details)
        default:
            return APIError(
                .serviceUnavailable, code: "PROVIDER_UNAVAILABLE", message: "The model provider \(provider) could not be reached",
                hint: "Check that it is running and reachable from the platform", details: details)
        }
    }

    /// What to store with a failed turn.
    static func summary(_ error: APIError) -> String { String("\(error.code): \(error.message)".prefix(2000)) }

    static let documented: [RouteResponse] = [
        .error(.badGateway, "The model provider failed or answered an error (details.provider names it)"),
        .error(.serviceUnavailable, "The model provider cannot be reached or is rate limiting"),
        .error(.gatewayTimeout, "The model provider did not answer in time"),
    ]
}
