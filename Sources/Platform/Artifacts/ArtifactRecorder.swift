import Foundation
import PlatformDatabase
import PlatformSupport

/// What a task produced (GoyaVision's artifact types).
public enum ArtifactType: String, Codable, Sendable, CaseIterable, SchemaEnum {
    case asset, result, timeline, report
}

/// A blob in the tenant's content-addressed storage that an artifact holds on to: while the
/// artifact exists the blob is referenced, so the storage sweep keeps it.
public struct ArtifactBlob: Codable, Sendable, Equatable {
    public var sha256: String
    public var size: Int64?
    public var contentType: String?
    public var filename: String?

    public init(sha256: String, size: Int64? = nil, contentType: String? = nil, filename: String? = nil) {
        self.sha256 = sha256
        self.size = size
        self.contentType = contentType
        self.filename = filename
    }
}

/// An artifact to record.
public struct NewArtifact: Sendable {
    public var taskID: UUID
    public var type: ArtifactType
    /// The media asset the artifact is (type `asset`) or is about.
    public var assetID: UUID?
    /// The payload: results, a timeline, a report, asset info.
    public var data: JSONValue
    /// The workflow node (or pipeline step) that produced it.
    public var nodeKey: String?
    /// Stored content the artifact holds (an output file).
    public var blob: ArtifactBlob?

    public init(taskID: UUID, type: ArtifactType, assetID: UUID? = nil, data: JSONValue = [:], nodeKey: String? = nil, blob: ArtifactBlob? = nil) {
        self.taskID = taskID
        self.type = type
        self.assetID = assetID
        self.data = data
        self.nodeKey = nodeKey
        self.blob = blob
    }
}

/// A recorded artifact.
public struct ArtifactRecord: Codable, Sendable, Equatable {
    public var id: UUID
    public var tenantId: UUID
    public var taskId: UUID
    public var type: ArtifactType
    public var assetId: UUID?
    public var nodeKey: String?
    public var data: JSONValue
    public var blobSha256: String?
    public var blobSize: Int64?
    public var blobContentType: String?
    public var blobFilename: String?
    public var createdAt: Date
    public var updatedAt: Date

    public var blob: ArtifactBlob? {
        blobSha256.map { ArtifactBlob(sha256: $0, size: blobSize, contentType: blobContentType, filename: blobFilename) }
    }
}

/// Why an artifact could not be recorded.
public enum ArtifactRecorderError: Error, Sendable, Equatable {
    /// No live task with that id in the tenant.
    case taskNotFound(UUID)
    /// A field is out of bounds (the reason names it).
    case invalid(field: String, reason: String)
}

/// The platform's artifact store, for any module (annotation jobs, the workflow engine, media)
/// to record what a task produced without importing the media module. Every call runs inside
/// the caller's tenant transaction (`Database.withTenant`), so an artifact is recorded exactly
/// when the work it belongs to commits; recording publishes `artifact.created` on the event bus.
public protocol ArtifactRecorder: Sendable {
    /// Records `artifact` for a task of `tenantID`. Throws `ArtifactRecorderError.taskNotFound`
    /// when the task is not a live task of the tenant.
    func record(_ artifact: NewArtifact, tenantID: UUID, in tx: DatabaseTransaction) async throws -> ArtifactRecord
    /// A task's artifacts, oldest first (optionally of one type).
    func artifacts(ofTask taskID: UUID, tenantID: UUID, type: ArtifactType?, in tx: DatabaseTransaction) async throws -> [ArtifactRecord]
    /// Deletes every artifact of a task (when the work it belongs to is deleted); their blob
    /// references go with them. Returns how many.
    func deleteAll(ofTask taskID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Int
}

extension ArtifactRecorder {
    public func artifacts(ofTask taskID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [ArtifactRecord] {
        try await artifacts(ofTask: taskID, tenantID: tenantID, type: nil, in: tx)
    }
}
