import Foundation
import PlatformDatabase
import PlatformSupport

/// Which menus a list shows; the page and its count share it.
struct MenuFilter: Sendable {
    var type: MenuType?

    var condition: SQL {
        let kind = type?.rawValue
        return "(\(kind)::text IS NULL OR type = \(kind))"
    }
}

/// Every statement on `menus`: one tree for every tenant, changed only in the platform scope.
struct MenuStore: Sendable {
    static let columns = "id, parent_id, code, name, type, path, icon, component, permission, sort, visible, status, created_at, updated_at"

    func all(in tx: DatabaseTransaction) async throws -> [MenuView] {
        try await tx.rows("SELECT \(unescaped: Self.columns) FROM menus ORDER BY sort, code", decoding: MenuView.self)
    }

    func find(_ id: UUID, in tx: DatabaseTransaction) async throws -> MenuView? {
        try await tx.row("SELECT \(unescaped: Self.columns) FROM menus WHERE id = \(id)", decoding: MenuView.self)
    }

    func list(_ filter: MenuFilter, page: PageRequest, in tx: DatabaseTransaction) async throws -> [MenuView] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM menus WHERE \(filter.condition)
            ORDER BY sort, code LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: MenuView.self)
    }

    func count(_ filter: MenuFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM menus WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    func insert(_ menu: CreateMenu, id: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            INSERT INTO menus (id, parent_id, code, name, type, path, icon, component, permission, sort, visible, status)
            VALUES (\(id), \(menu.parentId), \(menu.code), \(menu.name), \(menu.type.rawValue), \(menu.path), \(menu.icon),
                    \(menu.component), \(menu.permission), \(menu.sort ?? 0), \(menu.visible ?? true), \((menu.status ?? .active).rawValue))
            """)
    }

    /// Applies the fields given (nil: keep).
    func update(_ id: UUID, _ change: UpdateMenu, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE menus SET parent_id = COALESCE(\(change.parentId), parent_id), name = COALESCE(\(change.name), name),
                path = COALESCE(\(change.path), path), icon = COALESCE(\(change.icon), icon),
                component = COALESCE(\(change.component), component), permission = COALESCE(\(change.permission), permission),
                sort = COALESCE(\(change.sort), sort), visible = COALESCE(\(change.visible), visible),
                status = COALESCE(\(change.status?.rawValue), status), updated_at = now()
            WHERE id = \(id)
            """)
    }

    func hasChildren(_ id: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value("SELECT 1 FROM menus WHERE parent_id = \(id) LIMIT 1", as: Int.self) != nil
    }

    func delete(_ id: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("DELETE FROM menus WHERE id = \(id)")
    }
}
