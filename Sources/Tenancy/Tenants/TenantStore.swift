import Foundation
import PlatformDatabase
import PlatformSupport

/// Which tenants a list shows; the page and its count share it.
struct TenantFilter: Sendable {
    var status: TenantStatus?
    /// Matched as a substring of the code or name (only `%` is escaped, as before).
    var search: String?

    var condition: SQL {
        let state = status?.rawValue
        let pattern = search.map { "%" + $0.replacingOccurrences(of: "%", with: "\\%") + "%" }
        return """
            deleted_at IS NULL AND (\(state)::text IS NULL OR status = \(state))
              AND (\(pattern)::text IS NULL OR code ILIKE \(pattern) OR name ILIKE \(pattern))
            """
    }
}

/// Every statement on `tenants`; all of them run in the platform scope.
struct TenantStore: Sendable {
    static let columns = "id, code, name, status, plan, settings, created_at, updated_at"

    func find(_ id: UUID, in tx: DatabaseTransaction) async throws -> TenantView? {
        try await tx.row("SELECT \(unescaped: Self.columns) FROM tenants WHERE id = \(id) AND deleted_at IS NULL", decoding: TenantView.self)
    }

    func list(_ filter: TenantFilter, page: PageRequest, in tx: DatabaseTransaction) async throws -> [TenantView] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM tenants WHERE \(filter.condition)
            ORDER BY created_at, id LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: TenantView.self)
    }

    func count(_ filter: TenantFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM tenants WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    func codeTaken(_ code: String, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value("SELECT 1 FROM tenants WHERE code = \(code) AND deleted_at IS NULL", as: Int.self) != nil
    }

    /// The active tenant with `code`, if any.
    func activeTenantID(code: String, in tx: DatabaseTransaction) async throws -> UUID? {
        try await tx.value("SELECT id FROM tenants WHERE code = \(code) AND status = 'active' AND deleted_at IS NULL", as: UUID.self)
    }

    /// A new tenant with its default roles (`app.ensure_default_roles`). `settings` is JSON text.
    func name(of id: UUID, in tx: DatabaseTransaction) async throws -> String? {
        try await tx.value("SELECT name FROM tenants WHERE id = \(id)", as: String.self)
    }

    func plan(of id: UUID, in tx: DatabaseTransaction) async throws -> String? {
        try await tx.value("SELECT plan FROM tenants WHERE id = \(id)", as: String.self)
    }

    func isActiveMember(_ userID: UUID, of tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value(
            "SELECT 1 FROM tenant_memberships WHERE tenant_id = \(tenantID) AND user_id = \(userID) AND status = 'active'", as: Int.self) != nil
    }

    func insert(id: UUID, code: String, name: String, plan: String, settings: String, in tx: DatabaseTransaction) async throws {
        try await tx.run("INSERT INTO tenants (id, code, name, plan, settings) VALUES (\(id), \(code), \(name), \(plan), \(settings)::jsonb)")
        try await tx.run("SELECT app.ensure_default_roles(\(id))")
    }

    /// Applies the fields given (nil: keep). `settings` is JSON text.
    func update(_ id: UUID, name: String?, status: TenantStatus?, plan: String?, settings: String?, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE tenants SET name = COALESCE(\(name), name), status = COALESCE(\(status?.rawValue), status),
                plan = COALESCE(\(plan), plan), settings = COALESCE(\(settings)::jsonb, settings), updated_at = now()
            WHERE id = \(id)
            """)
    }

    func softDelete(_ id: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE tenants SET deleted_at = now(), status = 'suspended', updated_at = now() WHERE id = \(id)")
    }
}
