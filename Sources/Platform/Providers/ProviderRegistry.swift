import AsyncHTTPClient
import Foundation

/// Which providers exist, from the environment: `OLLAMA_BASE_URL`, `OPENAI_BASE_URL` (with
/// `OPENAI_API_KEY`), `MODEL_PROVIDER_TIMEOUT_SECONDS` (first byte), `MODEL_PROVIDER_RETRIES`,
/// and `MODEL_CATALOG` entries `provider/model=context_window:input_price:output_price`
/// separated by commas (prices in dollars per million tokens; any part may be left empty).
public struct ProviderConfiguration: Sendable {
    public var ollama: ProviderSettings?
    public var openAI: ProviderSettings?
    public var anthropic: ProviderSettings?
    public var catalog: [ModelInfo]

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public init(ollama: ProviderSettings? = nil, openAI: ProviderSettings? = nil, anthropic: ProviderSettings? = nil, catalog: [ModelInfo] = []) {
        self.ollama = ollama
        self.openAI = openAI
        self.anthropic = anthropic
        self.catalog = catalog
    }

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ProviderConfiguration {
        func nonEmpty(_ key: String) -> String? {
            environment[key].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0.trimmingCharacters(in: .whitespaces) }
        }
        let timeout = try nonEmpty("MODEL_PROVIDER_TIMEOUT_SECONDS").map { text -> Int in
            guard let value = Int(text), (1...600).contains(value) else { throw Invalid(description: "MODEL_PROVIDER_TIMEOUT_SECONDS must be 1-600 (got '\(text)')") }
            return value
        } ?? 30
        let retries = try nonEmpty("MODEL_PROVIDER_RETRIES").map { text -> Int in
            guard let value = Int(text), (0...10).contains(value) else { throw Invalid(description: "MODEL_PROVIDER_RETRIES must be 0-10 (got '\(text)')") }
            return value
        } ?? 2
        func settings(_ key: String, apiKey: String?) throws -> ProviderSettings? {
            guard let url = nonEmpty(key) else { return nil }
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
                throw Invalid(description: "\(key) must be an http(s) URL (got '\(url)')")
            }
            return ProviderSettings(baseURL: url, apiKey: apiKey, firstByteTimeout: .seconds(timeout), maxRetries: retries)
        }
        var catalog: [ModelInfo] = []
        for entry in (nonEmpty("MODEL_CATALOG") ?? "").split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let names = parts[0].split(separator: "/", maxSplits: 1).map(String.init)
            guard names.count == 2, !names[0].isEmpty, !names[1].isEmpty else {
                throw Invalid(description: "MODEL_CATALOG entries look like provider/model=context:input:output (got '\(entry)')")
            }
            let numbers = parts.count > 1 ? parts[1].split(separator: ":", omittingEmptySubsequences: false).map(String.init) : []
            func number(_ index: Int) throws -> Double? {
                guard index < numbers.count, !numbers[index].isEmpty else { return nil }
                guard let value = Double(numbers[index]), value >= 0 else { throw Invalid(description: "MODEL_CATALOG: '\(numbers[index])' is not a number in '\(entry)'") }
                return value
            }
            catalog.append(ModelInfo(
                name: names[1], provider: names[0], contextWindow: try number(0).map { Int($0) }, inputPricePerMillion: try number(1),
                outputPricePerMillion: try number(2), available: false))
        }
        return ProviderConfiguration(
            ollama: try settings("OLLAMA_BASE_URL", apiKey: nonEmpty("OLLAMA_API_KEY")),
            openAI: try settings("OPENAI_BASE_URL", apiKey: nonEmpty("OPENAI_API_KEY")),
            anthropic: try settings("ANTHROPIC_BASE_URL", apiKey: nonEmpty("ANTHROPIC_API_KEY")),
            catalog: catalog)
    }
}

/// Where a tenant's own provider key is kept (the settings module's encrypted secrets).
public protocol ProviderCredentialSource: Sendable {
    /// The tenant's API key for `provider`, if it stored one.
    func apiKey(provider: String, tenant: UUID) async throws -> String?
}

/// The configured providers, plus the built-in `local` one.
public struct ProviderRegistry: Sendable {
    public let configuration: ProviderConfiguration
    let client: HTTPClient
    let usage: (any UsageRecorder)?
    let credentials: (any ProviderCredentialSource)?
    /// The models tenants registered themselves (the chat module's AI models), by name.
    let registered: (any RegisteredModelSource)?

