import Foundation
import PlatformDatabase
import PlatformSupport

struct SourceFilter: Sendable {
    var tenantID: UUID
    var type: SourceType?
    var `protocol`: SourceProtocol?
    var enabled: Bool?
    var search: String?

    var condition: SQL {
        let pattern = search.map { "%" + AssetFilter.escapeLike($0) + "%" }
        return """
            s.tenant_id = \(tenantID) AND s.deleted_at IS NULL AND (\(type?.rawValue)::text IS NULL OR s.type = \(type?.rawValue))
            AND (\(self.protocol?.rawValue)::text IS NULL OR s.protocol = \(self.protocol?.rawValue)) AND (\(enabled)::boolean IS NULL OR s.enabled = \(enabled))
            AND (\(pattern)::text IS NULL OR s.name ILIKE \(pattern) OR s.path_name ILIKE \(pattern))
            """
    }
}

/// A source's columns after validation (create: all set; update: the merged result).
struct SourceFields: Sendable {
    var name: String
    var pathName: String
    var type: SourceType
    var url: String?
    var `protocol`: SourceProtocol?
    var enabled: Bool
    var recordEnabled: Bool
    var visibility: RowVisibility
    var visibleRoleIDs: [UUID]
    var visibilityAsInteger: Bool
}

/// Every statement on `media_sources`.
struct SourceStore: Sendable {
    static let columns = """
        s.id, s.tenant_id, s.owner_id, s.visibility::text AS visibility, s.visible_role_ids, s.visibility_as_integer, s.name, s.path_name, s.type,
        s.url, s.protocol, s.enabled, s.record_enabled, s.probe, s.probed_at, s.created_at, s.updated_at
        """

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredSource? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM media_sources s WHERE s.tenant_id = \(tenantID) AND s.id = \(id) AND s.deleted_at IS NULL",
            decoding: StoredSource.self)
    }

    func list(_ filter: SourceFilter, limit: Int, offset: Int, in tx: DatabaseTransaction) async throws -> [StoredSource] {
        try await tx.rows(
            "SELECT \(unescaped: Self.columns) FROM media_sources s WHERE \(filter.condition) ORDER BY s.created_at DESC, s.id DESC LIMIT \(limit) OFFSET \(offset)",
            decoding: StoredSource.self)
    }

    func count(_ filter: SourceFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM media_sources s WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    func pathNameTaken(_ pathName: String, except id: UUID?, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value(
            """
            SELECT EXISTS (SELECT 1 FROM media_sources WHERE tenant_id = \(tenantID) AND path_name = \(pathName) AND deleted_at IS NULL
                           AND (\(id)::uuid IS NULL OR id <> \(id)))
            """, as: Bool.self) ?? false
    }

    func insert(_ fields: SourceFields, id: UUID, tenantID: UUID, ownerID: UUID?, in tx: DatabaseTransaction) async throws -> StoredSource? {
        try await tx.row(
            """
            WITH s AS (
                INSERT INTO media_sources (tenant_id, id, owner_id, visibility, visible_role_ids, visibility_as_integer, name, path_name, type, url,
                    protocol, enabled, record_enabled)
                VALUES (\(tenantID), \(id), \(ownerID), \(fields.visibility.rawValue)::visibility, \(fields.visibleRoleIDs), \(fields.visibilityAsInteger),
                    \(fields.name), \(fields.pathName), \(fields.type.rawValue), \(fields.url), \(fields.protocol?.rawValue), \(fields.enabled),
                    \(fields.recordEnabled))
                ON CONFLICT (tenant_id, path_name) WHERE deleted_at IS NULL DO NOTHING
                RETURNING *
            )
            SELECT \(unescaped: Self.columns) FROM s
            """, decoding: StoredSource.self)
    }

    func update(_ id: UUID, tenantID: UUID, _ fields: SourceFields, in tx: DatabaseTransaction) async throws -> StoredSource? {
        try await tx.row(
            """
            WITH s AS (
                UPDATE media_sources SET name = \(fields.name), path_name = \(fields.pathName), type = \(fields.type.rawValue), url = \(fields.url),
                    protocol = \(fields.protocol?.rawValue), enabled = \(fields.enabled), record_enabled = \(fields.recordEnabled),
                    visibility = \(fields.visibility.rawValue)::visibility, visible_role_ids = \(fields.visibleRoleIDs),
                    visibility_as_integer = \(fields.visibilityAsInteger), updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL RETURNING *
            )
            SELECT \(unescaped: Self.columns) FROM s
            """, decoding: StoredSource.self)
    }

    func recordProbe(_ id: UUID, tenantID: UUID, probe: JSONValue, in tx: DatabaseTransaction) async throws -> StoredSource? {
        let text = try PlatformJSON.text(probe)
        return try await tx.row(
            """
            WITH s AS (
                UPDATE media_sources SET probe = \(text)::jsonb, probed_at = now(), updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL RETURNING *
            )
            SELECT \(unescaped: Self.columns) FROM s
            """, decoding: StoredSource.self)
    }

    func softDelete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE media_sources SET deleted_at = now(), updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id)")
    }
}
