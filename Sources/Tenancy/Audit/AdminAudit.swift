import Foundation
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// Audit entries for administrative changes, naming the caller and their credential.
enum AdminAudit {
    static func event(
        _ action: String, _ context: AuthenticatedContext, target: String, id: UUID,
        tenantID: UUID? = nil, before: [String: JSONValue]? = nil, after: [String: JSONValue]? = nil
    ) -> AuditEvent {
        var actorKey: UUID?
        if case .apiKey(let key) = context.principal.credential { actorKey = key }
        return AuditEvent(
            action: action, tenantID: tenantID ?? context.principal.tenantID, actorUserID: context.principal.userID, actorAPIKeyID: actorKey,
            targetType: target, targetID: id.uuidString.lowercased(), clientIP: context.clientAddress?.ipAddress,
            requestID: context.requestID, before: before.map { .object($0) }, after: after.map { .object($0) })
    }
}
