import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// Tenants, managed by platform administrators (`platform:tenant:*`), in the platform scope.
struct TenantAdmin: Sendable {
    let database: Database
    let cache: RBACCache

    enum Status: String, Codable, Sendable, CaseIterable, SchemaEnum { case active, suspended }

    struct TenantView: Codable, Sendable, ResponseEncodable {
        var id: UUID
        var code: String
        var name: String
        var status: Status
        var plan: String
        var settings: [String: JSONValue]
        var createdAt: Date
        var updatedAt: Date
    }

    struct CreateTenant: Codable, Sendable {
        var code: String
        var name: String
        var plan: String?
        var settings: [String: JSONValue]?
    }

    struct UpdateTenant: Codable, Sendable {
        var name: String?
        var status: Status?
        var plan: String?
        var settings: [String: JSONValue]?
    }

    static let columns = "id, code, name, status, plan, settings::text, created_at, updated_at"
    typealias Row = (UUID, String, String, String, String, String, Date, Date)

    static func view(_ row: Row) -> TenantView {
        let settings = (try? JSONDecoder().decode([String: JSONValue].self, from: Data(row.5.utf8))) ?? [:]
        return TenantView(
            id: row.0, code: row.1, name: row.2, status: Status(rawValue: row.3) ?? .active, plan: row.4, settings: settings,
            createdAt: row.6, updatedAt: row.7)
    }

    func find(_ id: UUID, in tx: DatabaseTransaction) async throws -> TenantView? {
        try await tx.first("SELECT \(unescaped: Self.columns) FROM tenants WHERE id = \(id) AND deleted_at IS NULL", as: Row.self).map(Self.view)
    }

