import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// The members of the current tenant (`system:user:*`). A user is a person who may belong to
/// several tenants; what a tenant admin changes is the membership, the roles in this tenant,
/// and the person's details only when the person belongs to this tenant alone.
struct UserController: Sendable {
    let database: Database
    let cache: RBACCache
    let credentials: any CredentialAdministration
    let store = UserStore()
    let roles = RoleStore()
    let permissions = PermissionStore()
    let access = AccessStore()

    func register(in routes: RouteGroup) {
        let id: [RouteParameter] = [.uuid("id")]
        routes.get("", "List the tenant's members", .permission("system:user:list"), query: UserListQuery.self, use: list)
        routes.post(
            "", "Create a user in the tenant, or add an existing one (by e-mail) as a member", .permission("system:user:create"),
            body: CreateUser.self, responses: [.error(.conflict, "Username or membership exists"), .error(.forbidden, "Roles the caller cannot grant")],
            use: create)
        routes.get("/{id}", "One member", .permission("system:user:read"), parameters: id, use: get)
        routes.put(
            "/{id}", "Change a member's details", .permission("system:user:update"), parameters: id, body: UpdateUser.self,
            responses: [.error(.conflict, "The user also belongs to other tenants")], use: update)
        routes.delete(
            "/{id}", "Remove a member from the tenant", .permission("system:user:delete"), parameters: id,
            responses: [.noContent("Removed"), .error(.conflict, "Removing yourself")], use: remove)
        routes.put(
            "/{id}/roles", "Replace a member's roles", .permission("system:user:assign-roles"), parameters: id, body: AssignRoles.self,
            responses: [.error(.forbidden, "Roles the caller cannot grant")], use: assignRoles)
        routes.put(
            "/{id}/status", "Enable or disable a member in this tenant (takes effect at once)", .permission("system:user:status"),
            parameters: id, body: SetStatus.self, responses: [.error(.conflict, "Disabling yourself")], use: setStatus)
        routes.put(
            "/{id}/password", "Set a new password for a member and end their sessions", .permission("system:user:reset-password"),
            parameters: id, body: ResetPassword.self, responses: [.error(.conflict, "The user also belongs to other tenants")], use: resetPassword)
    }

