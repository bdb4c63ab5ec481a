import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// The members of the current tenant (`system:user:*`). A user is a person who may belong to
/// several tenants; what a tenant admin changes is the membership, the roles in this tenant,
/// and the person's details only when the person belongs to this tenant alone.
struct UserAdmin: Sendable {
    let database: Database
    let cache: RBACCache
    let credentials: any CredentialAdministration

    enum Status: String, Codable, Sendable, CaseIterable, SchemaEnum { case active, disabled }

    struct RoleRef: Codable, Sendable {
        var id: UUID
        var code: String
        var name: String
    }

    struct UserView: Codable, Sendable, ResponseEncodable {
        var id: UUID
        var username: String
        var email: String?
        var displayName: String?
        var status: Status
        var accountStatus: Status
        var isPlatformAdmin: Bool
        var roles: [RoleRef]
        var lastLoginAt: Date?
        var createdAt: Date
    }

    struct CreateUser: Codable, Sendable {
        var username: String
        var email: String?
        var displayName: String?
        var password: String?
        var roleIds: [UUID]?
    }

    struct UpdateUser: Codable, Sendable {
        var displayName: String?
        var email: String?
    }

    struct AssignRoles: Codable, Sendable {
        var roleIds: [UUID]
    }

    struct SetStatus: Codable, Sendable {
        var status: Status
    }

    struct ResetPassword: Codable, Sendable {
        var newPassword: String
    }

    struct Message: Codable, Sendable, ResponseEncodable {
        var message: String
    }

