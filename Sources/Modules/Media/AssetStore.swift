import Foundation
import PlatformDatabase
import PlatformSupport

/// Which assets a list shows; the page and its count share it.
struct AssetFilter: Sendable {
    var tenantID: UUID
    var type: AssetType?
    var status: AssetStatus?
    var sourceType: AssetSourceType?
    var sourceID: UUID?
    var parentID: UUID?
    var tags: [String] = []
    var from: Date?
    var to: Date?
    var search: String?

    var condition: SQL {
        let pattern = search.map { "%" + Self.escapeLike($0) + "%" }
        return """
            a.tenant_id = \(tenantID) AND a.deleted_at IS NULL
            AND (\(type?.rawValue)::text IS NULL OR a.asset_type = \(type?.rawValue))
            AND (\(status?.rawValue)::text IS NULL OR a.status = \(status?.rawValue))
            AND (\(sourceType?.rawValue)::text IS NULL OR a.source_type = \(sourceType?.rawValue))
            AND (\(sourceID)::uuid IS NULL OR a.source_id = \(sourceID)) AND (\(parentID)::uuid IS NULL OR a.parent_id = \(parentID))
            AND a.tags @> \(tags)::text[]
            AND (\(from)::timestamptz IS NULL OR a.created_at >= \(from)) AND (\(to)::timestamptz IS NULL OR a.created_at <= \(to))
            AND (\(pattern)::text IS NULL OR a.name ILIKE \(pattern) OR a.description ILIKE \(pattern) OR a.original_filename ILIKE \(pattern))
            """
    }

    static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}

/// A new asset's columns.
struct NewAsset: Sendable {
    var name: String
    var description: String?
    var assetType: AssetType
    var sourceType: AssetSourceType
    var sourceID: UUID?
    var parentID: UUID?
    var fileID: UUID?
    var storagePath: String?
    var fileHash: String?
    var originalFilename: String?
    var size: Int64
    var format: String?
    var durationSeconds: Double?
    var metadata: JSONValue
    var status: AssetStatus
    var tags: [String]
    var source: String?
    var visibility: RowVisibility
    var visibleRoleIDs: [UUID]
    var visibilityAsInteger: Bool
}

/// What an update changes (nil: kept).
struct AssetChange: Sendable {
    var name: String?
    var description: String?
    var assetType: AssetType?
    var status: AssetStatus?
    var statusReason: String?
    var metadata: JSONValue?
    var tags: [String]?
    var source: String?
    var format: String?
    var durationSeconds: Double?
    var visibility: RowVisibility?
    var visibleRoleIDs: [UUID]?
    var visibilityAsInteger: Bool?
}

