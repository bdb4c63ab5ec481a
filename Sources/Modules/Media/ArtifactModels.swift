import Foundation
import Hummingbird
import PlatformArtifacts
import PlatformHTTP
import PlatformSupport

/// An artifact as GoyaVision reads it.
struct ArtifactView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var taskId: UUID
    var type: ArtifactType
    var assetId: UUID?
    var nodeKey: String?
    var data: JSONValue
    var blob: ArtifactBlob?
    var createdAt: Date
    var updatedAt: Date

    init(_ record: ArtifactRecord) {
        id = record.id
        taskId = record.taskId
        type = record.type
        assetId = record.assetId
        nodeKey = record.nodeKey
        data = record.data
        blob = record.blob
        createdAt = record.createdAt
        updatedAt = record.updatedAt
    }
}

struct ArtifactInput: Codable, Sendable {
    var taskId: UUID
    var type: ArtifactType
    var assetId: UUID?
    var data: JSONValue?
    var nodeKey: String?
}

struct ArtifactListQuery: QueryInput {
    var paging: PageRequest
    var taskId: UUID?
    var type: ArtifactType?
    var assetId: UUID?
    var nodeKey: String?
    var from: String?
    var to: String?

    static let parameterDocs: [String: QueryParameterDoc] = [
        "node_key": .init("The workflow node that produced it", maxLength: 200),
        "from": .init("Created at or after: RFC 3339 or Unix seconds", maxLength: 40),
        "to": .init("Created at or before: RFC 3339 or Unix seconds", maxLength: 40),
    ]
}

struct TaskArtifactsQuery: QueryInput {
    var type: ArtifactType?
}

extension APIError {
    static var artifactNotFound: APIError { .notFound("Artifact", code: "ARTIFACT_NOT_FOUND") }
    static var taskNotFound: APIError { .notFound("Task", code: "TASK_NOT_FOUND") }
}
