import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

enum SourceType: String, Codable, Sendable, CaseIterable, SchemaEnum { case pull, push }
enum SourceProtocol: String, Codable, Sendable, CaseIterable, SchemaEnum { case rtsp, rtmp, hls, http, file }

struct StoredSource: Decodable, Sendable {
    var id: UUID
    var tenantId: UUID
    var ownerId: UUID?
    var visibility: RowVisibility
    var visibleRoleIds: [UUID]
    var visibilityAsInteger: Bool
    var name: String
    var pathName: String
    var type: SourceType
    var url: String?
    var `protocol`: SourceProtocol?
    var enabled: Bool
    var recordEnabled: Bool
    var probe: JSONValue?
    var probedAt: Date?
    var createdAt: Date
    var updatedAt: Date
}

/// A media source as GoyaVision reads it.
struct SourceView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var name: String
    var pathName: String
    var type: SourceType
    var url: String?
    var `protocol`: SourceProtocol?
    var enabled: Bool
    var recordEnabled: Bool
    var visibility: VisibilityAnswer
    var visibleRoleIds: [UUID]
    var ownerId: UUID?
    /// What the last `POST /{id}/probe` found.
    var probe: JSONValue?
    var probedAt: Date?
    var createdAt: Date
    var updatedAt: Date

    init(_ source: StoredSource) {
        id = source.id
        name = source.name
        pathName = source.pathName
        type = source.type
        url = source.url
        self.protocol = source.protocol
        enabled = source.enabled
        recordEnabled = source.recordEnabled
        visibility = VisibilityAnswer(source.visibility, asInteger: source.visibilityAsInteger)
        visibleRoleIds = source.visibleRoleIds
        ownerId = source.ownerId
        probe = source.probe
        probedAt = source.probedAt
        createdAt = source.createdAt
        updatedAt = source.updatedAt
    }
}

/// Create and update share the fields; on create `name` and `type` are required.
struct SourceInput: Codable, Sendable {
    var name: String?
    var pathName: String?
    var type: SourceType?
    var url: String?
    var `protocol`: SourceProtocol?
    var enabled: Bool?
    var recordEnabled: Bool?
    var visibility: VisibilityInput?
    var visibleRoleIds: [UUID]?
}

struct SourceListQuery: QueryInput {
    var paging: PageRequest
    var type: SourceType?
    var `protocol`: SourceProtocol?
    var enabled: Bool?
    var search: String?
    static let parameterDocs: [String: QueryParameterDoc] = ["search": .init("Part of the name or path name", maxLength: 200)]
}

extension APIError {
    static var sourceNotFound: APIError { .notFound("Media source", code: "SOURCE_NOT_FOUND") }
    static var sourceInUse: APIError { .conflict("Assets reference this media source", code: "SOURCE_IN_USE") }
    static var sourcePathTaken: APIError { .conflict("Another media source has this path_name", code: "ALREADY_EXISTS") }
    static var sourceNotProbeable: APIError { .conflict("A push source has no URL to probe", code: "SOURCE_NOT_PROBEABLE") }
}
