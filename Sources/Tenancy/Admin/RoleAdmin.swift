import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// Roles of the current tenant and their menu grants (`system:role:*`).
struct RoleAdmin: Sendable {
    let database: Database
    let cache: RBACCache

    enum Status: String, Codable, Sendable, CaseIterable, SchemaEnum { case active, disabled }

    struct RoleView: Codable, Sendable, ResponseEncodable {
        var id: UUID
        var code: String
        var name: String
        var description: String?
        var dataScope: DataScope
        var status: Status
        var isSystem: Bool
        var menuIds: [UUID]
        var permissions: [String]
        var createdAt: Date
        var updatedAt: Date
    }

    struct CreateRole: Codable, Sendable {
        var code: String
        var name: String
        var description: String?
        var dataScope: DataScope?
        var status: Status?
        var menuIds: [UUID]?
    }

    struct UpdateRole: Codable, Sendable {
        var name: String?
        var description: String?
        var dataScope: DataScope?
        var status: Status?
    }

    struct GrantMenus: Codable, Sendable {
        var menuIds: [UUID]
    }

    static let reservedCodes: Set<String> = ["super_admin"]

    func register(in registry: RouteRegistry) {
        let idParameter = RouteParameter.path("id", ["type": "string", "format": "uuid"])
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/roles", summary: "List the tenant's roles", tag: "roles", access: .permission("system:role:list"),
                parameters: RouteParameter.paging, responses: [.json(.ok, Page<RoleView>.self)])
        ) { request, context in try await self.list(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/roles", summary: "Create a role", tag: "roles", access: .permission("system:role:create"),
                body: .type(CreateRole.self),
                responses: [.json(.created, RoleView.self), .error(.conflict, "Code taken"), .error(.forbidden, "Granting what the caller does not hold")])
        ) { request, context in try await self.create(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/roles/{id}", summary: "One role", tag: "roles", access: .permission("system:role:read"),
                parameters: [idParameter], responses: [.json(.ok, RoleView.self)])
        ) { _, context in try await self.get(context) }
        registry.addProtected(
            RouteDeclaration(
                .put, "/api/v1/roles/{id}", summary: "Change a role", tag: "roles", access: .permission("system:role:update"),
                parameters: [idParameter], body: .type(UpdateRole.self),
                responses: [.json(.ok, RoleView.self), .error(.conflict, "A system role cannot be changed this way")])
        ) { request, context in try await self.update(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .delete, "/api/v1/roles/{id}", summary: "Delete a role", tag: "roles", access: .permission("system:role:delete"),
                parameters: [idParameter], responses: [.noContent("Deleted"), .error(.conflict, "System roles cannot be deleted")])
        ) { _, context in try await self.delete(context) }
        registry.addProtected(
            RouteDeclaration(
                .put, "/api/v1/roles/{id}/menus", summary: "Replace the menus granted to a role", tag: "roles",
                access: .permission("system:role:grant-menus"), parameters: [idParameter], body: .type(GrantMenus.self),
                responses: [
                    .json(.ok, RoleView.self), .error(.forbidden, "Granting what the caller does not hold"),
                    .error(.conflict, "super_admin's grants are fixed"),
                ])
        ) { request, context in try await self.grant(request, context) }
    }

    typealias Row = (UUID, String, String, String?, String, String, Bool, Date, Date, [UUID], [String])
    /// A role with its granted menus and their permission codes, in one query.
    static let select = """
        SELECT r.id, r.code, r.name, r.description, r.data_scope, r.status, r.is_system, r.created_at, r.updated_at,
               coalesce(array(SELECT rm.menu_id FROM role_menus rm JOIN menus m ON m.id = rm.menu_id
                              WHERE rm.tenant_id = r.tenant_id AND rm.role_id = r.id ORDER BY m.sort, m.code), '{}'),
               CASE WHEN r.code = 'super_admin'
                    THEN array(SELECT p.code FROM permissions p WHERE p.scope = 'tenant' ORDER BY p.code)
                    ELSE array(SELECT DISTINCT m.permission FROM role_menus rm JOIN menus m ON m.id = rm.menu_id
                               WHERE rm.tenant_id = r.tenant_id AND rm.role_id = r.id AND m.permission IS NOT NULL ORDER BY m.permission)
               END
        FROM roles r
        """

    static func view(_ row: Row) -> RoleView {
        RoleView(
            id: row.0, code: row.1, name: row.2, description: row.3, dataScope: DataScope(rawValue: row.4) ?? .own,
            status: Status(rawValue: row.5) ?? .active, isSystem: row.6, menuIds: row.9, permissions: row.10,
            createdAt: row.7, updatedAt: row.8)
    }

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> RoleView? {
        try await tx.first(
            "\(unescaped: Self.select) WHERE r.tenant_id = \(tenantID) AND r.id = \(id) AND r.deleted_at IS NULL", as: Row.self
        ).map(Self.view)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<RoleView> {
        let page = try PageRequest(request: request)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let total = try await tx.first("SELECT count(*)::int FROM roles WHERE tenant_id = \(tenantID) AND deleted_at IS NULL", as: Int.self) ?? 0
            let rows = try await tx.all(
                """
                \(unescaped: Self.select) WHERE r.tenant_id = \(tenantID) AND r.deleted_at IS NULL
                ORDER BY r.is_system DESC, r.code LIMIT \(page.limit) OFFSET \(page.offset)
                """, as: Row.self)
            let items = rows.map(Self.view)
            return Page(items: items, total: total, request: page)
        }
    }

    func get(_ context: AuthenticatedContext) async throws -> RoleView {
        let id = try MenuAdmin.id(context, "Role", code: "ROLE_NOT_FOUND")
        guard let role = try await database.withTenant(context.tenant, { tx in try await find(id, tenantID: context.principal.tenantID, in: tx) }) else {
            throw APIError.notFound("Role", code: "ROLE_NOT_FOUND")
        }
        return role
    }

    /// The menus may be granted by this caller: tenant-level menus whose permissions the caller holds.
    static func checkGrantable(_ menuIDs: [UUID], by principal: Principal, in tx: DatabaseTransaction) async throws {
        guard !menuIDs.isEmpty else { return }
        let menus = try await tx.all(
            """
            SELECT m.id, m.code, m.permission, coalesce(p.scope, 'tenant') FROM menus m
            LEFT JOIN permissions p ON p.code = m.permission WHERE m.id = ANY(\(menuIDs))
            """, as: (UUID, String, String?, String).self)
        let found = Set(menus.map(\.0))
        if let missing = menuIDs.first(where: { !found.contains($0) }) {
            throw APIError.validation(["menu_ids": "no menu \(missing.uuidString.lowercased())"])
        }
        let platformLevel = menus.filter { $0.3 == "platform" || $0.1.hasPrefix("platform") }.map(\.1)
        if !platformLevel.isEmpty {
            throw APIError(
                .forbidden, code: "PLATFORM_MENU", message: "Platform menus cannot be granted to a tenant role",
                details: ["menus": .array(platformLevel.map { .string($0) })])
        }
        let wanted = Set(menus.compactMap(\.2))
        let missing = principal.isPlatformAdmin ? [] : wanted.subtracting(principal.permissions).sorted()
        if !missing.isEmpty {
            throw APIError(
                .forbidden, code: "PERMISSION_NOT_HELD", message: "You cannot grant permissions you do not hold",
                details: ["permissions": .array(missing.map { .string($0) })])
        }
    }

    static func validate(code: String?, name: String?, description: String?) throws {
        var problems: [String: String] = [:]
        if let code {
            if code.wholeMatch(of: /[a-z][a-z0-9_-]{0,62}/) == nil { problems["code"] = "must start with a letter: lowercase letters, digits, _ or -, up to 63" }
            if reservedCodes.contains(code) { problems["code"] = "is reserved" }
        }
        if let name, name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 100 { problems["name"] = "must be 1 to 100 characters" }
        if let description, description.count > 1000 { problems["description"] = "is too long" }
        if !problems.isEmpty { throw APIError.validation(problems) }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> EditedResponse<RoleView> {
        let body = try await request.decode(as: CreateRole.self, context: context)
        try Self.validate(code: body.code, name: body.name, description: body.description)
        let tenantID = context.principal.tenantID
        let id = UUID.v7()
        let role = try await database.withTenant(context.tenant) { tx in
            if try await tx.first("SELECT 1 FROM roles WHERE tenant_id = \(tenantID) AND code = \(body.code) AND deleted_at IS NULL", as: Int.self) != nil {
                throw APIError.conflict("A role with code '\(body.code)' exists", code: "ROLE_CODE_TAKEN")
            }
            let menuIDs = Array(Set(body.menuIds ?? []))
            try await Self.checkGrantable(menuIDs, by: context.principal, in: tx)
            try await tx.query(
                """
                INSERT INTO roles (tenant_id, id, code, name, description, data_scope, status)
                VALUES (\(tenantID), \(id), \(body.code), \(body.name), \(body.description), \((body.dataScope ?? .own).rawValue), \((body.status ?? .active).rawValue))
                """)
            try await tx.query(
                "INSERT INTO role_menus (tenant_id, role_id, menu_id) SELECT \(tenantID), \(id), unnest(\(menuIDs)::uuid[])")
            guard let role = try await find(id, tenantID: tenantID, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(AdminAudit.event("role.create", context, target: "role", id: id, after: Self.audit(role)), in: tx)
            try await RBACChange.publish(in: tx)
            return role
        }
        cache.invalidateAll()
        return EditedResponse(status: .created, response: role)
    }

    static func audit(_ role: RoleView) -> [String: JSONValue] {
        [
            "code": .string(role.code), "name": .string(role.name), "data_scope": .string(role.dataScope.rawValue),
            "status": .string(role.status.rawValue), "permissions": .array(role.permissions.map { .string($0) }),
        ]
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> RoleView {
        let id = try MenuAdmin.id(context, "Role", code: "ROLE_NOT_FOUND")
        let body = try await request.decode(as: UpdateRole.self, context: context)
        try Self.validate(code: nil, name: body.name, description: body.description)
        let tenantID = context.principal.tenantID
        let role = try await database.withTenant(context.tenant) { tx in
            guard let before = try await find(id, tenantID: tenantID, in: tx) else { throw APIError.notFound("Role", code: "ROLE_NOT_FOUND") }
            if before.code == "super_admin" && (body.status == .disabled || body.dataScope == .own) {
                throw APIError.conflict("super_admin cannot be disabled or narrowed", code: "SYSTEM_ROLE")
            }
            // Widening a role's data scope is granting: only for callers who see the whole tenant.
            if body.dataScope == .all && before.dataScope != .all && context.principal.dataScope != .all {
                throw APIError(.forbidden, code: "PERMISSION_NOT_HELD", message: "You cannot grant a data scope wider than your own")
            }
            try await tx.query(
                """
                UPDATE roles SET name = COALESCE(\(body.name), name), description = COALESCE(\(body.description), description),
                    data_scope = COALESCE(\(body.dataScope?.rawValue), data_scope), status = COALESCE(\(body.status?.rawValue), status),
                    updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(id)
                """)
            guard let after = try await find(id, tenantID: tenantID, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(
                AdminAudit.event("role.update", context, target: "role", id: id, before: Self.audit(before), after: Self.audit(after)), in: tx)
            try await RBACChange.publish(in: tx)
            return after
        }
        cache.invalidateAll()
        return role
    }

    func delete(_ context: AuthenticatedContext) async throws -> Response {
        let id = try MenuAdmin.id(context, "Role", code: "ROLE_NOT_FOUND")
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            guard let before = try await find(id, tenantID: tenantID, in: tx) else { throw APIError.notFound("Role", code: "ROLE_NOT_FOUND") }
            if before.isSystem { throw APIError.conflict("System roles cannot be deleted", code: "SYSTEM_ROLE") }
            try await tx.query("DELETE FROM user_roles WHERE tenant_id = \(tenantID) AND role_id = \(id)")
            try await tx.query("DELETE FROM role_menus WHERE tenant_id = \(tenantID) AND role_id = \(id)")
            try await tx.query("UPDATE roles SET deleted_at = now(), status = 'disabled', updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id)")
            try await AuditLog.append(AdminAudit.event("role.delete", context, target: "role", id: id, before: Self.audit(before)), in: tx)
            try await RBACChange.publish(in: tx)
        }
        cache.invalidateAll()
        return Response(status: .noContent)
    }

    func grant(_ request: Request, _ context: AuthenticatedContext) async throws -> RoleView {
        let id = try MenuAdmin.id(context, "Role", code: "ROLE_NOT_FOUND")
        let body = try await request.decode(as: GrantMenus.self, context: context)
        let tenantID = context.principal.tenantID
        let menuIDs = Array(Set(body.menuIds))
        let role = try await database.withTenant(context.tenant) { tx in
            guard let before = try await find(id, tenantID: tenantID, in: tx) else { throw APIError.notFound("Role", code: "ROLE_NOT_FOUND") }
            if before.code == "super_admin" { throw APIError.conflict("super_admin always holds every permission", code: "SYSTEM_ROLE") }
            try await Self.checkGrantable(menuIDs, by: context.principal, in: tx)
            // Taking away a permission the caller does not hold is granting's mirror image: refused too.
            let removed = Set(before.permissions).subtracting(context.principal.permissions)
            if !context.principal.isPlatformAdmin && !removed.isEmpty {
                let kept: [String] = try await tx.all(
                    "SELECT permission FROM menus WHERE id = ANY(\(menuIDs)) AND permission IS NOT NULL", as: String.self)
                let dropped = removed.subtracting(kept)
                if !dropped.isEmpty {
                    throw APIError(
                        .forbidden, code: "PERMISSION_NOT_HELD", message: "You cannot revoke permissions you do not hold",
                        details: ["permissions": .array(dropped.sorted().map { .string($0) })])
                }
            }
            try await tx.query("DELETE FROM role_menus WHERE tenant_id = \(tenantID) AND role_id = \(id)")
            try await tx.query(
                "INSERT INTO role_menus (tenant_id, role_id, menu_id) SELECT \(tenantID), \(id), unnest(\(menuIDs)::uuid[])")
            guard let after = try await find(id, tenantID: tenantID, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(
                AdminAudit.event("role.grant_menus", context, target: "role", id: id, before: Self.audit(before), after: Self.audit(after)), in: tx)
            try await RBACChange.publish(in: tx)
            return after
        }
        cache.invalidateAll()
        return role
    }
}
