import Foundation
import Hummingbird
import PlatformDatabase
import PlatformSupport

/// Wire types of the /auth routes.
public enum AuthModels {
    public struct LoginRequest: Codable, Sendable {
        public var username: String?
        public var email: String?
        public var password: String
        /// Tenant code or id; the user's default tenant when absent.
        public var tenant: String?
    }

    public struct RefreshRequest: Codable, Sendable {
        public var refreshToken: String
    }

    public struct PasswordChangeRequest: Codable, Sendable {
        public var oldPassword: String
        public var newPassword: String
    }

    public struct UserSummary: Codable, Sendable {
        public var id: UUID
        public var username: String
        public var email: String?
        public var displayName: String?
        public var isPlatformAdmin: Bool
    }

    public struct TenantSummary: Codable, Sendable {
        public var id: UUID
        public var code: String
        public var name: String
    }

    public struct TokenResponse: Codable, Sendable, ResponseEncodable {
        public var accessToken: String
        public var refreshToken: String
        public var tokenType: String
        public var expiresIn: Int
        public var user: UserSummary
        public var tenant: TenantSummary
    }

    public struct Membership: Codable, Sendable {
        public var tenantId: UUID
        public var code: String
        public var name: String
        public var status: String
        public var isDefault: Bool
    }

    /// `/auth/profile` and `/auth/me`: the content platform's `user_id`/`email`/`name`/`avatar_url`
    /// plus the platform's user, tenant, memberships, roles, permissions and menus.
    public struct Profile: Codable, Sendable, ResponseEncodable {
        public var userId: UUID
        public var email: String?
        public var name: String
        public var avatarUrl: String?
        public var user: UserSummary
        public var tenant: TenantSummary
        public var memberships: [Membership]
        public var roles: [String]
        public var permissions: [String]
        public var dataScope: DataScope
        public var menus: [JSONValue]
        public var credential: String
    }

    public struct Message: Codable, Sendable, ResponseEncodable {
        public var message: String
    }

    public struct OAuthCallbackRequest: Codable, Sendable {
        public var code: String
        public var tenant: String?
    }
}

extension AuthModels.LoginRequest: BodyExample {
    public static var example: JSONValue { ["username": "admin", "password": "correct-horse-battery-staple", "tenant": "demo"] }
}

extension AuthModels.RefreshRequest: BodyExample {
    public static var example: JSONValue { ["refresh_token": "rt_2Qm8vK3pXy7..."] }
}
