import Foundation
import Hummingbird
import PlatformSupport

struct SecretInput: Codable, Sendable {
    var value: String
}

/// A stored secret's name and dates (never its value), as served and as a row.
struct SecretView: Codable, Sendable, ResponseEncodable {
    var name: String
    var createdAt: Date
    var updatedAt: Date
}

struct SecretList: Codable, Sendable, ResponseEncodable {
    var secrets: [SecretView]
}

extension APIError {
    static var secretNotFound: APIError { .notFound("Secret", code: "SECRET_NOT_FOUND") }
    static var secretsNotConfigured: APIError {
        APIError(.serviceUnavailable, code: "SECRETS_NOT_CONFIGURED", message: "Set SECRETS_KEY (or JWT_SECRET) to store secrets")
    }
}
