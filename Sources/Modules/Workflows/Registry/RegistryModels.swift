import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

/// A registered n8n workflow as served (and as `RegistryStore.columns` reads it): the short-video
/// seed's fields, plus whether secrets are set (their values never leave the server).
struct RegistryEntryView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var name: String
    var description: String?
    var workflowType: String
    var n8nWebhookUrl: String?
    var isActive: Bool
    var authHeaderName: String?
    var hasAuthHeader: Bool
    var callbackHeaderName: String
    var hasCallbackSecret: Bool
    var timeoutSeconds: Int
    var createdAt: Date
    var updatedAt: Date
}

/// `WorkflowRegistryCreate` / `WorkflowRegistryUpdate`: on update every field is optional and a
/// missing one keeps what is stored; an empty `auth_header_value` or `callback_secret` removes it.
struct RegistryEntryInput: Codable, Sendable {
    var name: String?
    var description: String?
    var workflowType: String?
    var n8nWebhookUrl: String?
    var isActive: Bool?
    var authHeaderName: String?
    var authHeaderValue: String?
    var callbackHeaderName: String?
    var callbackSecret: String?
    var timeoutSeconds: Int?
}

/// A checked input; sealed values are sealed by the controller.
struct RegistryFields: Sendable {
    var name: String?
    var description: String?
    var workflowType: String?
    var n8nWebhookUrl: String?
    var isActive: Bool?
    var authHeaderName: String?
    var callbackHeaderName: String?
    var timeoutSeconds: Int?
}

struct DeletedRegistryEntry: Codable, Sendable, ResponseEncodable {
    var message: String
    var id: UUID
}

extension APIError {
    static var registryEntryNotFound: APIError { .notFound("Workflow registry entry", code: "WORKFLOW_REGISTRY_NOT_FOUND") }
    static var registrySecretsNotConfigured: APIError {
        APIError(.serviceUnavailable, code: "SECRETS_NOT_CONFIGURED", message: "No secrets key is configured, so auth headers cannot be stored", hint: "Set SECRETS_KEY")
    }
}
