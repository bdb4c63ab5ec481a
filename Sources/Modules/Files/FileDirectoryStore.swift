import Foundation
import PlatformDatabase
import PlatformServices

/// The files module's side of `StoredFileDirectory`.
struct FileDirectoryStore: StoredFileDirectory {
    let store = FileStore()

    func file(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredFileInfo? {
        try await tx.row(
            "SELECT id, name, content_type, size, sha256 FROM files WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL",
            decoding: StoredFileInfo.self)
    }

    func create(_ file: NewStoredFile, tenantID: UUID, ownerID: UUID, in tx: DatabaseTransaction) async throws -> StoredFileInfo? {
        let new = FileStore.NewFile(
            name: file.name, contentType: file.contentType, size: file.size, sha256: file.sha256, description: file.description, visibility: file.visibility)
        guard let stored = try await store.insert(new, id: UUID.v7(), tenantID: tenantID, ownerID: ownerID, in: tx) else { return nil }
        return StoredFileInfo(id: stored.id, name: stored.name, contentType: stored.contentType, size: stored.size, sha256: stored.sha256)
    }

    func storedBytes(tenantID: UUID, in tx: DatabaseTransaction) async throws -> Int64 {
        try await store.storedBytes(tenantID: tenantID, in: tx)
    }
}
