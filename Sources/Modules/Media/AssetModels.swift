import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

enum AssetType: String, Codable, Sendable, CaseIterable, SchemaEnum { case video, image, audio, document, other }
enum AssetSourceType: String, Codable, Sendable, CaseIterable, SchemaEnum { case upload, generated, operatorOutput = "operator_output", url, crawl }
enum AssetStatus: String, Codable, Sendable, CaseIterable, SchemaEnum { case pending, processing, ready, failed }

/// An asset row as stored.
struct StoredAsset: Decodable, Sendable {
    var id: UUID
    var tenantId: UUID
    var ownerId: UUID?
    var visibility: RowVisibility
    var visibleRoleIds: [UUID]
    var visibilityAsInteger: Bool
    var name: String
    var description: String?
    var assetType: AssetType
    var sourceType: AssetSourceType
    var sourceId: UUID?
    var parentId: UUID?
    var fileId: UUID?
    var storagePath: String?
    var fileHash: String?
    var originalFilename: String?
    var size: Int64
    var format: String?
    var durationSeconds: Double?
    var metadata: JSONValue
    var status: AssetStatus
    var statusReason: String?
    var tags: [String]
    var source: String?
    var createdAt: Date
    var updatedAt: Date
}

/// A visibility in the form the row was written: GoyaVision's integer when it was sent as one
/// (and has one: `tenant` has none), else the platform's name.
struct VisibilityAnswer: Codable, Sendable, SchemaDescribing {
    var value: JSONValue

    init(_ visibility: RowVisibility, asInteger: Bool) {
        value = asInteger && visibility != .tenant ? .int(Int64(VisibilityInput.integer(visibility))) : .string(visibility.rawValue)
    }

    init(from decoder: any Decoder) throws { value = try JSONValue(from: decoder) }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }

    static var jsonSchema: JSONValue {
        ["anyOf": [["type": "string", "enum": ["private", "role", "tenant", "public"]], ["type": "integer", "enum": [0, 1, 2]]]]
    }
}

/// An asset as both seeds read it: each renamed field under both names.
struct AssetView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var name: String
    var description: String?
    var type: AssetType
    var assetType: AssetType
    var sourceType: AssetSourceType
    var sourceId: UUID?
    var parentId: UUID?
    var fileId: UUID?
    var path: String?
    var storagePath: String?
    var downloadUrl: String?
    var fileHash: String?
    var originalFilename: String?
    var size: Int64
    var format: String?
    var duration: Double?
    var durationSeconds: Double?
    var metadata: JSONValue
    var assetMetadata: JSONValue
    var status: AssetStatus
    var statusReason: String?
    var tags: [String]
    var source: String?
    var visibility: VisibilityAnswer
    var visibleRoleIds: [UUID]
    var ownerId: UUID?
    var createdAt: Date
    var updatedAt: Date
    /// On create: an asset with the same file hash already existed, and this is it.
    var deduplicated: Bool?

    init(_ asset: StoredAsset, deduplicated: Bool? = nil) {
        id = asset.id
        name = asset.name
        description = asset.description
        type = asset.assetType
        assetType = asset.assetType
        sourceType = asset.sourceType
        sourceId = asset.sourceId
        parentId = asset.parentId
        fileId = asset.fileId
        let download = asset.fileId.map { "/api/v1/files/\($0.uuidString.lowercased())/download" }
        path = asset.storagePath ?? download
        storagePath = asset.storagePath
        downloadUrl = download
        fileHash = asset.fileHash
        originalFilename = asset.originalFilename
        size = asset.size
        format = asset.format
        duration = asset.durationSeconds
        durationSeconds = asset.durationSeconds
        metadata = asset.metadata
        assetMetadata = asset.metadata
        status = asset.status
        statusReason = asset.statusReason
        tags = asset.tags
        source = asset.source
        visibility = VisibilityAnswer(asset.visibility, asInteger: asset.visibilityAsInteger)
        visibleRoleIds = asset.visibleRoleIds
        ownerId = asset.ownerId
        createdAt = asset.createdAt
        updatedAt = asset.updatedAt
        self.deduplicated = deduplicated
    }
}

