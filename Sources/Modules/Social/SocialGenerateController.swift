import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import Providers

enum CopyStyle: String, Codable, Sendable, SchemaEnum, CaseIterable {
    case professional, casual, promotional, humorous, formal, inspiring, educational
}

/// `POST /social/generate`: the content, the networks, the style; `model` names the model
/// (else the tenant's `social.model` setting, else the built-in local responder).
struct GenerateInput: Codable, Sendable {
    var content: String
    var platforms: [String]
    var style: CopyStyle?
    var model: String?
}

struct CopyDetails: Codable, Sendable {
    var length: Int
    var limit: Int
    /// The model was asked again because its first answer was too long.
    var regenerated: Bool
    /// The text was cut at a sentence boundary to fit.
    var trimmed: Bool
}

struct GenerationDetails: Codable, Sendable {
    var model: String
    var provider: String
    var style: CopyStyle
    var platforms: [String: CopyDetails]
}

/// The seed's answer: the copy under each network's name, plus how it was made.
struct GeneratedCopy: Codable, Sendable, ResponseEncodable {
    var twitter: String?
    var linkedin: String?
    var facebook: String?
    var instagram: String?
    var mastodon: String?
    var details: GenerationDetails
}

/// Per-network copy from the tenant's model through the provider registry, each checked
/// against the network's limit: asked once more when too long, then cut at a sentence boundary.
struct SocialGenerateController: Sendable {
    let database: Database
    let providers: ProviderRegistry
    let preferences: any TenantPreferences

    func register(in routes: RouteGroup) {
        routes.post(
            "/generate", "Copy for each network from the tenant's model, fitted to each network's limit", .permission("social:post:generate"),
            body: GenerateInput.self,
            responses: [
                .error(.badGateway, "The model provider failed"), .error(.serviceUnavailable, "The model provider cannot be reached or is rate limiting"),
                .error(.gatewayTimeout, "The model provider did not answer in time"),
            ], use: generate)
    }

    /// The provider and model `requested` names: `local`, `provider/model` of a configured
    /// provider, or a model the tenant registered.
    func model(_ requested: String?, scope: TenantScope) async throws -> (any ModelProvider, String) {
        var choice = requested?.trimmingCharacters(in: .whitespaces) ?? ""
        if choice.isEmpty {
            choice = try await database.withTenant(scope) { tx in try await preferences.setting("social.model", tenantID: scope.tenantID, in: tx) } ?? "local"
        }
        if choice == "local" || choice == LocalProvider.model { return (LocalProvider(), LocalProvider.model) }
        if let slash = choice.firstIndex(of: "/") {
            let name = String(choice[..<slash])
            let model = String(choice[choice.index(after: slash)...])
            if providers.names.contains(name), !model.isEmpty, let provider = try await providers.provider(name, tenant: scope.tenantID) {
                return (provider, model)
            }
        }
        let registered: (any ModelProvider)?
        do {
            registered = try await providers.provider(choice, tenant: scope.tenantID)
        } catch let error as APIError {
            throw error
        } catch {
            // A registered model that cannot be called as configured (no key store, a refused endpoint).
            throw APIError(.badGateway, code: "PROVIDER_ERROR", message: "The model '\(choice)' cannot be used: \(String(describing: error).prefix(300))")
        }
        if let registered { return (registered, choice) }
        throw APIError.validation(["model": "no model '\(choice)': name local, provider/model of a configured provider, or an AI model of the tenant"])
    }

