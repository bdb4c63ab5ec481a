import Foundation
import PlatformDatabase
import PlatformSupport

/// Which roles a list shows; the page and its count share it.
struct RoleFilter: Sendable {
    var tenantID: UUID

    var condition: SQL { "r.tenant_id = \(tenantID) AND r.deleted_at IS NULL" }
}

/// Every statement on `roles` and `role_menus`.
struct RoleStore: Sendable {
    /// A role with its granted menus and their permission codes, in one query.
    static let select = """
        SELECT r.id, r.code, r.name, r.description, r.data_scope, r.status, r.is_system, r.created_at, r.updated_at,
               coalesce(array(SELECT rm.menu_id FROM role_menus rm JOIN menus m ON m.id = rm.menu_id
                              WHERE rm.tenant_id = r.tenant_id AND rm.role_id = r.id ORDER BY m.sort, m.code), '{}') AS menu_ids,
               CASE WHEN r.code = 'super_admin'
                    THEN array(SELECT p.code FROM permissions p WHERE p.scope = 'tenant' ORDER BY p.code)
                    ELSE array(SELECT DISTINCT m.permission FROM role_menus rm JOIN menus m ON m.id = rm.menu_id
                               WHERE rm.tenant_id = r.tenant_id AND rm.role_id = r.id AND m.permission IS NOT NULL ORDER BY m.permission)
               END AS permissions
        FROM roles r
        """

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> RoleView? {
        try await tx.row("\(unescaped: Self.select) WHERE r.tenant_id = \(tenantID) AND r.id = \(id) AND r.deleted_at IS NULL", decoding: RoleView.self)
    }

    func list(_ filter: RoleFilter, page: PageRequest, in tx: DatabaseTransaction) async throws -> [RoleView] {
        try await tx.rows(
            """
            \(unescaped: Self.select) WHERE \(filter.condition)
            ORDER BY r.is_system DESC, r.code LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: RoleView.self)
    }

    func count(_ filter: RoleFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM roles r WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    func codeTaken(_ code: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value("SELECT 1 FROM roles WHERE tenant_id = \(tenantID) AND code = \(code) AND deleted_at IS NULL", as: Int.self) != nil
    }

    func insert(_ role: CreateRole, id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            INSERT INTO roles (tenant_id, id, code, name, description, data_scope, status)
            VALUES (\(tenantID), \(id), \(role.code), \(role.name), \(role.description), \((role.dataScope ?? .own).rawValue),
                    \((role.status ?? .active).rawValue))
            """)
    }

    /// Applies the fields given (nil: keep).
    func update(_ id: UUID, tenantID: UUID, _ change: UpdateRole, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE roles SET name = COALESCE(\(change.name), name), description = COALESCE(\(change.description), description),
                data_scope = COALESCE(\(change.dataScope?.rawValue), data_scope), status = COALESCE(\(change.status?.rawValue), status),
                updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(id)
            """)
    }

    /// Takes the role from its holders, drops its grants and soft-deletes it.
    func delete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("DELETE FROM user_roles WHERE tenant_id = \(tenantID) AND role_id = \(id)")
        try await removeMenus(of: id, tenantID: tenantID, in: tx)
        try await tx.run("UPDATE roles SET deleted_at = now(), status = 'disabled', updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id)")
    }

    func addMenus(_ menuIDs: [UUID], to roleID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("INSERT INTO role_menus (tenant_id, role_id, menu_id) SELECT \(tenantID), \(roleID), unnest(\(menuIDs)::uuid[])")
    }

    func removeMenus(of roleID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("DELETE FROM role_menus WHERE tenant_id = \(tenantID) AND role_id = \(roleID)")
    }

    struct RoleCode: Decodable, Sendable {
        var id: UUID
        var code: String
    }

    /// The live roles of the tenant among `roleIDs`.
    func codes(of roleIDs: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [RoleCode] {
        try await tx.rows(
            "SELECT id, code FROM roles WHERE tenant_id = \(tenantID) AND id = ANY(\(roleIDs)) AND deleted_at IS NULL", decoding: RoleCode.self)
    }

    /// The permission codes on the menus granted to any of `roleIDs`.
    func grantedPermissions(of roleIDs: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [String] {
        try await tx.rows(
            """
            SELECT DISTINCT m.permission FROM role_menus rm JOIN menus m ON m.id = rm.menu_id
            WHERE rm.tenant_id = \(tenantID) AND rm.role_id = ANY(\(roleIDs)) AND m.permission IS NOT NULL
            """, decoding: String.self)
    }

    struct MenuGrant: Decodable, Sendable {
        var id: UUID
        var code: String
        var permission: String?
        /// The permission's scope (`tenant` when the menu carries none).
        var scope: String
    }

    /// The menus among `menuIDs`, with what granting each would give.
    func menuGrants(_ menuIDs: [UUID], in tx: DatabaseTransaction) async throws -> [MenuGrant] {
        try await tx.rows(
            """
            SELECT m.id, m.code, m.permission, coalesce(p.scope, 'tenant') AS scope FROM menus m
            LEFT JOIN permissions p ON p.code = m.permission WHERE m.id = ANY(\(menuIDs))
            """, decoding: MenuGrant.self)
    }

    /// The permission codes on the menus among `menuIDs`.
    func menuPermissions(_ menuIDs: [UUID], in tx: DatabaseTransaction) async throws -> [String] {
        try await tx.rows("SELECT permission FROM menus WHERE id = ANY(\(menuIDs)) AND permission IS NOT NULL", decoding: String.self)
    }
}