    func find(_ id: UUID, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> UserView {
        guard let user = try await store.find(id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.userNotFound }
        return user
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<UserView> {
        let query = try request.query(UserListQuery.self)
        let filter = UserFilter(tenantID: context.principal.tenantID, status: query.status, search: query.search)
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.count(filter, in: tx)
            let items = try await store.list(filter, page: query.paging, in: tx)
            return Page(items: items, total: total, request: query.paging)
        }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> UserView {
        let id = try context.pathUUID("id", or: .userNotFound)
        return try await database.withTenant(context.tenant) { tx in try await find(id, context, in: tx) }
    }

    /// The roles may be given by this caller: every permission they carry is the caller's.
    func checkAssignable(_ roleIDs: [UUID], by principal: Principal, in tx: DatabaseTransaction) async throws {
        guard !roleIDs.isEmpty else { return }
        let found = try await roles.codes(of: roleIDs, tenantID: principal.tenantID, in: tx)
        let foundIDs = Set(found.map(\.id))
        if let missing = roleIDs.first(where: { !foundIDs.contains($0) }) {
            throw APIError.validation(["role_ids": "no role \(missing.uuidString.lowercased()) in this tenant"])
        }
        guard !principal.isPlatformAdmin else { return }
        var carried = Set<String>()
        if found.contains(where: { $0.code == "super_admin" }) {
            carried.formUnion(try await permissions.tenantCodes(in: tx))
        }
        carried.formUnion(try await roles.grantedPermissions(of: roleIDs, tenantID: principal.tenantID, in: tx))
        let missing = carried.subtracting(principal.permissions).sorted()
        if !missing.isEmpty { throw APIError.rolesNotHeld(missing) }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<UserView> {
        let body = try await request.decode(as: CreateUser.self, context: context)
        let problems = body.problems()
        if !problems.isEmpty { throw APIError.validation(problems) }
        var hash: String?
        if let password = body.password {
            hash = try await credentials.hashNewPassword(password, username: body.username, email: body.email, field: "password")
        }
        let tenantID = context.principal.tenantID
        let roleIDs = Array(Set(body.roleIds ?? []))
        let userID = try await database.withPlatformScope { tx in
            try await checkAssignable(roleIDs, by: context.principal, in: tx)
            let userID: UUID
            var created = false
            if let email = body.email, let existing = try await store.userID(email: email, in: tx) {
                // The person exists: make them a member (their password stays theirs).
                if hash != nil { throw APIError.userEmailExists }
                userID = existing
            } else {
                if try await store.usernameTaken(body.username, in: tx) { throw APIError.usernameTaken(body.username) }
                userID = UUID.v7()
                created = true
                try await store.insert(
                    UserStore.NewUser(username: body.username, email: body.email, displayName: body.displayName, passwordHash: hash), id: userID, in: tx)
            }
            if try await store.isMember(userID, tenantID: tenantID, in: tx) { throw APIError.alreadyMember }
            try await store.addMember(userID, tenantID: tenantID, in: tx)
            try await store.addRoles(roleIDs, to: userID, tenantID: tenantID, in: tx)
            try await AuditLog.append(
                AdminAudit.event(
                    created ? "user.create" : "user.add_member", context, target: "user", id: userID,
                    after: ["username": .string(body.username), "email": body.email.map { .string($0) } ?? .null,
                            "role_ids": .array(roleIDs.map { .string($0.uuidString.lowercased()) })]),
                in: tx)
            try await access.publishChange(in: tx)
            return userID
        }
        cache.invalidateAll()
        guard let user = try await database.withTenant(context.tenant, { tx in try await store.find(userID, tenantID: tenantID, in: tx) }) else {
            throw APIError.internalError
        }
        return Created(user)
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> UserView {
        let id = try context.pathUUID("id", or: .userNotFound)
        let body = try await request.decode(as: UpdateUser.self, context: context)
        let problems = UserDetails.problems(email: body.email, displayName: body.displayName)
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let before = try await find(id, context, in: tx)
            if id != context.principal.userID, !context.principal.isPlatformAdmin,
                try await store.isShared(id, besides: tenantID, in: tx) || before.isPlatformAdmin
            {
                throw APIError.sharedUserDetails
            }
            try await store.updateDetails(id, tenantID: tenantID, displayName: body.displayName, email: body.email, in: tx)
            guard let after = try await store.find(id, tenantID: tenantID, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(
                AdminAudit.event(
                    "user.update", context, target: "user", id: id,
                    before: ["display_name": before.displayName.map { .string($0) } ?? .null, "email": before.email.map { .string($0) } ?? .null],
                    after: ["display_name": after.displayName.map { .string($0) } ?? .null, "email": after.email.map { .string($0) } ?? .null]),
                in: tx)
            return after
        }
    }

    func remove(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .userNotFound)
        if id == context.principal.userID { throw APIError.cannotRemoveSelf }
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            let before = try await find(id, context, in: tx)
            if before.isPlatformAdmin && !context.principal.isPlatformAdmin { throw APIError.platformAdminOnly("remove") }
            try await store.removeMember(id, tenantID: tenantID, in: tx)
            try await AuditLog.append(
                AdminAudit.event("user.remove_member", context, target: "user", id: id, before: ["username": .string(before.username)]), in: tx)
            try await access.publishChange(in: tx)
        }
        cache.invalidateAll()
        return NoContent()
    }

    func assignRoles(_ request: Request, _ context: AuthenticatedContext) async throws -> UserView {
        let id = try context.pathUUID("id", or: .userNotFound)
        let body = try await request.decode(as: AssignRoles.self, context: context)
        let roleIDs = Array(Set(body.roleIds))
        let tenantID = context.principal.tenantID
        let user = try await database.withTenant(context.tenant) { tx in
            let before = try await find(id, context, in: tx)
            try await checkAssignable(roleIDs, by: context.principal, in: tx)
            // Roles being taken away must also be ones the caller could have given.
            let removed = Set(before.roles.map(\.id)).subtracting(roleIDs)
            try await checkAssignable(Array(removed), by: context.principal, in: tx)
            try await store.removeRoles(of: id, tenantID: tenantID, in: tx)
            try await store.addRoles(roleIDs, to: id, tenantID: tenantID, in: tx)
            guard let after = try await store.find(id, tenantID: tenantID, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(
                AdminAudit.event(
                    "user.assign_roles", context, target: "user", id: id,
                    before: ["roles": .array(before.roles.map { .string($0.code) })], after: ["roles": .array(after.roles.map { .string($0.code) })]),
                in: tx)
            try await access.publishChange(in: tx)
            return after
        }
        cache.invalidateAll()
        return user
    }

    func setStatus(_ request: Request, _ context: AuthenticatedContext) async throws -> UserView {
        let id = try context.pathUUID("id", or: .userNotFound)
        let body = try await request.decode(as: SetStatus.self, context: context)
        if id == context.principal.userID && body.status == .disabled { throw APIError.cannotDisableSelf }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let before = try await find(id, context, in: tx)
            if before.isPlatformAdmin && !context.principal.isPlatformAdmin { throw APIError.platformAdminOnly("disable") }
            try await store.setStatus(body.status, of: id, tenantID: tenantID, in: tx)
            guard let after = try await store.find(id, tenantID: tenantID, in: tx) else { throw APIError.internalError }
            try await AuditLog.append(
                AdminAudit.event(
                    "user.status", context, target: "user", id: id, before: ["status": .string(before.status.rawValue)],
                    after: ["status": .string(after.status.rawValue)]),
                in: tx)
            return after
        }
    }

    func resetPassword(_ request: Request, _ context: AuthenticatedContext) async throws -> Message {
        let id = try context.pathUUID("id", or: .userNotFound)
        let body = try await request.decode(as: ResetPassword.self, context: context)
        let tenantID = context.principal.tenantID
        let target = try await database.withTenant(context.tenant) { tx -> UserView in
            let user = try await find(id, context, in: tx)
            // Resetting the password of someone who is also in another tenant would open that tenant too.
            if !context.principal.isPlatformAdmin, try await store.isShared(id, besides: tenantID, in: tx) || user.isPlatformAdmin {
                throw APIError.sharedUserPassword
            }
            return user
        }
        let hash = try await credentials.hashNewPassword(body.newPassword, username: target.username, email: target.email, field: "new_password")
        let ended = try await database.withPlatformScope { tx in
            try await store.setPasswordHash(hash, of: id, in: tx)
            let ended = try await credentials.endAllSessions(userID: id, reason: "password_reset", in: tx)
            try await AuditLog.append(AdminAudit.event("user.reset_password", context, target: "user", id: id), in: tx)
            return ended
        }
        return Message(message: "Password set; \(ended) session(s) ended")
    }
}
