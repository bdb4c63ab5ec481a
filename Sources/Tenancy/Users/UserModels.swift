import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

/// A membership's or an account's state.
enum UserStatus: String, Codable, Sendable, CaseIterable, SchemaEnum { case active, disabled }

struct RoleRef: Codable, Sendable {
    var id: UUID
    var code: String
    var name: String
}

/// A member as served to the tenant (and as a row: `UserStore.select`).
struct UserView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var username: String
    var email: String?
    var displayName: String?
    /// The membership's status in this tenant.
    var status: UserStatus
    /// The person's account, across tenants.
    var accountStatus: UserStatus
    var isPlatformAdmin: Bool
    var roles: [RoleRef]
    var lastLoginAt: Date?
    var createdAt: Date
}

struct CreateUser: Codable, Sendable {
    var username: String
    var email: String?
    var displayName: String?
    var password: String?
    var roleIds: [UUID]?

    func problems() -> [String: String] {
        var problems = UserDetails.problems(email: email, displayName: displayName)
        if username.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9._@-]{0,99}/) == nil { problems["username"] = "must be 1-100 letters, digits or . _ @ -" }
        return problems
    }
}

struct UpdateUser: Codable, Sendable {
    var displayName: String?
    var email: String?
}

enum UserDetails {
    static func problems(email: String?, displayName: String?) -> [String: String] {
        var problems: [String: String] = [:]
        if let email, email.wholeMatch(of: /[^@\s]{1,200}@[^@\s]{1,200}\.[^@\s]{1,60}/) == nil { problems["email"] = "is not an e-mail address" }
        if let displayName, displayName.count > 200 { problems["display_name"] = "is too long" }
        return problems
    }
}

struct AssignRoles: Codable, Sendable {
    var roleIds: [UUID]
}

struct SetStatus: Codable, Sendable {
    var status: UserStatus
}

struct ResetPassword: Codable, Sendable {
    var newPassword: String
}

struct Message: Codable, Sendable, ResponseEncodable {
    var message: String
}

struct UserListQuery: QueryInput {
    var paging: PageRequest
    var status: UserStatus?
    var search: String?
}

extension APIError {
    static var userNotFound: APIError { .notFound("User", code: "USER_NOT_FOUND") }
    static var userEmailExists: APIError { .conflict("A user with this e-mail exists; add them without a password", code: "USER_EXISTS") }
    static var alreadyMember: APIError { .conflict("The user is already a member of this tenant", code: "ALREADY_MEMBER") }
    static var sharedUserDetails: APIError {
        .conflict("The user also belongs to other tenants; only they can change their details", code: "SHARED_USER")
    }
    static var sharedUserPassword: APIError {
        .conflict("The user also belongs to other tenants; only a platform administrator can reset their password", code: "SHARED_USER")
    }
    static var cannotRemoveSelf: APIError { .conflict("You cannot remove yourself", code: "SELF") }
    static var cannotDisableSelf: APIError { .conflict("You cannot disable yourself", code: "SELF") }

    static func usernameTaken(_ username: String) -> APIError { .conflict("The username '\(username)' is taken", code: "USERNAME_TAKEN") }

    /// Removing or disabling a platform administrator (`action`: "remove", "disable").
    static func platformAdminOnly(_ action: String) -> APIError {
        APIError(.forbidden, code: "PLATFORM_ADMIN", message: "Only platform administrators can \(action) a platform administrator")
    }

    static func rolesNotHeld(_ permissions: [String]) -> APIError {
        APIError(
            .forbidden, code: "PERMISSION_NOT_HELD", message: "You cannot give roles with permissions you do not hold",
            details: ["permissions": .array(permissions.map { .string($0) })])
    }
}