    public init(
        configuration: ProviderConfiguration, client: HTTPClient = .shared, usage: (any UsageRecorder)? = nil,
        credentials: (any ProviderCredentialSource)? = nil, registered: (any RegisteredModelSource)? = nil
    ) {
        self.configuration = configuration
        self.client = client
        self.usage = usage
        self.credentials = credentials
        self.registered = registered
    }

    /// Provider names, `local` last.
    public var names: [String] {
        (configuration.ollama == nil ? [] : ["ollama"]) + (configuration.openAI == nil ? [] : ["openai"])
            + (configuration.anthropic == nil ? [] : ["anthropic"]) + ["local"]
    }

    /// A provider by name; a tenant's stored key, when it has one, replaces the configured key.
    public func provider(_ name: String, tenant: UUID? = nil) async throws -> (any ModelProvider)? {
        func key(_ configured: String?) async throws -> String? {
            guard let tenant, let credentials, let own = try await credentials.apiKey(provider: name, tenant: tenant) else { return configured }
            return own
        }
        switch name {
        case "ollama":
            guard var settings = configuration.ollama else { return nil }
            settings.apiKey = try await key(settings.apiKey)
            return OllamaProvider(settings: settings, client: client, usage: usage, tenant: tenant)
        case "openai":
            guard var settings = configuration.openAI else { return nil }
            settings.apiKey = try await key(settings.apiKey)
            return OpenAICompatibleProvider(settings: settings, client: client, usage: usage, tenant: tenant)
        case "anthropic":
            guard var settings = configuration.anthropic else { return nil }
            settings.apiKey = try await key(settings.apiKey)
            return AnthropicProvider(settings: settings, client: client, usage: usage, tenant: tenant)
        case "local":
            return LocalProvider()
        default:
            // A model the tenant registered, bound to its own endpoint, key and model name.
            guard let tenant, let registered else { return nil }
            return try await registered.provider(named: name, tenant: tenant, registry: self)
        }
    }

    /// A client of the given wire format (`ollama`, `anthropic`, `local`; anything else speaks
    /// the OpenAI-compatible API) on `settings`, with this registry's HTTP client and usage recorder.
    public func makeProvider(kind: String, name: String, settings: ProviderSettings, tenant: UUID?) -> any ModelProvider {
        switch kind {
        case "ollama": OllamaProvider(name: name, settings: settings, client: client, usage: usage, tenant: tenant)
        case "anthropic": AnthropicProvider(name: name, settings: settings, client: client, usage: usage, tenant: tenant)
        case "local": LocalProvider()
        default: OpenAICompatibleProvider(name: name, settings: settings, client: client, usage: usage, tenant: tenant)
        }
    }

    public func health() async -> [ProviderHealth] {
        var results: [ProviderHealth] = []
        for name in names {
            guard let provider = try? await provider(name) else { continue }
            results.append(await provider.health())
        }
        return results
    }

    public func catalog() async -> [ModelInfo] {
        var providers: [any ModelProvider] = []
        for name in names { if let provider = try? await provider(name) { providers.append(provider) } }
        return await ModelCatalog(configured: configuration.catalog).merged(with: providers)
    }
}

/// Models registered by a tenant (name -> endpoint, key, model), resolvable by name wherever a
/// provider is asked for: chat, the workflow engine's `llm` node, agents.
public protocol RegisteredModelSource: Sendable {
    /// The provider for the tenant's active registered model `name`, bound to its model, or nil.
    func provider(named name: String, tenant: UUID, registry: ProviderRegistry) async throws -> (any ModelProvider)?
}

/// A provider that always asks for one model (a registered AI model's `model_name`), whatever
/// the request names.
public struct BoundModelProvider: ModelProvider {
    public let base: any ModelProvider
    public let model: String
    /// The registered name callers use.
    public let name: String
    public let contextWindow: Int?

    public init(base: any ModelProvider, model: String, name: String, contextWindow: Int? = nil) {
        self.base = base
        self.model = model
        self.name = name
        self.contextWindow = contextWindow
    }

    func bound(_ request: ChatRequest) -> ChatRequest {
        var request = request
        request.model = model
        return request
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse { try await base.complete(bound(request)) }
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatChunk, any Error> { base.stream(bound(request)) }
    public func models() async throws -> [ModelInfo] { try await base.models() }
    public func health() async -> ProviderHealth { await base.health() }
}
