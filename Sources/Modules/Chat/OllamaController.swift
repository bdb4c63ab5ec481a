import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import Providers

struct OllamaHealth: Codable, Sendable, ResponseEncodable {
    /// `healthy`, `offline`, or `not_configured`.
    var status: String
    var configured: Bool
    var reachable: Bool
    var version: String?
    var latencyMs: Int?
    var message: String
}

struct OllamaModelView: Codable, Sendable {
    var name: String
    /// Bytes on disk.
    var size: Int64?
    /// As Ollama writes it (`7B`, `3.2B`).
    var parameterSize: String?
    /// Parameters as a number, when `parameter_size` reads as one.
    var parameters: Int64?
    var quantization: String?
    var family: String?
}

struct OllamaModelList: Codable, Sendable, ResponseEncodable {
    var models: [OllamaModelView]
    var connected: Bool
}

struct OllamaModelInput: Codable, Sendable {
    var model: String
}

struct WarmupResult: Codable, Sendable, ResponseEncodable {
    /// `loaded` once Ollama has the model in memory.
    var status: String
    var model: String
    var loadTimeMs: Int
}

struct OllamaStatus: Codable, Sendable, ResponseEncodable {
    /// The signed-in caller's tenant's selected model (null when none, or anonymous).
    var activeModel: String?
    var loadedModels: [String]
    var reachable: Bool
}

struct ModelSelection: Codable, Sendable, ResponseEncodable {
    var success: Bool
    var selectedModel: String
    var message: String
    var availableModels: [String]
}

/// `/api/v1/ollama/*`: the configured Ollama server, its models, warm-up and the tenant's choice.
/// The server's URL is never shown. The public four are limited as the sign-in routes are.
struct OllamaController: Sendable {
    let database: Database
    let providers: ProviderRegistry
    let store = ChatStore()

    static let publicPaths: Set<String> = ["/api/v1/ollama/health", "/api/v1/ollama/models", "/api/v1/ollama/warmup", "/api/v1/ollama/status"]

    func register(in routes: RouteGroup) {
        let failures = ProviderFailure.documented
        let unconfigured = RouteResponse.error(.conflict, "No Ollama server is configured (PROVIDER_NOT_CONFIGURED)")
        routes.get("/health", "Whether Ollama answers, its version and latency", .public, use: health)
        routes.get("/models", "The models Ollama has (`/api/tags`); none, with connected false, when none is configured", .public, responses: failures, use: models)
        routes.post(
            "/warmup", "Load a model into memory (an empty generate with keep_alive)", .public, body: OllamaModelInput.self,
            responses: failures + [unconfigured, .error(.unprocessableContent, "Ollama has no such model")], use: warmup)
        routes.get(
            "/status", "The tenant's active model and what Ollama has loaded (`/api/ps`)", .public, responses: failures, use: status)
        routes.post(
            "/select-model", "Choose the tenant's Ollama model (one Ollama has)", .permission("chat:model:select"), body: OllamaModelInput.self,
            responses: failures + [unconfigured, .error(.unprocessableContent, "Ollama has no such model")], use: select)
    }

    /// The configured Ollama client; without one, 409 (a state of the platform, not an outage).
    func ollama(_ tenant: UUID?) async throws -> OllamaProvider {
        guard let provider = try await configured(tenant) else {
            throw APIError(.conflict, code: "PROVIDER_NOT_CONFIGURED", message: "No Ollama server is configured", hint: "Set OLLAMA_BASE_URL")
        }
        return provider
    }

    func configured(_ tenant: UUID?) async throws -> OllamaProvider? {
        try await providers.provider("ollama", tenant: tenant) as? OllamaProvider
    }

