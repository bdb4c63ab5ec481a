import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// The menu tree (platform-level: one tree for every tenant) and the permission catalog.
enum MenuRepository {
    /// Menus are read straight into their wire form.
    typealias Menu = MenuAdmin.MenuView

    static let columns = "id, parent_id, code, name, type, path, icon, component, permission, sort, visible, status, created_at, updated_at"
    typealias Row = (UUID, UUID?, String, String, String, String?, String?, String?, String?, Int, Bool, String, Date, Date)

    static func decode(_ row: Row) -> Menu {
        Menu(
            id: row.0, parentId: row.1, code: row.2, name: row.3, type: MenuAdmin.MenuType(rawValue: row.4) ?? .menu, path: row.5,
            icon: row.6, component: row.7, permission: row.8, sort: row.9, visible: row.10,
            status: MenuAdmin.Status(rawValue: row.11) ?? .active, createdAt: row.12, updatedAt: row.13)
    }

    static func all(in tx: DatabaseTransaction) async throws -> [Menu] {
        try await tx.all("SELECT \(unescaped: columns) FROM menus ORDER BY sort, code", as: Row.self).map(decode)
    }

    static func find(_ id: UUID, in tx: DatabaseTransaction) async throws -> Menu? {
        try await tx.first("SELECT \(unescaped: columns) FROM menus WHERE id = \(id)", as: Row.self).map(decode)
    }

    struct Node: Sendable {
        var menu: Menu
        var children: [Node]

        var json: JSONValue {
            var object = menu.jsonObject
            object["children"] = .array(children.map(\.json))
            return .object(object)
        }
    }

    /// Builds the forest; nodes whose parent is absent become roots.
    static func tree(_ menus: [Menu]) -> [Node] {
        let ids = Set(menus.map(\.id))
        let children = Dictionary(grouping: menus.filter { $0.parentId.map(ids.contains) ?? false }, by: { $0.parentId })
        func build(_ menu: Menu, depth: Int) -> Node {
            let kids = depth > 32 ? [] : (children[menu.id] ?? []).sorted { ($0.sort, $0.code) < ($1.sort, $1.code) }
            return Node(menu: menu, children: kids.map { build($0, depth: depth + 1) })
        }
        return menus.filter { $0.parentId.map { !ids.contains($0) } ?? true }
            .sorted { ($0.sort, $0.code) < ($1.sort, $1.code) }
            .map { build($0, depth: 0) }
    }
}

struct MenuAdmin: Sendable {
    let database: Database
    let cache: RBACCache

    enum MenuType: String, Codable, Sendable, CaseIterable, SchemaEnum { case directory, menu, button }
    enum Status: String, Codable, Sendable, CaseIterable, SchemaEnum { case active, disabled }

    struct MenuView: Codable, Sendable, ResponseEncodable {
        var id: UUID
        var parentId: UUID?
        var code: String
        var name: String
        var type: MenuType
        var path: String?
        var icon: String?
        var component: String?
        var permission: String?
        var sort: Int
        var visible: Bool
        var status: Status
        var createdAt: Date
        var updatedAt: Date

