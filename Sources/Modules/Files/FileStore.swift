import Foundation
import PlatformDatabase
import PlatformSupport

/// Which files a list shows; the page and its count share it.
struct FileFilter: Sendable {
    var tenantID: UUID
    /// Part of the name (matched as a substring, case-insensitively).
    var search: String?
    /// An exact type, or a prefix ending in `/`.
    var contentType: String?
    var sha256: String?

    var condition: SQL {
        let pattern = search.map { "%" + Self.escapeLike($0) + "%" }
        let typePrefix = contentType.flatMap { $0.hasSuffix("/") ? $0 : nil }
        let exactType = contentType.flatMap { $0.hasSuffix("/") ? nil : $0 }
        let sha = sha256?.lowercased()
        return """
            tenant_id = \(tenantID) AND deleted_at IS NULL
            AND (\(pattern)::text IS NULL OR name ILIKE \(pattern)) AND (\(exactType)::text IS NULL OR content_type = \(exactType))
            AND (\(typePrefix)::text IS NULL OR starts_with(content_type, \(typePrefix))) AND (\(sha)::text IS NULL OR sha256 = \(sha))
            """
    }

    static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}

/// The fields an update may change (nil: keep).
struct FileChange: Sendable {
    var name: String?
    var description: String?
    var visibility: RowVisibility?
    var metadata: JSONValue?
}

/// Every statement on `files`.
struct FileStore: Sendable {
    static let columns = "id, name, content_type, size, sha256, description, visibility::text AS visibility, owner_id, metadata, created_at, updated_at"

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredFile? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM files WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL", decoding: StoredFile.self)
    }

    func list(_ filter: FileFilter, page: PageRequest, in tx: DatabaseTransaction) async throws -> [StoredFile] {
        try await tx.rows(
            "SELECT \(unescaped: Self.columns) FROM files WHERE \(filter.condition) ORDER BY id DESC LIMIT \(page.limit) OFFSET \(page.offset)",
            decoding: StoredFile.self)
    }

    func count(_ filter: FileFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM files WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    /// Bytes the tenant stores, each distinct content counted once.
    func storedBytes(tenantID: UUID, in tx: DatabaseTransaction) async throws -> Int64 {
        try await tx.value(
            "SELECT coalesce(sum(size), 0)::int8 FROM (SELECT DISTINCT sha256, size FROM files WHERE tenant_id = \(tenantID) AND deleted_at IS NULL) d",
            as: Int64.self) ?? 0
    }

    struct NewFile: Sendable {
        var name: String
        var contentType: String
        var size: Int64
        var sha256: String
        var description: String?
        var visibility: RowVisibility
    }

    func insert(_ file: NewFile, id: UUID, tenantID: UUID, ownerID: UUID, in tx: DatabaseTransaction) async throws -> StoredFile? {
        try await tx.row(
            """
            INSERT INTO files (tenant_id, id, owner_id, visibility, name, content_type, size, sha256, description)
            VALUES (\(tenantID), \(id), \(ownerID), \(file.visibility.rawValue)::visibility, \(file.name), \(file.contentType),
                    \(file.size), \(file.sha256), \(file.description))
            RETURNING \(unescaped: Self.columns)
            """, decoding: StoredFile.self)
    }

    /// Applies `change`; nil when the file is gone.
    func update(_ id: UUID, tenantID: UUID, _ change: FileChange, in tx: DatabaseTransaction) async throws -> StoredFile? {
        try await tx.row(
            """
            UPDATE files SET name = coalesce(\(change.name), name), description = coalesce(\(change.description), description),
                   visibility = coalesce(\(change.visibility?.rawValue)::visibility, visibility),
                   metadata = coalesce(\(try PlatformJSON.text(change.metadata))::jsonb, metadata), updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING \(unescaped: Self.columns)
            """, decoding: StoredFile.self)
    }

    func softDelete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE files SET deleted_at = now(), updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id)")
    }

    /// What the integrations report shows: live files and their total size.
    struct Usage: Decodable, Sendable {
        var files: Int
        var bytes: Int64
    }

    func usage(tenantID: UUID, in tx: DatabaseTransaction) async throws -> Usage? {
        try await tx.row(
            "SELECT count(*)::int AS files, coalesce(sum(size), 0)::int8 AS bytes FROM files WHERE tenant_id = \(tenantID) AND deleted_at IS NULL",
            decoding: Usage.self)
    }
}
