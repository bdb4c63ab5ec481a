import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// The menu tree (platform-level: one tree for every tenant); tenants read it, platform
/// administrators change it.
struct MenuController: Sendable {
    let database: Database
    let cache: RBACCache
    let store = MenuStore()
    let permissions = PermissionStore()
    let access = AccessStore()

    func register(in routes: RouteGroup) {
        let id: [RouteParameter] = [.uuid("id")]
        routes.get("", "List menus (flat)", .permission("system:menu:list"), query: MenuListQuery.self, use: list)
        routes.get("/tree", "The whole menu tree", .permission("system:menu:list"), responses: [MenuNodeSchema.treeResponse], use: tree)
        routes.get("/{id}", "One menu", .permission("system:menu:list"), parameters: id, use: get)
        routes.post(
            "", "Create a menu (platform administrators)", .permission("platform:menu:create"), body: CreateMenu.self,
            responses: [.error(.conflict, "Code taken")], use: create)
        routes.put("/{id}", "Change a menu (platform administrators)", .permission("platform:menu:update"), parameters: id, body: UpdateMenu.self, use: update)
        routes.delete(
            "/{id}", "Delete a menu without children (platform administrators)", .permission("platform:menu:delete"), parameters: id,
            responses: [.noContent("Deleted"), .error(.conflict, "The menu has children")], use: delete)
    }

    func find(_ id: UUID, in tx: DatabaseTransaction) async throws -> MenuView {
        guard let menu = try await store.find(id, in: tx) else { throw APIError.menuNotFound }
        return menu
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<MenuView> {
        let query = try request.query(MenuListQuery.self)
        let filter = MenuFilter(type: query.type)
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.count(filter, in: tx)
            let items = try await store.list(filter, page: query.paging, in: tx)
            return Page(items: items, total: total, request: query.paging)
        }
    }

    func tree(_ request: Request, _ context: AuthenticatedContext) async throws -> MenuTree {
        let menus = try await database.withTenant(context.tenant) { tx in try await store.all(in: tx) }
        return MenuTree(items: MenuTreeNode.forest(menus).map(\.json))
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> MenuView {
        let id = try context.pathUUID("id", or: .menuNotFound)
        return try await database.withTenant(context.tenant) { tx in try await find(id, in: tx) }
    }

    /// The permission is in the catalog, the parent exists, and the parent is not the menu or below it.
    func checkReferences(parent: UUID?, permission: String?, selfID: UUID?, in tx: DatabaseTransaction) async throws {
        if let permission, try await !permissions.exists(permission, in: tx) {
            throw APIError.validation(["permission": "is not in the permission catalog"])
        }
        guard let parent else { return }
        guard try await store.find(parent, in: tx) != nil else { throw APIError.validation(["parent_id": "no such menu"]) }
        guard let selfID else { return }
        // Walk up from the new parent: meeting the menu itself would make a cycle.
        var current: UUID? = parent
        var steps = 0
        while let node = current, steps < 64 {
            if node == selfID { throw APIError.validation(["parent_id": "would make the menu its own ancestor"]) }
            current = try await store.find(node, in: tx)?.parentId
            steps += 1
        }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<MenuView> {
        let body = try await request.decode(as: CreateMenu.self, context: context)
        try MenuFields.validate(code: body.code, name: body.name, type: body.type, permission: .some(body.permission), path: body.path, sort: body.sort)
        let id = UUID.v7()
        let menu = try await database.withPlatformScope { tx in
            try await checkReferences(parent: body.parentId, permission: body.permission, selfID: nil, in: tx)
            try await store.insert(body, id: id, in: tx)
            guard let menu = try await store.find(id, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(AdminAudit.event("menu.create", context, target: "menu", id: id, after: menu.jsonObject), in: tx)
            try await access.publishChange(in: tx)
            return menu
        }
        cache.invalidateAll()
        return Created(menu)
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> MenuView {
        let id = try context.pathUUID("id", or: .menuNotFound)
        let body = try await request.decode(as: UpdateMenu.self, context: context)
        try MenuFields.validate(code: nil, name: body.name, type: nil, permission: nil, path: body.path, sort: body.sort)
        let menu = try await database.withPlatformScope { tx in
            let before = try await find(id, in: tx)
            try await checkReferences(parent: body.parentId, permission: body.permission, selfID: id, in: tx)
            try await store.update(id, body, in: tx)
            guard let after = try await store.find(id, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(
                AdminAudit.event("menu.update", context, target: "menu", id: id, before: before.jsonObject, after: after.jsonObject), in: tx)
            try await access.publishChange(in: tx)
            return after
        }
        cache.invalidateAll()
        return menu
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .menuNotFound)
        try await database.withPlatformScope { tx in
            let before = try await find(id, in: tx)
            if try await store.hasChildren(id, in: tx) { throw APIError.menuHasChildren }
            try await store.delete(id, in: tx)
            try await AuditLog.append(AdminAudit.event("menu.delete", context, target: "menu", id: id, before: before.jsonObject), in: tx)
            try await access.publishChange(in: tx)
        }
        cache.invalidateAll()
        return NoContent()
    }
}
