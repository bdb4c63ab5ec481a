import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// A file's metadata as stored: `FileStore.columns`.
struct StoredFile: Decodable, Sendable {
    var id: UUID
    var name: String
    var contentType: String
    var size: Int64
    var sha256: String
    var description: String?
    var visibility: RowVisibility
    var ownerId: UUID?
    var metadata: JSONValue
    var createdAt: Date
    var updatedAt: Date
}

struct FileView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var name: String
    var contentType: String
    var size: Int64
    var sha256: String
    var description: String?
    var visibility: RowVisibility
    var ownerId: UUID?
    var metadata: JSONValue
    var downloadUrl: String
    var createdAt: Date
    var updatedAt: Date
    /// On upload: the same bytes were already stored for this tenant, so none were written.
    var deduplicated: Bool?

    init(_ file: StoredFile, deduplicated: Bool? = nil) {
        id = file.id
        name = file.name
        contentType = file.contentType
        size = file.size
        sha256 = file.sha256
        description = file.description
        visibility = file.visibility
        ownerId = file.ownerId
        metadata = file.metadata
        downloadUrl = "/api/v1/files/\(file.id.uuidString.lowercased())/download"
        createdAt = file.createdAt
        updatedAt = file.updatedAt
        self.deduplicated = deduplicated
    }
}

struct UpdateFile: Codable, Sendable {
    var name: String?
    var description: String?
    var visibility: RowVisibility?
    var metadata: JSONValue?
}

/// The upload's multipart form, for the route's documentation: the handler reads the parts
/// as they stream in (`MultipartReader`), never through this type.
struct UploadForm: Decodable, SchemaDescribing {
    static var jsonSchema: JSONValue {
        [
            "type": "object", "required": ["file"],
            "properties": [
                "file": ["type": "string", "format": "binary"],
                "name": ["type": "string", "maxLength": 255],
                "description": ["type": "string", "maxLength": 2000],
                "visibility": ["type": "string", "enum": ["private", "role", "tenant", "public"]],
            ],
        ]
    }
}

struct FileListQuery: QueryInput {
    var paging: PageRequest
    var search: String?
    var contentType: String?
    var sha256: String?

    static let parameterDocs: [String: QueryParameterDoc] = [
        "search": .init("Part of the name"),
        "content_type": .init("Exact type, or a prefix ending in `/` (`image/`)"),
    ]
}

extension APIError {
    static var fileNotFound: APIError { .notFound("File", code: "FILE_NOT_FOUND") }
    static var multipartRequired: APIError {
        APIError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", message: "Upload with multipart/form-data (a `file` part)")
    }
    static func fileTooLarge(_ limit: Int64) -> APIError {
        APIError(.contentTooLarge, code: "FILE_TOO_LARGE", message: "Files may be at most \(limit) bytes")
    }
    static func quotaExceeded(_ quota: Int64) -> APIError {
        APIError(.contentTooLarge, code: "STORAGE_QUOTA_EXCEEDED", message: "The tenant's storage quota of \(quota) bytes is used up")
    }
    static func invalidMultipart(_ reason: String) -> APIError {
        .badRequest("The multipart body could not be read: \(reason)", code: "INVALID_MULTIPART")
    }
    static func rangeNotSatisfiable(size: Int64) -> APIError {
        APIError(.rangeNotSatisfiable, code: "RANGE_NOT_SATISFIABLE", message: "The file has \(size) bytes")
    }
}
