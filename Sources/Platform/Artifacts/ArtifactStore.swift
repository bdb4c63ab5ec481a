import Foundation
import PlatformDatabase
import PlatformSupport

/// Which artifacts a list shows; the page and its count share it.
public struct ArtifactFilter: Sendable {
    public var tenantID: UUID
    public var taskID: UUID?
    public var type: ArtifactType?
    public var assetID: UUID?
    public var nodeKey: String?
    public var from: Date?
    public var to: Date?

    public init(tenantID: UUID, taskID: UUID? = nil, type: ArtifactType? = nil, assetID: UUID? = nil, nodeKey: String? = nil, from: Date? = nil, to: Date? = nil) {
        self.tenantID = tenantID
        self.taskID = taskID
        self.type = type
        self.assetID = assetID
        self.nodeKey = nodeKey
        self.from = from
        self.to = to
    }

    var condition: SQL {
        """
        tenant_id = \(tenantID) AND (\(taskID)::uuid IS NULL OR task_id = \(taskID)) AND (\(type?.rawValue)::text IS NULL OR type = \(type?.rawValue))
        AND (\(assetID)::uuid IS NULL OR asset_id = \(assetID)) AND (\(nodeKey)::text IS NULL OR node_key = \(nodeKey))
        AND (\(from)::timestamptz IS NULL OR created_at >= \(from)) AND (\(to)::timestamptz IS NULL OR created_at <= \(to))
        """
    }
}

/// Every statement on `artifacts`: the PostgreSQL `ArtifactRecorder`, plus the reads and
/// deletes the artifact routes need.
public struct ArtifactStore: ArtifactRecorder {
    static let columns =
        "id, tenant_id, task_id, type, asset_id, node_key, data, blob_sha256, blob_size, blob_content_type, blob_filename, created_at, updated_at"

    public init() {}

    public func record(_ artifact: NewArtifact, tenantID: UUID, in tx: DatabaseTransaction) async throws -> ArtifactRecord {
        if let nodeKey = artifact.nodeKey, nodeKey.isEmpty || nodeKey.count > 200 {
            throw ArtifactRecorderError.invalid(field: "node_key", reason: "must be 1-200 characters")
        }
        if let blob = artifact.blob, blob.sha256.wholeMatch(of: /[0-9a-f]{64}/) == nil {
            throw ArtifactRecorderError.invalid(field: "blob.sha256", reason: "must be a lowercase hex SHA-256")
        }
        guard try await taskExists(artifact.taskID, tenantID: tenantID, in: tx) else { throw ArtifactRecorderError.taskNotFound(artifact.taskID) }
        let data = String(decoding: try PlatformJSON.makeEncoder().encode(artifact.data), as: UTF8.self)
        guard let record = try await tx.row(
            """
            INSERT INTO artifacts (tenant_id, id, task_id, type, asset_id, node_key, data, blob_sha256, blob_size, blob_content_type, blob_filename)
            VALUES (\(tenantID), \(UUID.v7()), \(artifact.taskID), \(artifact.type.rawValue), \(artifact.assetID), \(artifact.nodeKey), \(data)::jsonb,
                    \(artifact.blob?.sha256), \(artifact.blob?.size), \(artifact.blob?.contentType), \(artifact.blob?.filename))
            RETURNING \(unescaped: Self.columns)
            """, decoding: ArtifactRecord.self)
        else { throw ArtifactRecorderError.taskNotFound(artifact.taskID) }
        var event: [String: JSONValue] = [
            "artifact_id": .string(record.id.uuidString.lowercased()), "task_id": .string(record.taskId.uuidString.lowercased()),
            "type": .string(record.type.rawValue),
        ]
        if let asset = record.assetId { event["asset_id"] = .string(asset.uuidString.lowercased()) }
        if let node = record.nodeKey { event["node_key"] = .string(node) }
        try await EventBus.publish(PlatformEvent(type: "artifact.created", tenantId: tenantID, subjectId: record.taskId, data: .object(event)), in: tx)
        return record
    }

    public func artifacts(ofTask taskID: UUID, tenantID: UUID, type: ArtifactType?, in tx: DatabaseTransaction) async throws -> [ArtifactRecord] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM artifacts
            WHERE \(ArtifactFilter(tenantID: tenantID, taskID: taskID, type: type).condition) ORDER BY id
            """, decoding: ArtifactRecord.self)
    }

    /// Whether `taskID` is a live task of the tenant that the transaction's caller may see.
    public func taskExists(_ taskID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value("SELECT true FROM tasks WHERE tenant_id = \(tenantID) AND id = \(taskID) AND deleted_at IS NULL", as: Bool.self) == true
    }

    public func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> ArtifactRecord? {
        try await tx.row("SELECT \(unescaped: Self.columns) FROM artifacts WHERE tenant_id = \(tenantID) AND id = \(id)", decoding: ArtifactRecord.self)
    }

    /// Newest first.
    public func list(_ filter: ArtifactFilter, limit: Int, offset: Int, in tx: DatabaseTransaction) async throws -> [ArtifactRecord] {
        try await tx.rows(
            "SELECT \(unescaped: Self.columns) FROM artifacts WHERE \(filter.condition) ORDER BY id DESC LIMIT \(limit) OFFSET \(offset)",
            decoding: ArtifactRecord.self)
    }

    public func count(_ filter: ArtifactFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM artifacts WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    /// Deletes an artifact; its blob reference goes with it (the storage sweep removes the blob
    /// once nothing else holds it). False when there was none.
    public func delete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.run("DELETE FROM artifacts WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING id") > 0
    }

    /// Deletes every artifact of a task; returns how many.
    public func deleteAll(ofTask taskID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.run("DELETE FROM artifacts WHERE tenant_id = \(tenantID) AND task_id = \(taskID) RETURNING id")
    }
}