    func generate(_ request: Request, _ context: AuthenticatedContext) async throws -> GeneratedCopy {
        let input = try await request.decode(as: GenerateInput.self, context: context)
        var problems: [String: String] = [:]
        let content = input.content.trimmingCharacters(in: .whitespacesAndNewlines)
        if !(1...50_000).contains(content.count) { problems["content"] = "must be 1-50000 characters" }
        if let model = input.model, model.count > 200 { problems["model"] = "must be at most 200 characters" }
        var networks: [SocialNetwork] = []
        do { networks = try SocialPostController.networks(input.platforms, field: "platforms") } catch let error as APIError {
            problems.merge(error.fieldProblems) { first, _ in first }
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let style = input.style ?? .professional
        let (provider, model) = try await self.model(input.model, scope: context.tenant)
        let copies: [SocialNetwork: (String, CopyDetails)]
        do {
            copies = try await withThrowingTaskGroup(of: (SocialNetwork, String, CopyDetails).self) { group in
                for network in networks {
                    group.addTask { try await self.copy(content, for: network, style: style, provider: provider, model: model) }
                }
                var all: [SocialNetwork: (String, CopyDetails)] = [:]
                for try await (network, text, details) in group { all[network] = (text, details) }
                return all
            }
        } catch let error as ProviderError {
            throw Self.apiError(error, provider: provider.name)
        } catch let error as APIError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw APIError(
                .serviceUnavailable, code: "PROVIDER_UNAVAILABLE", message: "The model provider \(provider.name) could not be reached",
                details: ["provider": .string(provider.name)])
        }
        return GeneratedCopy(
            twitter: copies[.twitter]?.0, linkedin: copies[.linkedin]?.0, facebook: copies[.facebook]?.0, instagram: copies[.instagram]?.0,
            mastodon: copies[.mastodon]?.0,
            details: GenerationDetails(
                model: model, provider: provider.name, style: style,
                platforms: Dictionary(uniqueKeysWithValues: copies.map { ($0.key.rawValue, $0.value.1) })))
    }

    func copy(_ content: String, for network: SocialNetwork, style: CopyStyle, provider: any ModelProvider, model: String) async throws -> (SocialNetwork, String, CopyDetails) {
        let limit = SocialRules.limit(network)
        let counting = network == .twitter || network == .mastodon ? " (a link counts as 23 characters)" : ""
        var messages = [
            ChatMessage(role: .system, content: "You write social media posts. Answer with the post text only: no preamble, no quotation marks, no explanation."),
            ChatMessage(
                role: .user,
                content: "Write a \(style.rawValue) \(network.displayName) post of at most \(limit) characters\(counting), with a few fitting hashtags, from this content:\n\n\(content)"),
        ]
        var text = Self.clean(try await provider.complete(ChatRequest(model: model, messages: messages, maxTokens: Self.tokens(limit))).content)
        var regenerated = false
        if SocialRules.length(text, for: network) > limit {
            regenerated = true
            messages.append(ChatMessage(role: .assistant, content: text))
            messages.append(ChatMessage(
                role: .user,
                content: "That is \(SocialRules.length(text, for: network)) characters; \(network.displayName) allows \(limit). Write it again, shorter, keeping the point."))
            text = Self.clean(try await provider.complete(ChatRequest(model: model, messages: messages, maxTokens: Self.tokens(limit))).content)
        }
        var trimmed = false
        if SocialRules.length(text, for: network) > limit {
            text = SocialRules.trim(text, to: limit, for: network)
            trimmed = true
        }
        return (network, text, CopyDetails(length: SocialRules.length(text, for: network), limit: limit, regenerated: regenerated, trimmed: trimmed))
    }

    /// Enough tokens for the limit (about four characters a token), with room.
    static func tokens(_ limit: Int) -> Int { min(max(limit / 3, 64), 2048) }

    /// The answer without surrounding whitespace or quotation marks.
    static func clean(_ text: String) -> String {
        var result = text.trimmingCharacters(in: .whitespacesAndNewlines)
        for (open, close) in [("\"", "\""), ("“", "”")] where result.count >= 2 && result.hasPrefix(open) && result.hasSuffix(close) {
            result = String(result.dropFirst().dropLast()).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return result
    }

    static func apiError(_ error: ProviderError, provider: String) -> APIError {
        let details: [String: JSONValue] = ["provider": .string(provider)]
        switch error {
        case .timeout(let message):
            return APIError(.gatewayTimeout, code: "PROVIDER_TIMEOUT", message: "The model provider \(provider) did not answer in time: \(message)", details: details)
        case .http(let status, let message) where status == 429:
            return APIError(.serviceUnavailable, code: "PROVIDER_RATE_LIMITED", message: "The model provider \(provider) is refusing requests for now: \(message)", details: details)
        case .http(let status, let message):
            return APIError(.badGateway, code: "PROVIDER_ERROR", message: "The model provider \(provider) answered \(status): \(message)", details: details)
        case .unavailable(let message):
            return APIError(.serviceUnavailable, code: "PROVIDER_UNAVAILABLE", message: "The model provider \(provider) is unavailable: \(message)", details: details)
        default:
            return APIError(.badGateway, code: "PROVIDER_ERROR", message: "The model provider \(provider) failed", details: details)
        }
    }
}
