import Foundation
import Hummingbird
import PlatformSupport

/// Wire types of the API key routes.
extension APIKeyService {
    public struct CreateRequest: Codable, Sendable {
        public var name: String
        public var scopes: [String]?
        public var expiresAt: Date?
        public var expiresInDays: Int?
    }

    public struct Key: Codable, Sendable, ResponseEncodable {
        public var id: UUID
        public var name: String
        public var prefix: String
        public var scopes: [String]
        public var expiresAt: Date?
        public var lastUsedAt: Date?
        public var revokedAt: Date?
        public var createdAt: Date
    }

    public struct CreatedKey: Codable, Sendable, ResponseEncodable {
        public var id: UUID
        public var name: String
        /// The secret. It is shown this once and cannot be retrieved again.
        public var key: String
        public var prefix: String
        public var scopes: [String]
        public var expiresAt: Date?
        public var createdAt: Date
    }

    /// The content platform's `GET /settings/api-keys` shape.
    public struct SettingsList: Codable, Sendable, ResponseEncodable {
        public struct Entry: Codable, Sendable {
            public var id: UUID
            public var name: String
            public var partial: String
            public var createdAt: Date
        }

        public var keys: [Entry]
    }
}

extension APIKeyService.CreateRequest: BodyExample {
    public static var example: JSONValue { ["name": "CI uploader", "scopes": ["files:file:upload", "files:file:read"], "expires_in_days": 90] }
}
