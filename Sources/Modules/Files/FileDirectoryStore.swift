import Foundation
import PlatformDatabase
import PlatformServices

/// The files module's side of `StoredFileDirectory`.
struct FileDirectoryStore: StoredFileDirectory {
    func file(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredFileInfo? {
        try await tx.row(
            "SELECT id, name, content_type, size, sha256 FROM files WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL",
            decoding: StoredFileInfo.self)
    }
}
