import Foundation
import PlatformDatabase
import PlatformSupport

/// Which catalog entries a list shows; the page and its count share it.
struct PermissionFilter: Sendable {
    var scope: PermissionScope?

    var condition: SQL {
        let level = scope?.rawValue
        return "(\(level)::text IS NULL OR scope = \(level))"
    }
}

/// Reads of the permission catalog (`permissions`, filled by migrations).
struct PermissionStore: Sendable {
    func list(_ filter: PermissionFilter, page: PageRequest, in tx: DatabaseTransaction) async throws -> [PermissionView] {
        try await tx.rows(
            """
            SELECT code, name, description, scope FROM permissions WHERE \(filter.condition)
            ORDER BY code LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: PermissionView.self)
    }

    func count(_ filter: PermissionFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM permissions WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    func exists(_ code: String, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value("SELECT 1 FROM permissions WHERE code = \(code)", as: Int.self) != nil
    }

    /// Every tenant-level code: what `super_admin` holds.
    func tenantCodes(in tx: DatabaseTransaction) async throws -> [String] {
        try await tx.rows("SELECT code FROM permissions WHERE scope = 'tenant'", decoding: String.self)
    }
}
