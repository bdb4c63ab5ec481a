import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// `GET /api/v1/permissions`: the permission catalog.
struct PermissionController: Sendable {
    let database: Database
    let store = PermissionStore()

    func register(in routes: RouteGroup) {
        routes.get("", "The permission catalog", .permission("system:permission:list"), query: PermissionListQuery.self, use: list)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<PermissionView> {
        let query = try request.query(PermissionListQuery.self)
        let filter = PermissionFilter(scope: query.scope)
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.count(filter, in: tx)
            let items = try await store.list(filter, page: query.paging, in: tx)
            return Page(items: items, total: total, request: query.paging)
        }
    }
}
