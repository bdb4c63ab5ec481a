import Foundation
import PlatformDatabase
import PlatformSupport

/// A member's access: their enabled roles in the tenant, the permission codes on the buttons
/// of the menus those roles are granted (`super_admin`: every tenant permission), and the
/// widest data scope among the roles.
public struct TenancyAccessResolver: AccessResolver {
    let cache: RBACCache
    let store = AccessStore()

    public init(cache: RBACCache) {
        self.cache = cache
    }

    public func access(userID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> ResolvedAccess {
        let roles: [RBACCache.Role]
        if let cached = cache.roles(tenantID: tenantID, userID: userID) {
            roles = cached
        } else {
            roles = try await store.roles(userID: userID, tenantID: tenantID, in: tx)
            cache.store(roles: roles, tenantID: tenantID, userID: userID)
        }
        var permissions = Set<String>()
        for role in roles {
            permissions.formUnion(try await self.permissions(of: role, tenantID: tenantID, in: tx))
        }
        return ResolvedAccess(
            roleIDs: roles.map(\.id), roleCodes: roles.map(\.code), permissions: permissions,
            dataScope: roles.contains { $0.dataScope == .all } ? .all : .own)
    }

    public func cachedAccess(userID: UUID, tenantID: UUID) -> ResolvedAccess? {
        guard let roles = cache.roles(tenantID: tenantID, userID: userID) else { return nil }
        var permissions = Set<String>()
        for role in roles {
            if role.code == "super_admin" {
                guard let all = cache.tenantPermissionCodes else { return nil }
                permissions.formUnion(all)
            } else {
                guard let granted = cache.permissions(tenantID: tenantID, roleID: role.id) else { return nil }
                permissions.formUnion(granted)
            }
        }
        return ResolvedAccess(
            roleIDs: roles.map(\.id), roleCodes: roles.map(\.code), permissions: permissions,
            dataScope: roles.contains { $0.dataScope == .all } ? .all : .own)
    }

    func permissions(of role: RBACCache.Role, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Set<String> {
        if role.code == "super_admin" { return try await tenantPermissionCodes(in: tx) }
        if let cached = cache.permissions(tenantID: tenantID, roleID: role.id) { return cached }
        let rows = try await store.permissions(roleID: role.id, tenantID: tenantID, in: tx)
        let codes = Set(rows)
        cache.store(permissions: codes, tenantID: tenantID, roleID: role.id)
        return codes
    }

    func tenantPermissionCodes(in tx: DatabaseTransaction) async throws -> Set<String> {
        if let cached = cache.tenantPermissionCodes { return cached }
        let rows = try await PermissionStore().tenantCodes(in: tx)
        let codes = Set(rows)
        cache.store(tenantPermissionCodes: codes)
        return codes
    }

    public func menuTree(userID: UUID, tenantID: UUID, isPlatformAdmin: Bool, in tx: DatabaseTransaction) async throws -> [JSONValue] {
        let resolved = try await access(userID: userID, tenantID: tenantID, in: tx)
        let menus = try await MenuStore().all(in: tx)
        let visible: [MenuView]
        if isPlatformAdmin || resolved.roleCodes.contains("super_admin") {
            visible = menus.filter { menu in
                isPlatformAdmin || !(menu.code.hasPrefix("platform") || menu.permission?.hasPrefix("platform:") == true)
            }
        } else {
            let grantedRows = try await store.grantedMenuIDs(roleIDs: resolved.roleIDs, tenantID: tenantID, in: tx)
            let granted = Set(grantedRows)
            // A granted menu brings its ancestors, so the tree stays connected.
            let byID = Dictionary(uniqueKeysWithValues: menus.map { ($0.id, $0) })
            var keep = Set<UUID>()
            for id in granted {
                var current: UUID? = id
                while let node = current, !keep.contains(node) {
                    keep.insert(node)
                    current = byID[node]?.parentId
                }
            }
            visible = menus.filter { keep.contains($0.id) }
        }
        return MenuTreeNode.forest(visible.filter { $0.status == .active }).map(\.json)
    }
}
