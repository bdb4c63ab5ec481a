import Foundation
import PlatformDatabase
import PlatformSupport

/// A media-library asset as other modules see it: the short-video seed's asset fields.
public struct MediaAssetInfo: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var description: String?
    public var assetType: String
    public var storagePath: String?
    public var assetMetadata: JSONValue
    public var durationSeconds: Double?
    public var source: String?
    public var visibility: String
    public var fileHash: String?
    public var originalFilename: String?
    public var status: String
    /// The file of the files module holding the content, if the asset has one.
    public var fileId: UUID?
    public var size: Int64
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID, name: String, description: String?, assetType: String, storagePath: String?, assetMetadata: JSONValue, durationSeconds: Double?,
        source: String?, visibility: String, fileHash: String?, originalFilename: String?, status: String, fileId: UUID?, size: Int64,
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.assetType = assetType
        self.storagePath = storagePath
        self.assetMetadata = assetMetadata
        self.durationSeconds = durationSeconds
        self.source = source
        self.visibility = visibility
        self.fileHash = fileHash
        self.originalFilename = originalFilename
        self.status = status
        self.fileId = fileId
        self.size = size
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A media asset to make over content already in the tenant's blob storage (a downloaded video).
public struct NewMediaAsset: Sendable {
    public var name: String
    public var description: String?
    /// `video`, `image`, `audio`, `document` or `other`.
    public var assetType: String
    public var sha256: String
    public var size: Int64
    public var contentType: String
    public var originalFilename: String
    /// Where the content came from (a URL).
    public var source: String?
    public var metadata: JSONValue
    public var tags: [String]
    /// Who reads the asset (and its file) besides its owner.
    public var visibility: RowVisibility

    public init(
        name: String, description: String? = nil, assetType: String, sha256: String, size: Int64, contentType: String, originalFilename: String,
        source: String? = nil, metadata: JSONValue = [:], tags: [String] = [], visibility: RowVisibility = .private
    ) {
        self.visibility = visibility
        self.name = name
        self.description = description
        self.assetType = assetType
        self.sha256 = sha256
        self.size = size
        self.contentType = contentType
        self.originalFilename = originalFilename
        self.source = source
        self.metadata = metadata
        self.tags = tags
    }
}

/// The media library's assets for other modules (filled by the media module), so a module can
/// turn content it fetched into an asset, and show assets it refers to, without importing it.
public protocol MediaAssetCatalog: Sendable {
    /// Records the blob as a file and a `crawl` asset of the tenant, as an upload would (the
    /// asset is announced and probed); when a live asset of the tenant already has the blob's
    /// hash, that one is answered instead and `deduplicated` is true.
    func importAsset(_ asset: NewMediaAsset, tenantID: UUID, ownerID: UUID, in tx: DatabaseTransaction) async throws -> (asset: MediaAssetInfo, deduplicated: Bool)
    /// The live assets among `ids` that the transaction's caller may read.
    func assets(_ ids: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [MediaAssetInfo]
}
