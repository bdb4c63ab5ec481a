import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// `GET /api/v1/audit-logs`: tenant administrators read their tenant's entries; platform
/// administrators read any tenant's (`tenant_id`), or all of them.
struct AuditLogController: Sendable {
    let database: Database
    let store = AuditLogStore()

    func register(in routes: RouteGroup) {
        routes.get("", "Audit log entries, newest first", .permission("system:audit:list"), query: AuditLogQuery.self, use: list)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<AuditLogEntry> {
        let query = try request.query(AuditLogQuery.self)
        let principal = context.principal
        if query.tenantId != nil && query.tenantId != principal.tenantID && !principal.isPlatformAdmin { throw APIError.otherTenantsAuditLog }
        let filter = AuditLogFilter(
            tenantID: principal.isPlatformAdmin ? query.tenantId : principal.tenantID, actorID: query.actorId, action: query.action,
            targetType: query.targetType, targetID: query.targetId, from: query.from, to: query.to)
        let page = query.paging
        let store = self.store
        // Tenant administrators read through their tenant scope; platform administrators through the platform scope.
        let run: @Sendable (DatabaseTransaction) async throws -> Page<AuditLogEntry> = { tx in
            let total = try await store.count(filter, in: tx)
            let items = try await store.list(filter, page: page, in: tx)
            return Page(items: items, total: total, request: page)
        }
        return principal.isPlatformAdmin
            ? try await database.withPlatformScope(run)
            : try await database.withTenant(context.tenant, run)
    }
}
