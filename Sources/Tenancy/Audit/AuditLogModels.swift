import Foundation
import PlatformHTTP
import PlatformSupport

/// An audit log entry as served (and a row of `audit_logs`).
struct AuditLogEntry: Codable, Sendable {
    var id: UUID
    var tenantId: UUID?
    var actorUserId: UUID?
    var actorApiKeyId: UUID?
    var action: String
    var targetType: String?
    var targetId: String?
    var outcome: String
    var clientIp: String?
    var requestId: String?
    var before: JSONValue?
    var after: JSONValue?
    var metadata: JSONValue?
    var createdAt: Date
}

struct AuditLogQuery: QueryInput {
    var paging: PageRequest
    var actorId: UUID?
    var action: String?
    var targetType: String?
    var targetId: String?
    var from: Date?
    var to: Date?
    var tenantId: UUID?

    static let parameterDocs: [String: QueryParameterDoc] = [
        "action": .init("Exact action, or a prefix ending in '.' (e.g. 'auth.')"),
        "tenant_id": .init("Platform administrators only"),
    ]
}

extension APIError {
    static var otherTenantsAuditLog: APIError {
        APIError(.forbidden, code: "FORBIDDEN", message: "Only platform administrators can read other tenants' audit logs")
    }
}
