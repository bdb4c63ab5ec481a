import Foundation
import PlatformSupport
@testable import Tenancy
import Testing


@Suite("Menu tree and RBAC cache")
struct TenancyUnitTests {
    func menu(_ code: String, parent: UUID?, sort: Int = 0, type: String = "menu") -> MenuView {
        MenuView(
            id: UUID(), parentId: parent, code: code, name: code, type: MenuType(rawValue: type) ?? .menu, path: nil, icon: nil,
            component: nil, permission: type == "button" ? "x:y" : nil, sort: sort, visible: true, status: .active,
            createdAt: Date(), updatedAt: Date())
    }

    @Test func treeOrdersChildrenAndPromotesOrphans() {
        let root = menu("system", parent: nil, sort: 2)
        let other = menu("other", parent: nil, sort: 1)
        let users = menu("users", parent: root.id, sort: 2)
        let roles = menu("roles", parent: root.id, sort: 1)
        let button = menu("users:create", parent: users.id, type: "button")
        let orphan = menu("orphan", parent: UUID())
        let tree = MenuTreeNode.forest([button, users, roles, root, other, orphan])
        #expect(tree.map(\.menu.code) == ["orphan", "other", "system"])
        let system = tree[2]
        #expect(system.children.map(\.menu.code) == ["roles", "users"])
        #expect(system.children[1].children.map(\.menu.code) == ["users:create"])
        #expect(system.json["children"]?.arrayValue?.count == 2)
    }

    @Test func cacheInvalidation() {
        let cache = RBACCache()
        let tenant = UUID(), user = UUID(), role = UUID()
        cache.store(roles: [.init(id: role, code: "viewer", dataScope: .own)], tenantID: tenant, userID: user)
        cache.store(permissions: ["a:b"], tenantID: tenant, roleID: role)
        #expect(cache.roles(tenantID: tenant, userID: user)?.first?.code == "viewer")
        #expect(cache.roles(tenantID: UUID(), userID: user) == nil)
        cache.invalidateAll()
        #expect(cache.roles(tenantID: tenant, userID: user) == nil)
        #expect(cache.permissions(tenantID: tenant, roleID: role) == nil)
    }

    @Test func cacheEntriesExpire() async throws {
        let cache = RBACCache(maximumAge: .milliseconds(50))
        let tenant = UUID(), user = UUID()
        cache.store(roles: [], tenantID: tenant, userID: user)
        #expect(cache.roles(tenantID: tenant, userID: user) != nil)
        try await Task.sleep(for: .milliseconds(120))
        #expect(cache.roles(tenantID: tenant, userID: user) == nil)
    }
}

extension JSONValue {
    var arrayValue: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
}
