import Foundation
import PlatformDatabase

/// A file of the files module as other modules see it: what its content is, not its record.
public struct StoredFileInfo: Decodable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var contentType: String
    public var size: Int64
    public var sha256: String

    public init(id: UUID, name: String, contentType: String, size: Int64, sha256: String) {
        self.id = id
        self.name = name
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
    }
}

/// Looks up a tenant's stored files by id (filled by the files module), so a module can refer
/// to an uploaded file (a media asset's content) without reading the files module's tables.
public protocol StoredFileDirectory: Sendable {
    /// A live file of `tenantID` that the transaction's caller may read, or nil.
    func file(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredFileInfo?
}
