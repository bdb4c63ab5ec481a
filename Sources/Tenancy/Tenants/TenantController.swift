import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// Tenants, managed by platform administrators (`platform:tenant:*`), in the platform scope.
struct TenantController: Sendable {
    let database: Database
    let store = TenantStore()

    func register(in routes: RouteGroup) {
        let id: [RouteParameter] = [.uuid("id")]
        routes.get("", "List tenants", .permission("platform:tenant:list"), query: TenantListQuery.self, use: list)
        routes.post(
            "", "Create a tenant with its default roles", .permission("platform:tenant:create"), body: CreateTenant.self,
            responses: [.error(.conflict, "Code taken")], use: create)
        routes.get("/{id}", "One tenant", .permission("platform:tenant:read"), parameters: id, use: get)
        routes.put(
            "/{id}", "Change a tenant; suspending it stops its members and keys at once", .permission("platform:tenant:update"), parameters: id,
            body: UpdateTenant.self, use: update)
        routes.delete(
            "/{id}", "Delete a tenant (soft)", .permission("platform:tenant:delete"), parameters: id,
            responses: [.noContent("Deleted"), .error(.conflict, "The caller's own tenant")], use: delete)
    }

    func find(_ id: UUID, in tx: DatabaseTransaction) async throws -> TenantView {
        guard let tenant = try await store.find(id, in: tx) else { throw APIError.tenantNotFound }
        return tenant
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<TenantView> {
        let query = try request.query(TenantListQuery.self)
        let filter = TenantFilter(status: query.status, search: query.search)
        return try await database.withPlatformScope { tx in
            let total = try await store.count(filter, in: tx)
            let items = try await store.list(filter, page: query.paging, in: tx)
            return Page(items: items, total: total, request: query.paging)
        }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<TenantView> {
        let body = try await request.decode(as: CreateTenant.self, context: context)
        try TenantFields.validate(code: body.code, name: body.name, plan: body.plan)
        let settings = String(decoding: try JSONEncoder().encode(body.settings ?? [:]), as: UTF8.self)
        let id = UUID.v7()
        let tenant = try await database.withPlatformScope { tx in
            if try await store.codeTaken(body.code, in: tx) { throw APIError.tenantCodeTaken(body.code) }
            try await store.insert(id: id, code: body.code, name: body.name, plan: body.plan ?? "standard", settings: settings, in: tx)
            guard let tenant = try await store.find(id, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(
                AdminAudit.event(
                    "tenant.create", context, target: "tenant", id: id, tenantID: id,
                    after: ["code": .string(tenant.code), "name": .string(tenant.name), "plan": .string(tenant.plan)]),
                in: tx)
            return tenant
        }
        return Created(tenant)
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> TenantView {
        let id = try context.pathUUID("id", or: .tenantNotFound)
        return try await database.withPlatformScope { tx in try await find(id, in: tx) }
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> TenantView {
        let id = try context.pathUUID("id", or: .tenantNotFound)
        let body = try await request.decode(as: UpdateTenant.self, context: context)
        try TenantFields.validate(code: nil, name: body.name, plan: body.plan)
        let settings = try body.settings.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        return try await database.withPlatformScope { tx in
            let before = try await find(id, in: tx)
            try await store.update(id, name: body.name, status: body.status, plan: body.plan, settings: settings, in: tx)
            guard let after = try await store.find(id, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(
                AdminAudit.event("tenant.update", context, target: "tenant", id: id, tenantID: id, before: before.audit, after: after.audit), in: tx)
            return after
        }
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .tenantNotFound)
        if id == context.principal.tenantID { throw APIError.ownTenant }
        try await database.withPlatformScope { tx in
            let before = try await find(id, in: tx)
            try await store.softDelete(id, in: tx)
            try await AuditLog.append(
                AdminAudit.event("tenant.delete", context, target: "tenant", id: id, tenantID: id, before: ["code": .string(before.code)]), in: tx)
        }
        return NoContent()
    }
}