    func call<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { throw ProviderFailure.apiError(error, provider: "ollama") }
    }

    func health(_ request: Request, _ context: AppRequestContext) async throws -> OllamaHealth {
        guard let provider = try? await ollama(context.principal?.tenantID) else {
            return OllamaHealth(status: "not_configured", configured: false, reachable: false, message: "No Ollama server is configured")
        }
        let started = ContinuousClock.now
        do {
            let version = try await provider.version()
            return OllamaHealth(
                status: "healthy", configured: true, reachable: true, version: version, latencyMs: ChatService.milliseconds(ContinuousClock.now - started),
                message: "Ollama \(version) answers")
        } catch {
            return OllamaHealth(status: "offline", configured: true, reachable: false, message: ProviderFailure.apiError(error, provider: "ollama").message)
        }
    }

    func models(_ request: Request, _ context: AppRequestContext) async throws -> OllamaModelList {
        guard let provider = try await configured(context.principal?.tenantID) else { return OllamaModelList(models: [], connected: false) }
        let models = try await call { try await provider.localModels() }
        return OllamaModelList(models: models.map(Self.view), connected: true)
    }

    static func view(_ model: OllamaProvider.LocalModel) -> OllamaModelView {
        OllamaModelView(
            name: model.name, size: model.size, parameterSize: model.parameterSize, parameters: model.parameterSize.flatMap(parameterCount),
            quantization: model.quantization, family: model.family)
    }

    /// `7B` -> 7 000 000 000, `3.2B` -> 3 200 000 000, `270M` -> 270 000 000.
    static func parameterCount(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        guard let unit = trimmed.last, let number = Double(trimmed.dropLast()) else { return nil }
        let scale: Double
        switch unit {
        case "K": scale = 1e3
        case "M": scale = 1e6
        case "B": scale = 1e9
        case "T": scale = 1e12
        default: return nil
        }
        return Int64((number * scale).rounded())
    }

    func known(_ model: String, _ provider: OllamaProvider) async throws -> [String] {
        let names = try await call { try await provider.localModels().map(\.name) }
        guard names.contains(model) || names.contains("\(model):latest") else {
            throw APIError.validation(["model": "Ollama has no model '\(model)' (it has: \(names.prefix(20).joined(separator: ", ")))"])
        }
        return names
    }

    func warmup(_ request: Request, _ context: AppRequestContext) async throws -> WarmupResult {
        let input = try await request.decode(as: OllamaModelInput.self, context: context)
        guard (1...200).contains(input.model.count) else { throw APIError.validation(["model": "must be 1-200 characters"]) }
        let provider = try await ollama(context.principal?.tenantID)
        _ = try await known(input.model, provider)
        let started = ContinuousClock.now
        try await call { try await provider.warmUp(model: input.model) }
        return WarmupResult(status: "loaded", model: input.model, loadTimeMs: ChatService.milliseconds(ContinuousClock.now - started))
    }

    func status(_ request: Request, _ context: AppRequestContext) async throws -> OllamaStatus {
        let provider = try await configured(context.principal?.tenantID)
        var loaded: [String] = []
        if let provider { loaded = try await call { try await provider.running() } }
        var active: String?
        if let principal = context.principal {
            let tenantID = principal.tenantID
            active = try await database.withTenant(principal.tenantScope) { tx in try await store.selectedOllamaModel(tenantID: tenantID, in: tx) }
        }
        return OllamaStatus(activeModel: active, loadedModels: loaded, reachable: provider != nil)
    }

    func select(_ request: Request, _ context: AuthenticatedContext) async throws -> ModelSelection {
        let input = try await request.decode(as: OllamaModelInput.self, context: context)
        guard (1...200).contains(input.model.count) else { throw APIError.validation(["model": "must be 1-200 characters"]) }
        let provider = try await ollama(context.principal.tenantID)
        let names = try await known(input.model, provider)
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            try await store.selectOllamaModel(input.model, tenantID: tenantID, by: context.principal.userID, in: tx)
        }
        return ModelSelection(
            success: true, selectedModel: input.model, message: "Chat without a model now uses ollama/\(input.model)", availableModels: names)
    }
}
