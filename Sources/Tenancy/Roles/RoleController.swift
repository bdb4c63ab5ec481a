import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// Roles of the current tenant and their menu grants (`system:role:*`).
struct RoleController: Sendable {
    let database: Database
    let cache: RBACCache
    let store = RoleStore()
    let access = AccessStore()

    func register(in routes: RouteGroup) {
        let id: [RouteParameter] = [.uuid("id")]
        let notHeld = RouteResponse.error(.forbidden, "Granting what the caller does not hold")
        routes.get("", "List the tenant's roles", .permission("system:role:list"), query: PagingQuery.self, use: list)
        routes.post(
            "", "Create a role", .permission("system:role:create"), body: CreateRole.self, responses: [.error(.conflict, "Code taken"), notHeld],
            use: create)
        routes.get("/{id}", "One role", .permission("system:role:read"), parameters: id, use: get)
        routes.put(
            "/{id}", "Change a role", .permission("system:role:update"), parameters: id, body: UpdateRole.self,
            responses: [.error(.conflict, "A system role cannot be changed this way")], use: update)
        routes.delete(
            "/{id}", "Delete a role", .permission("system:role:delete"), parameters: id,
            responses: [.noContent("Deleted"), .error(.conflict, "System roles cannot be deleted")], use: delete)
        routes.put(
            "/{id}/menus", "Replace the menus granted to a role", .permission("system:role:grant-menus"), parameters: id, body: GrantMenus.self,
            responses: [notHeld, .error(.conflict, "super_admin's grants are fixed")], use: grant)
    }

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> RoleView {
        guard let role = try await store.find(id, tenantID: tenantID, in: tx) else { throw APIError.roleNotFound }
        return role
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<RoleView> {
        let page = try request.query(PagingQuery.self).paging
        let filter = RoleFilter(tenantID: context.principal.tenantID)
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.count(filter, in: tx)
            let items = try await store.list(filter, page: page, in: tx)
            return Page(items: items, total: total, request: page)
        }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> RoleView {
        let id = try context.pathUUID("id", or: .roleNotFound)
        return try await database.withTenant(context.tenant) { tx in try await find(id, tenantID: context.principal.tenantID, in: tx) }
    }

    /// The menus may be granted by this caller: tenant-level menus whose permissions the caller holds.
    func checkGrantable(_ menuIDs: [UUID], by principal: Principal, in tx: DatabaseTransaction) async throws {
        guard !menuIDs.isEmpty else { return }
        let menus = try await store.menuGrants(menuIDs, in: tx)
        let found = Set(menus.map(\.id))
        if let missing = menuIDs.first(where: { !found.contains($0) }) {
            throw APIError.validation(["menu_ids": "no menu \(missing.uuidString.lowercased())"])
        }
        let platformLevel = menus.filter { $0.scope == "platform" || $0.code.hasPrefix("platform") }.map(\.code)
        if !platformLevel.isEmpty { throw APIError.platformMenus(platformLevel) }
        let wanted = Set(menus.compactMap(\.permission))
        let missing = principal.isPlatformAdmin ? [] : wanted.subtracting(principal.permissions).sorted()
        if !missing.isEmpty { throw APIError.grantNotHeld(missing) }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<RoleView> {
        let body = try await request.decode(as: CreateRole.self, context: context)
        try RoleFields.validate(code: body.code, name: body.name, description: body.description)
        let tenantID = context.principal.tenantID
        let id = UUID.v7()
        let role = try await database.withTenant(context.tenant) { tx in
            if try await store.codeTaken(body.code, tenantID: tenantID, in: tx) { throw APIError.roleCodeTaken(body.code) }
            let menuIDs = Array(Set(body.menuIds ?? []))
            try await checkGrantable(menuIDs, by: context.principal, in: tx)
            try await store.insert(body, id: id, tenantID: tenantID, in: tx)
            try await store.addMenus(menuIDs, to: id, tenantID: tenantID, in: tx)
            guard let role = try await store.find(id, tenantID: tenantID, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(AdminAudit.event("role.create", context, target: "role", id: id, after: role.audit), in: tx)
            try await access.publishChange(in: tx)
            return role
        }
        cache.invalidateAll()
        return Created(role)
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> RoleView {
        let id = try context.pathUUID("id", or: .roleNotFound)
        let body = try await request.decode(as: UpdateRole.self, context: context)
        try RoleFields.validate(code: nil, name: body.name, description: body.description)
        let tenantID = context.principal.tenantID
        let role = try await database.withTenant(context.tenant) { tx in
            let before = try await find(id, tenantID: tenantID, in: tx)
            if before.code == "super_admin" && (body.status == .disabled || body.dataScope == .own) { throw APIError.superAdminFixed }
            // Widening a role's data scope is granting: only for callers who see the whole tenant.
            if body.dataScope == .all && before.dataScope != .all && context.principal.dataScope != .all { throw APIError.dataScopeNotHeld }
            try await store.update(id, tenantID: tenantID, body, in: tx)
            guard let after = try await store.find(id, tenantID: tenantID, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(
                AdminAudit.event("role.update", context, target: "role", id: id, before: before.audit, after: after.audit), in: tx)
            try await access.publishChange(in: tx)
            return after
        }
        cache.invalidateAll()
        return role
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .roleNotFound)
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            let before = try await find(id, tenantID: tenantID, in: tx)
            if before.isSystem { throw APIError.systemRoleDelete }
            try await store.delete(id, tenantID: tenantID, in: tx)
            try await AuditLog.append(AdminAudit.event("role.delete", context, target: "role", id: id, before: before.audit), in: tx)
            try await access.publishChange(in: tx)
        }
        cache.invalidateAll()
        return NoContent()
    }

    func grant(_ request: Request, _ context: AuthenticatedContext) async throws -> RoleView {
        let id = try context.pathUUID("id", or: .roleNotFound)
        let body = try await request.decode(as: GrantMenus.self, context: context)
        let tenantID = context.principal.tenantID
        let menuIDs = Array(Set(body.menuIds))
        let role = try await database.withTenant(context.tenant) { tx in
            let before = try await find(id, tenantID: tenantID, in: tx)
            if before.code == "super_admin" { throw APIError.superAdminGrants }
            try await checkGrantable(menuIDs, by: context.principal, in: tx)
            // Taking away a permission the caller does not hold is granting's mirror image: refused too.
            let removed = Set(before.permissions).subtracting(context.principal.permissions)
            if !context.principal.isPlatformAdmin && !removed.isEmpty {
                let dropped = removed.subtracting(try await store.menuPermissions(menuIDs, in: tx))
                if !dropped.isEmpty { throw APIError.revokeNotHeld(dropped.sorted()) }
            }
            try await store.removeMenus(of: id, tenantID: tenantID, in: tx)
            try await store.addMenus(menuIDs, to: id, tenantID: tenantID, in: tx)
            guard let after = try await store.find(id, tenantID: tenantID, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(
                AdminAudit.event("role.grant_menus", context, target: "role", id: id, before: before.audit, after: after.audit), in: tx)
            try await access.publishChange(in: tx)
            return after
        }
        cache.invalidateAll()
        return role
    }
}
