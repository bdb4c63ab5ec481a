import Foundation
import PlatformDatabase

/// A media asset as other modules see it: what it is and where its content is.
public struct MediaAssetFile: Decodable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    /// `video`, `image`, `audio`, `document`, `other`.
    public var assetType: String
    /// The stored content's SHA-256 in the tenant's blob storage, when the asset has a stored file.
    public var fileHash: String?
    /// A path or URL outside the platform's storage, when the asset only points somewhere.
    public var storagePath: String?
    public var size: Int64
    public var durationSeconds: Double?
    public var status: String

    public init(
        id: UUID, name: String, assetType: String, fileHash: String?, storagePath: String?, size: Int64, durationSeconds: Double?, status: String
    ) {
        self.id = id
        self.name = name
        self.assetType = assetType
        self.fileHash = fileHash
        self.storagePath = storagePath
        self.size = size
        self.durationSeconds = durationSeconds
        self.status = status
    }
}

/// Looks up a tenant's media assets by id (filled by the media module), so a module can run
/// something on an asset's file (an operator's media pipeline) without reading the media
/// module's tables.
public protocol MediaAssetDirectory: Sendable {
    /// A live asset of `tenantID` that the transaction's caller may read, or nil.
    func asset(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> MediaAssetFile?
}