/// `POST /api/v1/assets` (JSON): both seeds' fields, under either name.
struct AssetInput: Codable, Sendable {
    var name: String?
    var description: String?
    var type: AssetType?
    var assetType: AssetType?
    var sourceType: AssetSourceType?
    var sourceId: UUID?
    var parentId: UUID?
    var fileId: UUID?
    var path: String?
    var storagePath: String?
    var fileHash: String?
    var originalFilename: String?
    var size: Int64?
    var format: String?
    var duration: Double?
    var durationSeconds: Double?
    var metadata: JSONValue?
    var assetMetadata: JSONValue?
    var status: AssetStatus?
    var tags: [String]?
    var source: String?
    var visibility: VisibilityInput?
    var visibleRoleIds: [UUID]?
}

/// `PUT /api/v1/assets/{id}`: what may change (absent: kept).
struct AssetUpdate: Codable, Sendable {
    var name: String?
    var description: String?
    var type: AssetType?
    var assetType: AssetType?
    var status: AssetStatus?
    var metadata: JSONValue?
    var assetMetadata: JSONValue?
    var tags: [String]?
    var source: String?
    var format: String?
    var duration: Double?
    var durationSeconds: Double?
    var visibility: VisibilityInput?
    var visibleRoleIds: [UUID]?
}

struct AssetListQuery: QueryInput {
    var paging: PageRequest
    var type: AssetType?
    var assetType: AssetType?
    var status: AssetStatus?
    var sourceType: AssetSourceType?
    var sourceId: UUID?
    var parentId: UUID?
    var tags: [String]?
    var from: String?
    var to: String?
    var search: String?

    static let parameterDocs: [String: QueryParameterDoc] = [
        "type": .init("Asset type (alias of asset_type)"),
        "tags": .init("Tags the asset has, all of them (comma-separated or repeated)"),
        "from": .init("Created at or after: RFC 3339 or Unix seconds", maxLength: 40),
        "to": .init("Created at or before: RFC 3339 or Unix seconds", maxLength: 40),
        "search": .init("Part of the name, description or original filename", maxLength: 200),
    ]
}

struct AssetByTypeQuery: QueryInput {
    var paging: PageRequest
}

struct AssetTagsQuery: QueryInput {
    var type: AssetType?
    static let parameterDocs: [String: QueryParameterDoc] = ["type": .init("Count only assets of this type")]
}

struct TagCount: Codable, Sendable {
    var tag: String
    var count: Int
}

struct AssetTags: Codable, Sendable, ResponseEncodable {
    var tags: [TagCount]
}

extension APIError {
    static var assetNotFound: APIError { .notFound("Asset", code: "ASSET_NOT_FOUND") }
    static var assetHasChildren: APIError { .conflict("The asset has child assets; delete them first", code: "ASSET_HAS_CHILDREN") }
}

/// `from`/`to` of GoyaVision (Unix seconds) or the platform (RFC 3339).
enum QueryTime {
    static func parse(_ text: String?, field: String, into problems: inout [String: String]) -> Date? {
        guard let text, !text.isEmpty else { return nil }
        if let seconds = Int64(text), (0...253_402_300_799).contains(seconds) { return Date(timeIntervalSince1970: TimeInterval(seconds)) }
        if let date = RFC3339.date(from: text) { return date }
        problems[field] = "must be an RFC 3339 timestamp or Unix seconds"
        return nil
    }
}

extension AssetInput: BodyExample {
    static var example: JSONValue { ["name": "Lobby camera, 2 Dec", "type": "video", "path": "s3://recordings/lobby-1202.mp4", "tags": ["lobby"], "visibility": 0] }
}