/// Every statement on `media_assets`.
struct AssetStore: Sendable {
    static let columns = """
        a.id, a.tenant_id, a.owner_id, a.visibility::text AS visibility, a.visible_role_ids, a.visibility_as_integer, a.name, a.description,
        a.asset_type, a.source_type, a.source_id, a.parent_id, a.file_id, a.storage_path, a.file_hash, a.original_filename, a.size, a.format,
        a.duration_seconds, a.metadata, a.status, a.status_reason, a.tags, a.source, a.created_at, a.updated_at
        """

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredAsset? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM media_assets a WHERE a.tenant_id = \(tenantID) AND a.id = \(id) AND a.deleted_at IS NULL",
            decoding: StoredAsset.self)
    }

    /// Serialises imports of the same content in the tenant until the transaction ends, so two
    /// of them cannot both miss the other's asset and record a file each.
    func lockHash(_ hash: String, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("SELECT pg_advisory_xact_lock(hashtextextended(\(tenantID.uuidString + ":" + hash), 0))")
    }

    /// The tenant's live assets among `ids`.
    func findAll(_ ids: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [StoredAsset] {
        try await tx.rows(
            "SELECT \(unescaped: Self.columns) FROM media_assets a WHERE a.tenant_id = \(tenantID) AND a.id = ANY(\(ids)) AND a.deleted_at IS NULL",
            decoding: StoredAsset.self)
    }

    /// The caller's tenant's asset, or another tenant's public one (row-level security admits
    /// exactly those); own rows first.
    func findReadable(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredAsset? {
        try await tx.row(
            """
            SELECT \(unescaped: Self.columns) FROM media_assets a
            WHERE a.id = \(id) AND a.deleted_at IS NULL AND (a.tenant_id = \(tenantID) OR a.visibility = 'public')
            ORDER BY (a.tenant_id = \(tenantID)) DESC LIMIT 1
            """, decoding: StoredAsset.self)
    }

    /// A public asset of any tenant (for anonymous readers).
    func findPublic(_ id: UUID, in tx: DatabaseTransaction) async throws -> StoredAsset? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM media_assets a WHERE a.id = \(id) AND a.visibility = 'public' AND a.deleted_at IS NULL LIMIT 1",
            decoding: StoredAsset.self)
    }

    func findByHash(_ hash: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredAsset? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM media_assets a WHERE a.tenant_id = \(tenantID) AND a.file_hash = \(hash) AND a.deleted_at IS NULL",
            decoding: StoredAsset.self)
    }

    /// Newest first.
    func list(_ filter: AssetFilter, limit: Int, offset: Int, in tx: DatabaseTransaction) async throws -> [StoredAsset] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM media_assets a WHERE \(filter.condition)
            ORDER BY a.created_at DESC, a.id DESC LIMIT \(limit) OFFSET \(offset)
            """, decoding: StoredAsset.self)
    }

    func count(_ filter: AssetFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM media_assets a WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    func tags(tenantID: UUID, type: AssetType?, in tx: DatabaseTransaction) async throws -> [TagCount] {
        try await tx.rows(
            """
            SELECT t.tag, count(*)::int AS count FROM media_assets a CROSS JOIN LATERAL unnest(a.tags) AS t(tag)
            WHERE a.tenant_id = \(tenantID) AND a.deleted_at IS NULL AND (\(type?.rawValue)::text IS NULL OR a.asset_type = \(type?.rawValue))
            GROUP BY t.tag ORDER BY count(*) DESC, t.tag
            """, decoding: TagCount.self)
    }

    func hasChildren(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value(
            "SELECT EXISTS (SELECT 1 FROM media_assets WHERE tenant_id = \(tenantID) AND parent_id = \(id) AND deleted_at IS NULL)", as: Bool.self) ?? false
    }

    /// Inserts the asset; nil when a live asset of the tenant already has its file hash (the
    /// caller then answers with that one).
    func insert(_ asset: NewAsset, id: UUID, tenantID: UUID, ownerID: UUID?, in tx: DatabaseTransaction) async throws -> StoredAsset? {
        let metadata = try PlatformJSON.text(asset.metadata)
        return try await tx.row(
            """
            WITH a AS (
                INSERT INTO media_assets (tenant_id, id, owner_id, visibility, visible_role_ids, visibility_as_integer, name, description, asset_type,
                    source_type, source_id, parent_id, file_id, storage_path, file_hash, original_filename, size, format, duration_seconds,
                    metadata, status, tags, source)
                VALUES (\(tenantID), \(id), \(ownerID), \(asset.visibility.rawValue)::visibility, \(asset.visibleRoleIDs), \(asset.visibilityAsInteger),
                    \(asset.name), \(asset.description), \(asset.assetType.rawValue), \(asset.sourceType.rawValue), \(asset.sourceID), \(asset.parentID),
                    \(asset.fileID), \(asset.storagePath), \(asset.fileHash), \(asset.originalFilename), \(asset.size), \(asset.format),
                    \(asset.durationSeconds), coalesce(\(metadata)::jsonb, '{}'::jsonb), \(asset.status.rawValue), \(asset.tags), \(asset.source))
                ON CONFLICT (tenant_id, file_hash) WHERE deleted_at IS NULL AND file_hash IS NOT NULL DO NOTHING
                RETURNING *
            )
            SELECT \(unescaped: Self.columns) FROM a
            """, decoding: StoredAsset.self)
    }

    func update(_ id: UUID, tenantID: UUID, _ change: AssetChange, in tx: DatabaseTransaction) async throws -> StoredAsset? {
        let metadata = try PlatformJSON.text(change.metadata)
        return try await tx.row(
            """
            WITH a AS (
                UPDATE media_assets SET name = coalesce(\(change.name), name), description = coalesce(\(change.description), description),
                    asset_type = coalesce(\(change.assetType?.rawValue), asset_type), status = coalesce(\(change.status?.rawValue), status),
                    status_reason = CASE WHEN \(change.status?.rawValue)::text IS NULL THEN status_reason ELSE \(change.statusReason) END,
                    metadata = coalesce(\(metadata)::jsonb, metadata), tags = coalesce(\(change.tags)::text[], tags),
                    source = coalesce(\(change.source), source), format = coalesce(\(change.format), format),
                    duration_seconds = coalesce(\(change.durationSeconds), duration_seconds),
                    visibility = coalesce(\(change.visibility?.rawValue)::visibility, visibility),
                    visible_role_ids = coalesce(\(change.visibleRoleIDs)::uuid[], visible_role_ids),
                    visibility_as_integer = coalesce(\(change.visibilityAsInteger), visibility_as_integer), updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL
                RETURNING *
            )
            SELECT \(unescaped: Self.columns) FROM a
            """, decoding: StoredAsset.self)
    }

    /// What ffprobe found: metadata merged in, duration and format set, status ready.
    func markProbed(_ id: UUID, tenantID: UUID, metadata: JSONValue, duration: Double?, format: String?, in tx: DatabaseTransaction) async throws -> StoredAsset? {
        let text = try PlatformJSON.text(metadata)
        return try await tx.row(
            """
            WITH a AS (
                UPDATE media_assets SET metadata = metadata || coalesce(\(text)::jsonb, '{}'::jsonb),
                    duration_seconds = coalesce(\(duration), duration_seconds), format = coalesce(format, \(format)),
                    status = 'ready', status_reason = NULL, updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL RETURNING *
            )
            SELECT \(unescaped: Self.columns) FROM a
            """, decoding: StoredAsset.self)
    }

    func markFailed(_ id: UUID, tenantID: UUID, reason: String, in tx: DatabaseTransaction) async throws -> StoredAsset? {
        try await tx.row(
            """
            WITH a AS (
                UPDATE media_assets SET status = 'failed', status_reason = \(reason), updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL RETURNING *
            )
            SELECT \(unescaped: Self.columns) FROM a
            """, decoding: StoredAsset.self)
    }

    func markProcessing(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE media_assets SET status = 'processing', updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL")
    }

    func softDelete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE media_assets SET deleted_at = now(), updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id)")
    }

    /// Whether live assets reference a media source.
    func sourceInUse(_ sourceID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value(
            "SELECT EXISTS (SELECT 1 FROM media_assets WHERE tenant_id = \(tenantID) AND source_id = \(sourceID) AND deleted_at IS NULL)",
            as: Bool.self) ?? false
    }

    func publish(_ asset: StoredAsset, _ type: String, in tx: DatabaseTransaction) async throws {
        var data: [String: JSONValue] = [
            "asset_id": .string(asset.id.uuidString.lowercased()), "name": .string(asset.name), "asset_type": .string(asset.assetType.rawValue),
            "status": .string(asset.status.rawValue), "source_type": .string(asset.sourceType.rawValue),
        ]
        if let hash = asset.fileHash { data["file_hash"] = .string(hash) }
        if let reason = asset.statusReason { data["reason"] = .string(reason) }
        if let parent = asset.parentId { data["parent_id"] = .string(parent.uuidString.lowercased()) }
        try await EventBus.publish(PlatformEvent(type: type, tenantId: asset.tenantId, subjectId: asset.id, data: .object(data)), in: tx)
    }
}
