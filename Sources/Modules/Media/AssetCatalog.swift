import Foundation
import PlatformDatabase
import PlatformServices
import PlatformSupport

/// The media library's side of `MediaAssetCatalog`: other modules (channel analysis) turn
/// content they fetched into assets, deduplicated by hash, and read the assets they refer to.
struct AssetCatalog: MediaAssetCatalog {
    let files: any StoredFileDirectory
    let store = AssetStore()

    func importAsset(_ new: NewMediaAsset, tenantID: UUID, ownerID: UUID, in tx: DatabaseTransaction) async throws -> (asset: MediaAssetInfo, deduplicated: Bool) {
        try await store.lockHash(new.sha256, tenantID: tenantID, in: tx)
        if let existing = try await store.findByHash(new.sha256, tenantID: tenantID, in: tx) { return (Self.info(existing), true) }
        guard let type = AssetType(rawValue: new.assetType) else {
            throw APIError.validation(["asset_type": "must be one of \(AssetType.allCases.map(\.rawValue).joined(separator: ", "))"])
        }
        guard let file = try await files.create(
            NewStoredFile(
                name: String(new.originalFilename.prefix(255)), contentType: new.contentType, size: new.size, sha256: new.sha256,
                visibility: new.visibility),
            tenantID: tenantID, ownerID: ownerID, in: tx)
        else { throw APIError.internalError }
        let asset = NewAsset(
            name: String(new.name.prefix(255)), description: new.description.map { String($0.prefix(5000)) }, assetType: type, sourceType: .crawl,
            sourceID: nil, parentID: nil, fileID: file.id, storagePath: nil, fileHash: new.sha256,
            originalFilename: String(new.originalFilename.prefix(255)), size: new.size, format: nil, durationSeconds: nil, metadata: new.metadata,
            status: .pending, tags: new.tags, source: new.source.map { String($0.prefix(500)) }, visibility: new.visibility, visibleRoleIDs: [],
            visibilityAsInteger: false)
        guard let inserted = try await store.insert(asset, id: UUID.v7(), tenantID: tenantID, ownerID: ownerID, in: tx) else {
            // Another import of the same content got there first.
            guard let existing = try await store.findByHash(new.sha256, tenantID: tenantID, in: tx) else { throw APIError.internalError }
            return (Self.info(existing), true)
        }
        try await store.publish(inserted, "asset.created", in: tx)
        if AssetProbeHandler.wants(inserted) { try await AssetProbeHandler.enqueue(inserted, in: tx) }
        return (Self.info(inserted), false)
    }

    func assets(_ ids: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [MediaAssetInfo] {
        guard !ids.isEmpty else { return [] }
        return try await store.findAll(ids, tenantID: tenantID, in: tx).map(Self.info)
    }

    static func info(_ asset: StoredAsset) -> MediaAssetInfo {
        MediaAssetInfo(
            id: asset.id, name: asset.name, description: asset.description, assetType: asset.assetType.rawValue, storagePath: asset.storagePath,
            assetMetadata: asset.metadata, durationSeconds: asset.durationSeconds, source: asset.source, visibility: asset.visibility.rawValue,
            fileHash: asset.fileHash, originalFilename: asset.originalFilename, status: asset.status.rawValue, fileId: asset.fileId, size: asset.size,
            createdAt: asset.createdAt, updatedAt: asset.updatedAt)
    }
}
