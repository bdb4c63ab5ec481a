import Foundation
import PlatformDatabase
import PlatformSupport

/// Which members a list shows; the page and its count share it.
struct UserFilter: Sendable {
    var tenantID: UUID
    var status: UserStatus?
    /// Matched as a substring of the username, e-mail or display name (only `%` is escaped, as before).
    var search: String?

    var condition: SQL {
        let state = status?.rawValue
        let pattern = search.map { "%" + $0.replacingOccurrences(of: "%", with: "\\%") + "%" }
        return """
            m.tenant_id = \(tenantID) AND u.deleted_at IS NULL AND (\(state)::text IS NULL OR m.status = \(state))
              AND (\(pattern)::text IS NULL OR u.username ILIKE \(pattern) OR u.email ILIKE \(pattern) OR u.display_name ILIKE \(pattern))
            """
    }
}

/// Every statement on `users`, `tenant_memberships` and `user_roles` that user administration runs.
struct UserStore: Sendable {
    /// Members with their roles in one query (the roles as a JSON array), not one query per member.
    static let select = """
        SELECT u.id, u.username, u.email, u.display_name, m.status, u.status AS account_status, u.is_platform_admin, u.last_login_at,
               m.created_at,
               coalesce((SELECT json_agg(json_build_object('id', r.id, 'code', r.code, 'name', r.name) ORDER BY r.code)
                         FROM user_roles ur JOIN roles r ON r.tenant_id = ur.tenant_id AND r.id = ur.role_id
                         WHERE ur.tenant_id = m.tenant_id AND ur.user_id = u.id AND r.deleted_at IS NULL), '[]') AS roles
        FROM tenant_memberships m JOIN users u ON u.id = m.user_id
        """

    /// A member of the tenant, as the transaction may see them (RLS applies data scope).
    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> UserView? {
        try await tx.row(
            "\(unescaped: Self.select) WHERE m.tenant_id = \(tenantID) AND m.user_id = \(id) AND u.deleted_at IS NULL", decoding: UserView.self)
    }

    func list(_ filter: UserFilter, page: PageRequest, in tx: DatabaseTransaction) async throws -> [UserView] {
        try await tx.rows(
            """
            \(unescaped: Self.select) WHERE \(filter.condition)
            ORDER BY m.created_at, u.id LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: UserView.self)
    }

    func count(_ filter: UserFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value(
            "SELECT count(*)::int FROM tenant_memberships m JOIN users u ON u.id = m.user_id WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    /// Whether the person also belongs to another tenant (their account is then not this tenant's alone).
    func isShared(_ userID: UUID, besides tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value("SELECT app.user_in_other_tenant(\(userID), \(tenantID))", as: Bool.self) ?? true
    }

    /// The live user with this e-mail (case-insensitive).
    func userID(email: String, in tx: DatabaseTransaction) async throws -> UUID? {
        try await tx.value("SELECT id FROM users WHERE lower(email) = lower(\(email)) AND deleted_at IS NULL", as: UUID.self)
    }

    func usernameTaken(_ username: String, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value("SELECT 1 FROM users WHERE lower(username) = lower(\(username)) AND deleted_at IS NULL", as: Int.self) != nil
    }

    struct NewUser: Sendable {
        var username: String
        var email: String?
        var displayName: String?
        var passwordHash: String?
    }

    func insert(_ user: NewUser, id: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            INSERT INTO users (id, username, email, display_name, password_hash)
            VALUES (\(id), \(user.username), \(user.email), \(user.displayName), \(user.passwordHash))
            """)
    }

    func isMember(_ userID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value("SELECT 1 FROM tenant_memberships WHERE tenant_id = \(tenantID) AND user_id = \(userID)", as: Int.self) != nil
    }

    func addMember(_ userID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("INSERT INTO tenant_memberships (tenant_id, id, user_id) VALUES (\(tenantID), \(UUID.v7()), \(userID))")
    }

    /// Removes the membership and the roles that came with it.
    func removeMember(_ userID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await removeRoles(of: userID, tenantID: tenantID, in: tx)
        try await tx.run("DELETE FROM tenant_memberships WHERE tenant_id = \(tenantID) AND user_id = \(userID)")
    }

    func addRoles(_ roleIDs: [UUID], to userID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("INSERT INTO user_roles (tenant_id, user_id, role_id) SELECT \(tenantID), \(userID), unnest(\(roleIDs)::uuid[])")
    }

    func removeRoles(of userID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("DELETE FROM user_roles WHERE tenant_id = \(tenantID) AND user_id = \(userID)")
    }

    /// Through `app.update_member_details`, which refuses people shared with other tenants.
    func updateDetails(_ userID: UUID, tenantID: UUID, displayName: String?, email: String?, in tx: DatabaseTransaction) async throws {
        try await tx.run("SELECT app.update_member_details(\(tenantID), \(userID), \(displayName), \(email))")
    }

    func setStatus(_ status: UserStatus, of userID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            "UPDATE tenant_memberships SET status = \(status.rawValue), updated_at = now() WHERE tenant_id = \(tenantID) AND user_id = \(userID)")
    }

    func setPasswordHash(_ hash: String, of userID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE users SET password_hash = \(hash), updated_at = now() WHERE id = \(userID)")
    }
}
