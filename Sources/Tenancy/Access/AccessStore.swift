import Foundation
import PlatformDatabase
import PlatformSupport

/// The reads that resolve a member's access, and the notification that tells every instance
/// an RBAC change happened.
struct AccessStore: Sendable {
    /// The channel `RBACChangeListener` listens on.
    static let changeChannel = "rbac_changed"

    /// Publishes an RBAC change: delivered to every instance when the transaction commits (and
    /// not at all if it rolls back).
    func publishChange(in tx: DatabaseTransaction) async throws {
        try await tx.run("SELECT pg_notify('rbac_changed', '')")
    }

    /// The member's enabled, live roles in the tenant.
    func roles(userID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [RBACCache.Role] {
        try await tx.rows(
            """
            SELECT r.id, r.code, r.data_scope FROM user_roles ur
            JOIN roles r ON r.tenant_id = ur.tenant_id AND r.id = ur.role_id
            WHERE ur.tenant_id = \(tenantID) AND ur.user_id = \(userID) AND r.status = 'active' AND r.deleted_at IS NULL
            ORDER BY r.code
            """, decoding: RBACCache.Role.self)
    }

    /// The tenant-level permission codes on the active buttons of the menus granted to the role.
    func permissions(roleID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [String] {
        try await tx.rows(
            """
            SELECT m.permission FROM role_menus rm JOIN menus m ON m.id = rm.menu_id
            JOIN permissions p ON p.code = m.permission
            WHERE rm.tenant_id = \(tenantID) AND rm.role_id = \(roleID) AND m.type = 'button' AND m.status = 'active'
              AND p.scope = 'tenant'
            """, decoding: String.self)
    }

    /// The menus granted to any of the roles.
    func grantedMenuIDs(roleIDs: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [UUID] {
        try await tx.rows(
            "SELECT DISTINCT menu_id FROM role_menus WHERE tenant_id = \(tenantID) AND role_id = ANY(\(roleIDs))", decoding: UUID.self)
    }
}
