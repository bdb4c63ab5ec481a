import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// Providers an AI model may name. `ollama` and `anthropic` speak their own APIs, `local` is the
/// built-in responder; the rest speak the OpenAI-compatible API at their endpoint.
enum AIModelProvider {
    static let all = ["openai", "anthropic", "ollama", "vllm", "local", "custom", "qwen", "doubao", "zhipu"]

    /// The wire format a provider speaks.
    static func kind(_ provider: String) -> String {
        switch provider {
        case "ollama", "anthropic", "local": provider
        default: "openai"
        }
    }
}

enum AIModelStatus: String, Codable, Sendable, SchemaEnum, CaseIterable {
    case active, disabled
}

struct StoredAIModel: Decodable, Sendable {
    var id: UUID
    var ownerId: UUID?
    var visibility: RowVisibility
    var visibleRoleIds: [UUID]
    var name: String
    var description: String
    var provider: String
    var endpoint: String
    var hasApiKey: Bool
    var modelName: String
    var config: JSONValue
    var status: AIModelStatus
    var createdAt: Date
    var updatedAt: Date
}

/// An AI model as answered: never its key, only whether it has one.
struct AIModelView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var name: String
    var description: String
    var provider: String
    var endpoint: String
    var modelName: String
    var hasApiKey: Bool
    var config: JSONValue
    var status: AIModelStatus
    var visibility: RowVisibility
    var visibleRoleIds: [UUID]
    var createdAt: Date
    var updatedAt: Date

    init(_ model: StoredAIModel) {
        id = model.id
        name = model.name
        description = model.description
        provider = model.provider
        endpoint = model.endpoint
        modelName = model.modelName
        hasApiKey = model.hasApiKey
        config = model.config
        status = model.status
        visibility = model.visibility
        visibleRoleIds = model.visibleRoleIds
        createdAt = model.createdAt
        updatedAt = model.updatedAt
    }
}

struct AIModelList: Codable, Sendable, ResponseEncodable {
    var items: [AIModelView]
    var total: Int
}

/// The body of `POST` (all of name, provider, model_name) and `PUT` (any field) `/ai-models`.
/// `api_key` is write-only: an empty string removes the key.
struct AIModelInput: Codable, Sendable {
    var name: String?
    var description: String?
    var provider: String?
    var endpoint: String?
    var apiKey: String?
    var modelName: String?
    var config: JSONValue?
    var status: AIModelStatus?
    var visibility: VisibilityInput?
    var visibleRoleIds: [UUID]?

    func problems(creating: Bool) -> [String: String] {
        var problems: [String: String] = [:]
        if creating || name != nil {
            let trimmed = (name ?? "").trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.count > 100 || trimmed.contains("/") { problems["name"] = "must be 1-100 characters, without '/'" }
        }
        if creating || provider != nil {
            if !AIModelProvider.all.contains(provider ?? "") { problems["provider"] = "must be one of \(AIModelProvider.all.joined(separator: ", "))" }
        }
        if creating || modelName != nil {
            if (modelName ?? "").isEmpty || (modelName ?? "").count > 200 { problems["model_name"] = "must be 1-200 characters" }
        }
        if let description, description.count > 2000 { problems["description"] = "must be at most 2000 characters" }
        if let endpoint, endpoint.count > 2000 { problems["endpoint"] = "must be at most 2000 characters" }
        if creating, let provider, AIModelProvider.all.contains(provider), !["openai", "anthropic", "ollama", "local"].contains(provider),
            (endpoint ?? "").trimmingCharacters(in: .whitespaces).isEmpty
        {
            problems["endpoint"] = "is required for provider \(provider)"
        }
        if let apiKey, apiKey.count > 10_000 { problems["api_key"] = "must be at most 10000 characters" }
        if let config {
            guard case .object(let fields) = config else { return problems.merging(["config": "must be an object"]) { first, _ in first } }
            if let window = fields["context_window"], JSONSchema.integer(window).map({ (1...10_000_000).contains($0) }) != true {
                problems["config.context_window"] = "must be an integer 1-10000000"
            }
            if let timeout = fields["timeout_seconds"], JSONSchema.integer(timeout).map({ (1...600).contains($0) }) != true {
                problems["config.timeout_seconds"] = "must be an integer 1-600"
            }
            for key in ["input_price_per_million", "output_price_per_million"] {
                if let price = fields[key], JSONSchema.number(price).map({ $0 >= 0 }) != true { problems["config.\(key)"] = "must be a number >= 0" }
            }
        }
        if let roles = visibleRoleIds, roles.count > 100 { problems["visible_role_ids"] = "at most 100 roles" }
        return problems
    }
}

struct AIModelQuery: QueryInput {
    var paging: PageRequest
    var keyword: String?
    var provider: String?
    var status: AIModelStatus?
    static let parameterDocs: [String: QueryParameterDoc] = [
        "keyword": .init("Words in the name, description or model name", maxLength: 200),
        "provider": .init("Only models of this provider", maxLength: 40),
    ]
}

struct ConnectionTest: Codable, Sendable, ResponseEncodable {
    var success: Bool
    var message: String
    var latencyMs: Int
}

extension APIError {
    static var aiModelNameTaken: APIError { .conflict("An AI model of that name exists in this tenant", code: "AI_MODEL_EXISTS") }
}
