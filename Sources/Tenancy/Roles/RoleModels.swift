import Foundation
import Hummingbird
import PlatformDatabase
import PlatformSupport

enum RoleStatus: String, Codable, Sendable, CaseIterable, SchemaEnum { case active, disabled }

/// A role as served (and as a row: `RoleStore.select`), with its granted menus and their permission codes.
struct RoleView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var code: String
    var name: String
    var description: String?
    var dataScope: DataScope
    var status: RoleStatus
    var isSystem: Bool
    var menuIds: [UUID]
    var permissions: [String]
    var createdAt: Date
    var updatedAt: Date

    /// What the audit log records of a role.
    var audit: [String: JSONValue] {
        [
            "code": .string(code), "name": .string(name), "data_scope": .string(dataScope.rawValue),
            "status": .string(status.rawValue), "permissions": .array(permissions.map { .string($0) }),
        ]
    }
}

struct CreateRole: Codable, Sendable {
    var code: String
    var name: String
    var description: String?
    var dataScope: DataScope?
    var status: RoleStatus?
    var menuIds: [UUID]?
}

struct UpdateRole: Codable, Sendable {
    var name: String?
    var description: String?
    var dataScope: DataScope?
    var status: RoleStatus?
}

struct GrantMenus: Codable, Sendable {
    var menuIds: [UUID]
}

enum RoleFields {
    static let reservedCodes: Set<String> = ["super_admin"]

    static func validate(code: String?, name: String?, description: String?) throws {
        var problems: [String: String] = [:]
        if let code {
            if code.wholeMatch(of: /[a-z][a-z0-9_-]{0,62}/) == nil { problems["code"] = "must start with a letter: lowercase letters, digits, _ or -, up to 63" }
            if reservedCodes.contains(code) { problems["code"] = "is reserved" }
        }
        if let name, name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 100 { problems["name"] = "must be 1 to 100 characters" }
        if let description, description.count > 1000 { problems["description"] = "is too long" }
        if !problems.isEmpty { throw APIError.validation(problems) }
    }
}

extension APIError {
    static var roleNotFound: APIError { .notFound("Role", code: "ROLE_NOT_FOUND") }
    static var superAdminFixed: APIError { .conflict("super_admin cannot be disabled or narrowed", code: "SYSTEM_ROLE") }
    static var superAdminGrants: APIError { .conflict("super_admin always holds every permission", code: "SYSTEM_ROLE") }
    static var systemRoleDelete: APIError { .conflict("System roles cannot be deleted", code: "SYSTEM_ROLE") }
    static var dataScopeNotHeld: APIError {
        APIError(.forbidden, code: "PERMISSION_NOT_HELD", message: "You cannot grant a data scope wider than your own")
    }

    static func roleCodeTaken(_ code: String) -> APIError { .conflict("A role with code '\(code)' exists", code: "ROLE_CODE_TAKEN") }

    static func platformMenus(_ codes: [String]) -> APIError {
        APIError(
            .forbidden, code: "PLATFORM_MENU", message: "Platform menus cannot be granted to a tenant role",
            details: ["menus": .array(codes.map { .string($0) })])
    }

    static func grantNotHeld(_ permissions: [String]) -> APIError {
        APIError(
            .forbidden, code: "PERMISSION_NOT_HELD", message: "You cannot grant permissions you do not hold",
            details: ["permissions": .array(permissions.map { .string($0) })])
    }

    static func revokeNotHeld(_ permissions: [String]) -> APIError {
        APIError(
            .forbidden, code: "PERMISSION_NOT_HELD", message: "You cannot revoke permissions you do not hold",
            details: ["permissions": .array(permissions.map { .string($0) })])
    }
}
