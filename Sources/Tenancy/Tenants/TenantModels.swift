import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

enum TenantStatus: String, Codable, Sendable, CaseIterable, SchemaEnum { case active, suspended }

/// A tenant as served (and as a row: `TenantStore.columns`).
struct TenantView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var code: String
    var name: String
    var status: TenantStatus
    var plan: String
    var settings: [String: JSONValue]
    var createdAt: Date
    var updatedAt: Date

    var audit: [String: JSONValue] { ["name": .string(name), "status": .string(status.rawValue), "plan": .string(plan)] }
}

struct CreateTenant: Codable, Sendable {
    var code: String
    var name: String
    var plan: String?
    var settings: [String: JSONValue]?
}

struct UpdateTenant: Codable, Sendable {
    var name: String?
    var status: TenantStatus?
    var plan: String?
    var settings: [String: JSONValue]?
}

struct TenantListQuery: QueryInput {
    var paging: PageRequest
    var status: TenantStatus?
    var search: String?
}

enum TenantFields {
    static func validate(code: String?, name: String?, plan: String?) throws {
        var problems: [String: String] = [:]
        if let code, code.wholeMatch(of: /[a-z0-9][a-z0-9-]{1,62}/) == nil { problems["code"] = "must be 2-63 lowercase letters, digits or dashes" }
        if let name, name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 200 { problems["name"] = "must be 1 to 200 characters" }
        if let plan, plan.wholeMatch(of: /[a-z0-9_-]{1,40}/) == nil { problems["plan"] = "must be 1-40 lowercase letters, digits, _ or -" }
        if !problems.isEmpty { throw APIError.validation(problems) }
    }
}

extension APIError {
    static var tenantNotFound: APIError { .notFound("Tenant", code: "TENANT_NOT_FOUND") }
    static var ownTenant: APIError { .conflict("You cannot delete the tenant you are signed in to", code: "OWN_TENANT") }

    static func tenantCodeTaken(_ code: String) -> APIError { .conflict("A tenant with code '\(code)' exists", code: "TENANT_CODE_TAKEN") }
}