    func register(in registry: RouteRegistry) {
        let idParameter = RouteParameter.path("id", ["type": "string", "format": "uuid"])
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/users", summary: "List the tenant's members", tag: "users", access: .permission("system:user:list"),
                parameters: RouteParameter.paging + [
                    .query("status", ["type": "string", "enum": ["active", "disabled"]]), .query("search", ["type": "string"]),
                ],
                responses: [.json(.ok, Page<UserView>.self)])
        ) { request, context in try await self.list(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/users", summary: "Create a user in the tenant, or add an existing one (by e-mail) as a member",
                tag: "users", access: .permission("system:user:create"), body: .type(CreateUser.self),
                responses: [.json(.created, UserView.self), .error(.conflict, "Username or membership exists"), .error(.forbidden, "Roles the caller cannot grant")])
        ) { request, context in try await self.create(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/users/{id}", summary: "One member", tag: "users", access: .permission("system:user:read"),
                parameters: [idParameter], responses: [.json(.ok, UserView.self)])
        ) { _, context in try await self.get(context) }
        registry.addProtected(
            RouteDeclaration(
                .put, "/api/v1/users/{id}", summary: "Change a member's details", tag: "users", access: .permission("system:user:update"),
                parameters: [idParameter], body: .type(UpdateUser.self),
                responses: [.json(.ok, UserView.self), .error(.conflict, "The user also belongs to other tenants")])
        ) { request, context in try await self.update(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .delete, "/api/v1/users/{id}", summary: "Remove a member from the tenant", tag: "users",
                access: .permission("system:user:delete"), parameters: [idParameter],
                responses: [.noContent("Removed"), .error(.conflict, "Removing yourself")])
        ) { _, context in try await self.remove(context) }
        registry.addProtected(
            RouteDeclaration(
                .put, "/api/v1/users/{id}/roles", summary: "Replace a member's roles", tag: "users",
                access: .permission("system:user:assign-roles"), parameters: [idParameter], body: .type(AssignRoles.self),
                responses: [.json(.ok, UserView.self), .error(.forbidden, "Roles the caller cannot grant")])
        ) { request, context in try await self.assignRoles(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .put, "/api/v1/users/{id}/status", summary: "Enable or disable a member in this tenant (takes effect at once)",
                tag: "users", access: .permission("system:user:status"), parameters: [idParameter], body: .type(SetStatus.self),
                responses: [.json(.ok, UserView.self), .error(.conflict, "Disabling yourself")])
        ) { request, context in try await self.setStatus(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .put, "/api/v1/users/{id}/password", summary: "Set a new password for a member and end their sessions",
                tag: "users", access: .permission("system:user:reset-password"), parameters: [idParameter], body: .type(ResetPassword.self),
                responses: [.json(.ok, Message.self), .error(.conflict, "The user also belongs to other tenants")])
        ) { request, context in try await self.resetPassword(request, context) }
    }

    typealias Row = (UUID, String, String?, String?, String, String, Bool, Date?, Date, String)

    /// Members with their roles in one query (the roles as a JSON array), not one query per member.
    static let select = """
        SELECT u.id, u.username, u.email, u.display_name, m.status, u.status, u.is_platform_admin, u.last_login_at, m.created_at,
               coalesce((SELECT json_agg(json_build_object('id', r.id, 'code', r.code, 'name', r.name) ORDER BY r.code)
                         FROM user_roles ur JOIN roles r ON r.tenant_id = ur.tenant_id AND r.id = ur.role_id
                         WHERE ur.tenant_id = m.tenant_id AND ur.user_id = u.id AND r.deleted_at IS NULL), '[]')::text
        FROM tenant_memberships m JOIN users u ON u.id = m.user_id
        """

    func view(_ row: Row, tenantID: UUID, in tx: DatabaseTransaction) async throws -> UserView {
        let roles = (try? PlatformJSON.makeDecoder().decode([RoleRef].self, from: Data(row.9.utf8))) ?? []
        return UserView(
            id: row.0, username: row.1, email: row.2, displayName: row.3, status: Status(rawValue: row.4) ?? .active,
            accountStatus: Status(rawValue: row.5) ?? .active, isPlatformAdmin: row.6,
            roles: roles, lastLoginAt: row.7, createdAt: row.8)
    }

    /// A member of the current tenant, as the caller may see them (RLS applies data scope).
    func find(_ id: UUID, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> UserView? {
        let tenantID = context.principal.tenantID
        guard let row = try await tx.first(
            "\(unescaped: Self.select) WHERE m.tenant_id = \(tenantID) AND m.user_id = \(id) AND u.deleted_at IS NULL", as: Row.self)
        else { return nil }
        return try await view(row, tenantID: tenantID, in: tx)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<UserView> {
        let page = try PageRequest(request: request)
        let status = request.uri.queryParameters["status"].map(String.init)
        if let status, Status(rawValue: status) == nil { throw APIError.validation(["status": "must be active or disabled"]) }
        let search = request.uri.queryParameters["search"].map { "%" + String($0).replacingOccurrences(of: "%", with: "\\%") + "%" }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let total = try await tx.first(
                """
                SELECT count(*)::int FROM tenant_memberships m JOIN users u ON u.id = m.user_id
                WHERE m.tenant_id = \(tenantID) AND u.deleted_at IS NULL AND (\(status)::text IS NULL OR m.status = \(status))
                  AND (\(search)::text IS NULL OR u.username ILIKE \(search) OR u.email ILIKE \(search) OR u.display_name ILIKE \(search))
                """, as: Int.self) ?? 0
            let rows = try await tx.all(
                """
                \(unescaped: Self.select)
                WHERE m.tenant_id = \(tenantID) AND u.deleted_at IS NULL AND (\(status)::text IS NULL OR m.status = \(status))
                  AND (\(search)::text IS NULL OR u.username ILIKE \(search) OR u.email ILIKE \(search) OR u.display_name ILIKE \(search))
                ORDER BY m.created_at, u.id LIMIT \(page.limit) OFFSET \(page.offset)
                """, as: Row.self)
            var items: [UserView] = []
            for row in rows { items.append(try await view(row, tenantID: tenantID, in: tx)) }
            return Page(items: items, total: total, request: page)
        }
    }

    func get(_ context: AuthenticatedContext) async throws -> UserView {
        let id = try MenuAdmin.id(context, "User", code: "USER_NOT_FOUND")
        guard let user = try await database.withTenant(context.tenant, { tx in try await find(id, context, in: tx) }) else {
            throw APIError.notFound("User", code: "USER_NOT_FOUND")
        }
        return user
    }

    /// The roles may be given by this caller: every permission they carry is the caller's.
    static func checkAssignable(_ roleIDs: [UUID], by principal: Principal, in tx: DatabaseTransaction) async throws {
        guard !roleIDs.isEmpty else { return }
        let roles = try await tx.all(
            "SELECT id, code FROM roles WHERE tenant_id = \(principal.tenantID) AND id = ANY(\(roleIDs)) AND deleted_at IS NULL",
            as: (UUID, String).self)
        let found = Set(roles.map(\.0))
        if let missing = roleIDs.first(where: { !found.contains($0) }) {
            throw APIError.validation(["role_ids": "no role \(missing.uuidString.lowercased()) in this tenant"])
        }
        guard !principal.isPlatformAdmin else { return }
        var carried = Set<String>()
        if roles.contains(where: { $0.1 == "super_admin" }) {
            let all: [String] = try await tx.all("SELECT code FROM permissions WHERE scope = 'tenant'", as: String.self)
            carried.formUnion(all)
        }
        let granted: [String] = try await tx.all(
            """
            SELECT DISTINCT m.permission FROM role_menus rm JOIN menus m ON m.id = rm.menu_id
            WHERE rm.tenant_id = \(principal.tenantID) AND rm.role_id = ANY(\(roleIDs)) AND m.permission IS NOT NULL
            """, as: String.self)
        carried.formUnion(granted)
        let missing = carried.subtracting(principal.permissions).sorted()
        if !missing.isEmpty {
            throw APIError(
                .forbidden, code: "PERMISSION_NOT_HELD", message: "You cannot give roles with permissions you do not hold",
                details: ["permissions": .array(missing.map { .string($0) })])
        }
    }

    /// Whether the person also belongs to another tenant (their account is then not this tenant's alone).
    static func isShared(_ userID: UUID, besides tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.first("SELECT app.user_in_other_tenant(\(userID), \(tenantID))", as: Bool.self) ?? true
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> EditedResponse<UserView> {
        let body = try await request.decode(as: CreateUser.self, context: context)
        var problems: [String: String] = [:]
        if body.username.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9._@-]{0,99}/) == nil { problems["username"] = "must be 1-100 letters, digits or . _ @ -" }
        if let email = body.email, email.wholeMatch(of: /[^@\s]{1,200}@[^@\s]{1,200}\.[^@\s]{1,60}/) == nil { problems["email"] = "is not an e-mail address" }
        if let name = body.displayName, name.count > 200 { problems["display_name"] = "is too long" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        var hash: String?
        if let password = body.password {
            hash = try await credentials.hashNewPassword(password, username: body.username, email: body.email, field: "password")
        }
        let tenantID = context.principal.tenantID
        let roleIDs = Array(Set(body.roleIds ?? []))
        let userID = try await database.withPlatformScope { tx in
            try await Self.checkAssignable(roleIDs, by: context.principal, in: tx)
            var userID: UUID
            var created = false
            if let email = body.email,
                let existing = try await tx.first("SELECT id FROM users WHERE lower(email) = lower(\(email)) AND deleted_at IS NULL", as: UUID.self)
            {
                // The person exists: make them a member (their password stays theirs).
                if hash != nil {
                    throw APIError.conflict("A user with this e-mail exists; add them without a password", code: "USER_EXISTS")
                }
                userID = existing
            } else {
                if try await tx.first("SELECT 1 FROM users WHERE lower(username) = lower(\(body.username)) AND deleted_at IS NULL", as: Int.self) != nil {
                    throw APIError.conflict("The username '\(body.username)' is taken", code: "USERNAME_TAKEN")
                }
                userID = UUID.v7()
                created = true
                try await tx.query(
                    "INSERT INTO users (id, username, email, display_name, password_hash) VALUES (\(userID), \(body.username), \(body.email), \(body.displayName), \(hash))")
            }
            if try await tx.first("SELECT 1 FROM tenant_memberships WHERE tenant_id = \(tenantID) AND user_id = \(userID)", as: Int.self) != nil {
                throw APIError.conflict("The user is already a member of this tenant", code: "ALREADY_MEMBER")
            }
            try await tx.query("INSERT INTO tenant_memberships (tenant_id, id, user_id) VALUES (\(tenantID), \(UUID.v7()), \(userID))")
            try await tx.query("INSERT INTO user_roles (tenant_id, user_id, role_id) SELECT \(tenantID), \(userID), unnest(\(roleIDs)::uuid[])")
            try await AuditLog.append(
                AdminAudit.event(
                    created ? "user.create" : "user.add_member", context, target: "user", id: userID,
                    after: ["username": .string(body.username), "email": body.email.map { .string($0) } ?? .null,
                            "role_ids": .array(roleIDs.map { .string($0.uuidString.lowercased()) })]),
                in: tx)
            try await RBACChange.publish(in: tx)
            return userID
        }
        cache.invalidateAll()
        guard let user = try await database.withTenant(context.tenant, { tx in try await find(userID, context, in: tx) }) else {
            throw APIError.internalError
        }
        return EditedResponse(status: .created, response: user)
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> UserView {
        let id = try MenuAdmin.id(context, "User", code: "USER_NOT_FOUND")
        let body = try await request.decode(as: UpdateUser.self, context: context)
        var problems: [String: String] = [:]
        if let email = body.email, email.wholeMatch(of: /[^@\s]{1,200}@[^@\s]{1,200}\.[^@\s]{1,60}/) == nil { problems["email"] = "is not an e-mail address" }
        if let name = body.displayName, name.count > 200 { problems["display_name"] = "is too long" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            guard let before = try await find(id, context, in: tx) else { throw APIError.notFound("User", code: "USER_NOT_FOUND") }
            if id != context.principal.userID, !context.principal.isPlatformAdmin,
                try await Self.isShared(id, besides: tenantID, in: tx) || before.isPlatformAdmin
            {
                throw APIError.conflict("The user also belongs to other tenants; only they can change their details", code: "SHARED_USER")
            }
            try await tx.query("SELECT app.update_member_details(\(tenantID), \(id), \(body.displayName), \(body.email))")
            guard let after = try await find(id, context, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(
                AdminAudit.event(
                    "user.update", context, target: "user", id: id,
                    before: ["display_name": before.displayName.map { .string($0) } ?? .null, "email": before.email.map { .string($0) } ?? .null],
                    after: ["display_name": after.displayName.map { .string($0) } ?? .null, "email": after.email.map { .string($0) } ?? .null]),
                in: tx)
            return after
        }
    }

    func remove(_ context: AuthenticatedContext) async throws -> Response {
        let id = try MenuAdmin.id(context, "User", code: "USER_NOT_FOUND")
        if id == context.principal.userID { throw APIError.conflict("You cannot remove yourself", code: "SELF") }
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            guard let before = try await find(id, context, in: tx) else { throw APIError.notFound("User", code: "USER_NOT_FOUND") }
            if before.isPlatformAdmin && !context.principal.isPlatformAdmin {
                throw APIError(.forbidden, code: "PLATFORM_ADMIN", message: "Only platform administrators can remove a platform administrator")
            }
            try await tx.query("DELETE FROM user_roles WHERE tenant_id = \(tenantID) AND user_id = \(id)")
            try await tx.query("DELETE FROM tenant_memberships WHERE tenant_id = \(tenantID) AND user_id = \(id)")
            try await AuditLog.append(
                AdminAudit.event("user.remove_member", context, target: "user", id: id, before: ["username": .string(before.username)]), in: tx)
            try await RBACChange.publish(in: tx)
        }
        cache.invalidateAll()
        return Response(status: .noContent)
    }

    func assignRoles(_ request: Request, _ context: AuthenticatedContext) async throws -> UserView {
        let id = try MenuAdmin.id(context, "User", code: "USER_NOT_FOUND")
        let body = try await request.decode(as: AssignRoles.self, context: context)
        let roleIDs = Array(Set(body.roleIds))
        let tenantID = context.principal.tenantID
        let user = try await database.withTenant(context.tenant) { tx in
            guard let before = try await find(id, context, in: tx) else { throw APIError.notFound("User", code: "USER_NOT_FOUND") }
            try await Self.checkAssignable(roleIDs, by: context.principal, in: tx)
            // Roles being taken away must also be ones the caller could have given.
            let removed = Set(before.roles.map(\.id)).subtracting(roleIDs)
            try await Self.checkAssignable(Array(removed), by: context.principal, in: tx)
            try await tx.query("DELETE FROM user_roles WHERE tenant_id = \(tenantID) AND user_id = \(id)")
            try await tx.query("INSERT INTO user_roles (tenant_id, user_id, role_id) SELECT \(tenantID), \(id), unnest(\(roleIDs)::uuid[])")
            guard let after = try await find(id, context, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(
                AdminAudit.event(
                    "user.assign_roles", context, target: "user", id: id,
                    before: ["roles": .array(before.roles.map { .string($0.code) })], after: ["roles": .array(after.roles.map { .string($0.code) })]),
                in: tx)
            try await RBACChange.publish(in: tx)
            return after
        }
        cache.invalidateAll()
        return user
    }

    func setStatus(_ request: Request, _ context: AuthenticatedContext) async throws -> UserView {
        let id = try MenuAdmin.id(context, "User", code: "USER_NOT_FOUND")
        let body = try await request.decode(as: SetStatus.self, context: context)
        if id == context.principal.userID && body.status == .disabled {
            throw APIError.conflict("You cannot disable yourself", code: "SELF")
        }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            guard let before = try await find(id, context, in: tx) else { throw APIError.notFound("User", code: "USER_NOT_FOUND") }
            if before.isPlatformAdmin && !context.principal.isPlatformAdmin {
                throw APIError(.forbidden, code: "PLATFORM_ADMIN", message: "Only platform administrators can disable a platform administrator")
            }
            try await tx.query(
                "UPDATE tenant_memberships SET status = \(body.status.rawValue), updated_at = now() WHERE tenant_id = \(tenantID) AND user_id = \(id)")
            guard let after = try await find(id, context, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(
                AdminAudit.event("user.status", context, target: "user", id: id, before: ["status": .string(before.status.rawValue)], after: ["status": .string(after.status.rawValue)]),
                in: tx)
            return after
        }
    }

    func resetPassword(_ request: Request, _ context: AuthenticatedContext) async throws -> Message {
        let id = try MenuAdmin.id(context, "User", code: "USER_NOT_FOUND")
        let body = try await request.decode(as: ResetPassword.self, context: context)
        let tenantID = context.principal.tenantID
        let target = try await database.withTenant(context.tenant) { tx -> UserView in
            guard let user = try await find(id, context, in: tx) else { throw APIError.notFound("User", code: "USER_NOT_FOUND") }
            // Resetting the password of someone who is also in another tenant would open that tenant too.
            if !context.principal.isPlatformAdmin, try await Self.isShared(id, besides: tenantID, in: tx) || user.isPlatformAdmin {
                throw APIError.conflict("The user also belongs to other tenants; only a platform administrator can reset their password", code: "SHARED_USER")
            }
            return user
        }
        let hash = try await credentials.hashNewPassword(body.newPassword, username: target.username, email: target.email, field: "new_password")
        let ended = try await database.withPlatformScope { tx in
            try await tx.query("UPDATE users SET password_hash = \(hash), updated_at = now() WHERE id = \(id)")
            let ended = try await credentials.endAllSessions(userID: id, reason: "password_reset", in: tx)
            try await AuditLog.append(AdminAudit.event("user.reset_password", context, target: "user", id: id), in: tx)
            return ended
        }
        return Message(message: "Password set; \(ended) session(s) ended")
    }
}
