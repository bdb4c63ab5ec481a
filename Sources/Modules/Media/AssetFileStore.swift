import Foundation
import PlatformDatabase
import PlatformServices

/// The media module's side of `MediaAssetDirectory`: an asset's type and stored content, for
/// other modules (operators run media pipelines on it).
public struct AssetFileStore: MediaAssetDirectory {
    public init() {}

    public func asset(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> MediaAssetFile? {
        try await tx.row(
            """
            SELECT id, name, asset_type, file_hash, storage_path, size, duration_seconds, status FROM media_assets
            WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL
            """, decoding: MediaAssetFile.self)
    }
}
