import Foundation
import PlatformDatabase
import PlatformSupport

/// Which entries a list shows; the page and its count share it. Nil fields do not filter.
struct AuditLogFilter: Sendable {
    var tenantID: UUID?
    var actorID: UUID?
    /// An action, or a prefix ending in '.' (`auth.` matches every `auth.*`).
    var action: String?
    var targetType: String?
    var targetID: String?
    var from: Date?
    var to: Date?

    var condition: SQL {
        let prefix = action.flatMap { $0.hasSuffix(".") ? $0 + "%" : nil }
        let exact = prefix == nil ? action : nil
        return """
            (\(tenantID)::uuid IS NULL OR tenant_id = \(tenantID)) AND (\(actorID)::uuid IS NULL OR actor_user_id = \(actorID))
              AND (\(exact)::text IS NULL OR action = \(exact)) AND (\(prefix)::text IS NULL OR action LIKE \(prefix))
              AND (\(targetType)::text IS NULL OR target_type = \(targetType)) AND (\(targetID)::text IS NULL OR target_id = \(targetID))
              AND (\(from)::timestamptz IS NULL OR created_at >= \(from)) AND (\(to)::timestamptz IS NULL OR created_at < \(to))
            """
    }
}

/// Reads of `audit_logs` (entries are written through `AuditLog.append`).
struct AuditLogStore: Sendable {
    func list(_ filter: AuditLogFilter, page: PageRequest, in tx: DatabaseTransaction) async throws -> [AuditLogEntry] {
        try await tx.rows(
            """
            SELECT id, tenant_id, actor_user_id, actor_api_key_id, action, target_type, target_id, outcome, client_ip, request_id,
                   before, after, metadata, created_at
            FROM audit_logs WHERE \(filter.condition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: AuditLogEntry.self)
    }

    func count(_ filter: AuditLogFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM audit_logs WHERE \(filter.condition)", as: Int.self) ?? 0
    }
}
