import Foundation
import PlatformSupport

/// A menu with its children, as `GET /menus/tree` and `/auth/profile` serve it.
struct MenuTreeNode: Sendable {
    var menu: MenuView
    var children: [MenuTreeNode]

    var json: JSONValue {
        var object = menu.jsonObject
        object["children"] = .array(children.map(\.json))
        return .object(object)
    }

    /// The forest of `menus`, ordered by sort then code; nodes whose parent is absent become roots.
    static func forest(_ menus: [MenuView]) -> [MenuTreeNode] {
        let ids = Set(menus.map(\.id))
        let children = Dictionary(grouping: menus.filter { $0.parentId.map(ids.contains) ?? false }, by: { $0.parentId })
        func build(_ menu: MenuView, depth: Int) -> MenuTreeNode {
            let kids = depth > 32 ? [] : (children[menu.id] ?? []).sorted { ($0.sort, $0.code) < ($1.sort, $1.code) }
            return MenuTreeNode(menu: menu, children: kids.map { build($0, depth: depth + 1) })
        }
        return menus.filter { $0.parentId.map { !ids.contains($0) } ?? true }
            .sorted { ($0.sort, $0.code) < ($1.sort, $1.code) }
            .map { build($0, depth: 0) }
    }
}