        var jsonObject: [String: JSONValue] {
            guard let data = try? PlatformJSON.makeEncoder().encode(self),
                case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: data)
            else { return [:] }
            return object
        }
    }

    /// A node of `GET /menus/tree`.
    struct MenuNode: Codable, Sendable, SchemaDescribing {
        static var jsonSchema: JSONValue {
            ["type": "object", "required": ["id", "code", "name", "type", "children"],
             "properties": ["id": ["type": "string", "format": "uuid"], "code": ["type": "string"], "name": ["type": "string"],
                            "type": ["type": "string", "enum": ["directory", "menu", "button"]], "children": ["type": "array", "items": ["type": "object"]]]]
        }
    }

    struct MenuTree: Codable, Sendable, ResponseEncodable {
        var items: [JSONValue]
    }

    struct CreateMenu: Codable, Sendable {
        var parentId: UUID?
        var code: String
        var name: String
        var type: MenuType
        var path: String?
        var icon: String?
        var component: String?
        var permission: String?
        var sort: Int?
        var visible: Bool?
        var status: Status?
    }

    struct UpdateMenu: Codable, Sendable {
        var parentId: UUID?
        var name: String?
        var path: String?
        var icon: String?
        var component: String?
        var permission: String?
        var sort: Int?
        var visible: Bool?
        var status: Status?
    }

    struct PermissionView: Codable, Sendable {
        var code: String
        var name: String
        var description: String?
        var scope: String
    }

    func register(in registry: RouteRegistry) {
        let idParameter = RouteParameter.path("id", ["type": "string", "format": "uuid"])
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/menus", summary: "List menus (flat)", tag: "menus", access: .permission("system:menu:list"),
                parameters: RouteParameter.paging + [.query("type", ["type": "string", "enum": ["directory", "menu", "button"]])],
                responses: [.json(.ok, Page<MenuView>.self)])
        ) { request, context in try await self.list(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/menus/tree", summary: "The whole menu tree", tag: "menus", access: .permission("system:menu:list"),
                responses: [RouteResponse(.ok, "Tree", schema: .schema(["type": "object", "properties": ["items": ["type": "array", "items": MenuNode.jsonSchema]]]))])
        ) { _, context in try await self.tree(context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/menus/{id}", summary: "One menu", tag: "menus", access: .permission("system:menu:list"),
                parameters: [idParameter], responses: [.json(.ok, MenuView.self)])
        ) { _, context in try await self.get(context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/menus", summary: "Create a menu (platform administrators)", tag: "menus",
                access: .permission("platform:menu:create"), body: .type(CreateMenu.self),
                responses: [.json(.created, MenuView.self), .error(.conflict, "Code taken")])
        ) { request, context in try await self.create(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .put, "/api/v1/menus/{id}", summary: "Change a menu (platform administrators)", tag: "menus",
                access: .permission("platform:menu:update"), parameters: [idParameter], body: .type(UpdateMenu.self),
                responses: [.json(.ok, MenuView.self)])
        ) { request, context in try await self.update(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .delete, "/api/v1/menus/{id}", summary: "Delete a menu without children (platform administrators)", tag: "menus",
                access: .permission("platform:menu:delete"), parameters: [idParameter],
                responses: [.noContent("Deleted"), .error(.conflict, "The menu has children")])
        ) { _, context in try await self.delete(context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/permissions", summary: "The permission catalog", tag: "permissions",
                access: .permission("system:permission:list"),
                parameters: RouteParameter.paging + [.query("scope", ["type": "string", "enum": ["tenant", "platform"]])],
                responses: [.json(.ok, Page<PermissionView>.self)])
        ) { request, context in try await self.permissions(request, context) }
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<MenuView> {
        let page = try PageRequest(request: request)
        let type = request.uri.queryParameters["type"].map(String.init)
        if let type, MenuType(rawValue: type) == nil { throw APIError.validation(["type": "must be directory, menu or button"]) }
        return try await database.withTenant(context.tenant) { tx in
            let total = try await tx.first("SELECT count(*)::int FROM menus WHERE (\(type)::text IS NULL OR type = \(type))", as: Int.self) ?? 0
            let rows = try await tx.all(
                """
                SELECT \(unescaped: MenuRepository.columns) FROM menus WHERE (\(type)::text IS NULL OR type = \(type))
                ORDER BY sort, code LIMIT \(page.limit) OFFSET \(page.offset)
                """, as: MenuRepository.Row.self)
            return Page(items: rows.map(MenuRepository.decode), total: total, request: page)
        }
    }

    func tree(_ context: AuthenticatedContext) async throws -> MenuTree {
        let menus = try await database.withTenant(context.tenant) { tx in try await MenuRepository.all(in: tx) }
        return MenuTree(items: MenuRepository.tree(menus).map(\.json))
    }

    static func id(_ context: AuthenticatedContext, _ what: String, code: String) throws -> UUID {
        try context.pathUUID(notFound: what, code: code)
    }

    func get(_ context: AuthenticatedContext) async throws -> MenuView {
        let id = try Self.id(context, "Menu", code: "MENU_NOT_FOUND")
        guard let menu = try await database.withTenant(context.tenant, { tx in try await MenuRepository.find(id, in: tx) }) else {
            throw APIError.notFound("Menu", code: "MENU_NOT_FOUND")
        }
        return menu
    }

    func validate(code: String?, name: String?, type: MenuType?, permission: String??, path: String?, sort: Int? = nil) throws {
        var problems: [String: String] = [:]
        if let sort, !(-1_000_000...1_000_000).contains(sort) { problems["sort"] = "must be between -1000000 and 1000000" }
        if let code, code.wholeMatch(of: /[a-z0-9][a-z0-9:._-]{0,99}/) == nil { problems["code"] = "must be lowercase letters, digits and : . _ -, up to 100" }
        if let name, name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 100 { problems["name"] = "must be 1 to 100 characters" }
        if type == .button, case .some(.none) = permission { problems["permission"] = "is required for a button" }
        if let path, path.count > 300 { problems["path"] = "is too long" }
        if !problems.isEmpty { throw APIError.validation(problems) }
    }

    func checkReferences(parent: UUID?, permission: String?, selfID: UUID?, in tx: DatabaseTransaction) async throws {
        if let permission, try await tx.first("SELECT 1 FROM permissions WHERE code = \(permission)", as: Int.self) == nil {
            throw APIError.validation(["permission": "is not in the permission catalog"])
        }
        if let parent {
            guard try await MenuRepository.find(parent, in: tx) != nil else { throw APIError.validation(["parent_id": "no such menu"]) }
            if let selfID {
                // Walk up from the new parent: meeting the menu itself would make a cycle.
                var current: UUID? = parent
                var steps = 0
                while let node = current, steps < 64 {
                    if node == selfID { throw APIError.validation(["parent_id": "would make the menu its own ancestor"]) }
                    current = try await MenuRepository.find(node, in: tx)?.parentId
                    steps += 1
                }
            }
        }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> EditedResponse<MenuView> {
        let body = try await request.decode(as: CreateMenu.self, context: context)
        try validate(code: body.code, name: body.name, type: body.type, permission: .some(body.permission), path: body.path, sort: body.sort)
        let id = UUID.v7()
        let menu = try await database.withPlatformScope { tx in
            try await checkReferences(parent: body.parentId, permission: body.permission, selfID: nil, in: tx)
            try await tx.query(
                """
                INSERT INTO menus (id, parent_id, code, name, type, path, icon, component, permission, sort, visible, status)
                VALUES (\(id), \(body.parentId), \(body.code), \(body.name), \(body.type.rawValue), \(body.path), \(body.icon),
                        \(body.component), \(body.permission), \(body.sort ?? 0), \(body.visible ?? true), \((body.status ?? .active).rawValue))
                """)
            guard let menu = try await MenuRepository.find(id, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(AdminAudit.event("menu.create", context, target: "menu", id: id, after: menu.jsonObject), in: tx)
            try await RBACChange.publish(in: tx)
            return menu
        }
        cache.invalidateAll()
        return EditedResponse(status: .created, response: menu)
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> MenuView {
        let id = try Self.id(context, "Menu", code: "MENU_NOT_FOUND")
        let body = try await request.decode(as: UpdateMenu.self, context: context)
        try validate(code: nil, name: body.name, type: nil, permission: nil, path: body.path, sort: body.sort)
        let menu = try await database.withPlatformScope { tx in
            guard let before = try await MenuRepository.find(id, in: tx) else { throw APIError.notFound("Menu", code: "MENU_NOT_FOUND") }
            try await checkReferences(parent: body.parentId, permission: body.permission, selfID: id, in: tx)
            try await tx.query(
                """
                UPDATE menus SET parent_id = COALESCE(\(body.parentId), parent_id), name = COALESCE(\(body.name), name),
                    path = COALESCE(\(body.path), path), icon = COALESCE(\(body.icon), icon),
                    component = COALESCE(\(body.component), component), permission = COALESCE(\(body.permission), permission),
                    sort = COALESCE(\(body.sort), sort), visible = COALESCE(\(body.visible), visible),
                    status = COALESCE(\(body.status?.rawValue), status), updated_at = now()
                WHERE id = \(id)
                """)
            guard let after = try await MenuRepository.find(id, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(
                AdminAudit.event("menu.update", context, target: "menu", id: id, before: before.jsonObject, after: after.jsonObject), in: tx)
            try await RBACChange.publish(in: tx)
            return after
        }
        cache.invalidateAll()
        return menu
    }

    func delete(_ context: AuthenticatedContext) async throws -> Response {
        let id = try Self.id(context, "Menu", code: "MENU_NOT_FOUND")
        try await database.withPlatformScope { tx in
            guard let before = try await MenuRepository.find(id, in: tx) else { throw APIError.notFound("Menu", code: "MENU_NOT_FOUND") }
            if try await tx.first("SELECT 1 FROM menus WHERE parent_id = \(id) LIMIT 1", as: Int.self) != nil {
                throw APIError.conflict("The menu has children; move or delete them first", code: "MENU_HAS_CHILDREN")
            }
            try await tx.query("DELETE FROM menus WHERE id = \(id)")
            try await AuditLog.append(AdminAudit.event("menu.delete", context, target: "menu", id: id, before: before.jsonObject), in: tx)
            try await RBACChange.publish(in: tx)
        }
        cache.invalidateAll()
        return Response(status: .noContent)
    }

    func permissions(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<PermissionView> {
        let page = try PageRequest(request: request)
        let scope = request.uri.queryParameters["scope"].map(String.init)
        if let scope, !["tenant", "platform"].contains(scope) { throw APIError.validation(["scope": "must be tenant or platform"]) }
        return try await database.withTenant(context.tenant) { tx in
            let total = try await tx.first("SELECT count(*)::int FROM permissions WHERE (\(scope)::text IS NULL OR scope = \(scope))", as: Int.self) ?? 0
            let rows = try await tx.all(
                """
                SELECT code, name, description, scope FROM permissions WHERE (\(scope)::text IS NULL OR scope = \(scope))
                ORDER BY code LIMIT \(page.limit) OFFSET \(page.offset)
                """, as: (String, String, String?, String).self)
            return Page(items: rows.map { PermissionView(code: $0.0, name: $0.1, description: $0.2, scope: $0.3) }, total: total, request: page)
        }
    }
}

/// Audit entries for administrative changes.
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