    func register(in registry: RouteRegistry) {
        let idParameter = RouteParameter.path("id", ["type": "string", "format": "uuid"])
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/tenants", summary: "List tenants", tag: "tenants", access: .permission("platform:tenant:list"),
                parameters: RouteParameter.paging + [
                    .query("status", ["type": "string", "enum": ["active", "suspended"]]), .query("search", ["type": "string"]),
                ],
                responses: [.json(.ok, Page<TenantView>.self)])
        ) { request, context in try await self.list(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/tenants", summary: "Create a tenant with its default roles", tag: "tenants",
                access: .permission("platform:tenant:create"), body: .type(CreateTenant.self),
                responses: [.json(.created, TenantView.self), .error(.conflict, "Code taken")])
        ) { request, context in try await self.create(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/tenants/{id}", summary: "One tenant", tag: "tenants", access: .permission("platform:tenant:read"),
                parameters: [idParameter], responses: [.json(.ok, TenantView.self)])
        ) { _, context in try await self.get(context) }
        registry.addProtected(
            RouteDeclaration(
                .put, "/api/v1/tenants/{id}", summary: "Change a tenant; suspending it stops its members and keys at once",
                tag: "tenants", access: .permission("platform:tenant:update"), parameters: [idParameter],
                body: .type(UpdateTenant.self), responses: [.json(.ok, TenantView.self)])
        ) { request, context in try await self.update(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .delete, "/api/v1/tenants/{id}", summary: "Delete a tenant (soft)", tag: "tenants",
                access: .permission("platform:tenant:delete"), parameters: [idParameter],
                responses: [.noContent("Deleted"), .error(.conflict, "The caller's own tenant")])
        ) { _, context in try await self.delete(context) }
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<TenantView> {
        let page = try PageRequest(request: request)
        let status = request.uri.queryParameters["status"].map(String.init)
        if let status, Status(rawValue: status) == nil { throw APIError.validation(["status": "must be active or suspended"]) }
        let search = request.uri.queryParameters["search"].map { "%" + String($0).replacingOccurrences(of: "%", with: "\\%") + "%" }
        return try await database.withPlatformScope { tx in
            let total = try await tx.first(
                """
                SELECT count(*)::int FROM tenants WHERE deleted_at IS NULL AND (\(status)::text IS NULL OR status = \(status))
                  AND (\(search)::text IS NULL OR code ILIKE \(search) OR name ILIKE \(search))
                """, as: Int.self) ?? 0
            let rows = try await tx.all(
                """
                SELECT \(unescaped: Self.columns) FROM tenants WHERE deleted_at IS NULL AND (\(status)::text IS NULL OR status = \(status))
                  AND (\(search)::text IS NULL OR code ILIKE \(search) OR name ILIKE \(search))
                ORDER BY created_at, id LIMIT \(page.limit) OFFSET \(page.offset)
                """, as: Row.self)
            return Page(items: rows.map(Self.view), total: total, request: page)
        }
    }

    static func validate(code: String?, name: String?, plan: String?) throws {
        var problems: [String: String] = [:]
        if let code, code.wholeMatch(of: /[a-z0-9][a-z0-9-]{1,62}/) == nil { problems["code"] = "must be 2-63 lowercase letters, digits or dashes" }
        if let name, name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 200 { problems["name"] = "must be 1 to 200 characters" }
        if let plan, plan.wholeMatch(of: /[a-z0-9_-]{1,40}/) == nil { problems["plan"] = "must be 1-40 lowercase letters, digits, _ or -" }
        if !problems.isEmpty { throw APIError.validation(problems) }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> EditedResponse<TenantView> {
        let body = try await request.decode(as: CreateTenant.self, context: context)
        try Self.validate(code: body.code, name: body.name, plan: body.plan)
        let settings = String(decoding: try JSONEncoder().encode(body.settings ?? [:]), as: UTF8.self)
        let id = UUID.v7()
        let tenant = try await database.withPlatformScope { tx in
            if try await tx.first("SELECT 1 FROM tenants WHERE code = \(body.code) AND deleted_at IS NULL", as: Int.self) != nil {
                throw APIError.conflict("A tenant with code '\(body.code)' exists", code: "TENANT_CODE_TAKEN")
            }
            try await tx.query(
                "INSERT INTO tenants (id, code, name, plan, settings) VALUES (\(id), \(body.code), \(body.name), \(body.plan ?? "standard"), \(settings)::jsonb)")
            try await tx.query("SELECT app.ensure_default_roles(\(id))")
            guard let tenant = try await find(id, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(
                AdminAudit.event("tenant.create", context, target: "tenant", id: id, tenantID: id, after: ["code": .string(tenant.code), "name": .string(tenant.name), "plan": .string(tenant.plan)]),
                in: tx)
            return tenant
        }
        return EditedResponse(status: .created, response: tenant)
    }

    func get(_ context: AuthenticatedContext) async throws -> TenantView {
        let id = try MenuAdmin.id(context, "Tenant", code: "TENANT_NOT_FOUND")
        guard let tenant = try await database.withPlatformScope({ tx in try await find(id, in: tx) }) else {
            throw APIError.notFound("Tenant", code: "TENANT_NOT_FOUND")
        }
        return tenant
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> TenantView {
        let id = try MenuAdmin.id(context, "Tenant", code: "TENANT_NOT_FOUND")
        let body = try await request.decode(as: UpdateTenant.self, context: context)
        try Self.validate(code: nil, name: body.name, plan: body.plan)
        let settings = try body.settings.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        return try await database.withPlatformScope { tx in
            guard let before = try await find(id, in: tx) else { throw APIError.notFound("Tenant", code: "TENANT_NOT_FOUND") }
            try await tx.query(
                """
                UPDATE tenants SET name = COALESCE(\(body.name), name), status = COALESCE(\(body.status?.rawValue), status),
                    plan = COALESCE(\(body.plan), plan), settings = COALESCE(\(settings)::jsonb, settings), updated_at = now()
                WHERE id = \(id)
                """)
            guard let after = try await find(id, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(
                AdminAudit.event("tenant.update", context, target: "tenant", id: id, tenantID: id,
                                 before: ["name": .string(before.name), "status": .string(before.status.rawValue), "plan": .string(before.plan)],
                                 after: ["name": .string(after.name), "status": .string(after.status.rawValue), "plan": .string(after.plan)]),
                in: tx)
            return after
        }
    }

    func delete(_ context: AuthenticatedContext) async throws -> Response {
        let id = try MenuAdmin.id(context, "Tenant", code: "TENANT_NOT_FOUND")
        if id == context.principal.tenantID {
            throw APIError.conflict("You cannot delete the tenant you are signed in to", code: "OWN_TENANT")
        }
        try await database.withPlatformScope { tx in
            guard let before = try await find(id, in: tx) else { throw APIError.notFound("Tenant", code: "TENANT_NOT_FOUND") }
            try await tx.query("UPDATE tenants SET deleted_at = now(), status = 'suspended', updated_at = now() WHERE id = \(id)")
            try await AuditLog.append(
                AdminAudit.event("tenant.delete", context, target: "tenant", id: id, tenantID: id, before: ["code": .string(before.code)]), in: tx)
        }
        return Response(status: .noContent)
    }
}
