import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

struct InboundEvent: Codable, Sendable {
    var event: String
    var timestamp: Date?
    var data: JSONValue?
    /// The sender's event id; a repeat is acknowledged and not recorded again.
    var id: String?
}

struct Acknowledgement: Codable, Sendable, ResponseEncodable {
    var acknowledged: Bool
    var duplicate: Bool
    var eventId: String
}

struct CreateToken: Codable, Sendable {
    var name: String
}

/// An inbound token as served, and as a row (the token itself only in the answer to creation).
struct TokenView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var name: String
    var prefix: String
    var lastUsedAt: Date?
    var createdAt: Date
    /// Only in the answer to creation.
    var token: String?
}

extension APIError {
    static var tokenNotFound: APIError { .notFound("Token", code: "TOKEN_NOT_FOUND") }
    static var webhookTokenRequired: APIError {
        APIError(.unauthorized, code: "WEBHOOK_TOKEN_REQUIRED", message: "Send the tenant's inbound token in X-Webhook-Token")
    }
    static var invalidWebhookToken: APIError { APIError(.unauthorized, code: "INVALID_WEBHOOK_TOKEN", message: "The webhook token is not valid") }
    static var jsonBodyExpected: APIError { APIError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", message: "Expected a JSON body") }
    static func payloadTooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "PAYLOAD_TOO_LARGE", message: "The request body is larger than \(limit) bytes")
    }
}
