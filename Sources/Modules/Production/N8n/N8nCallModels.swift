import Foundation
import PlatformSupport

/// Which workflow of a project type a call runs.
enum N8nCallPurpose: String, Codable, Sendable, CaseIterable, SchemaEnum {
    /// The inspiration workflow: generate and score an inspiration.
    case inspiration
    /// The transform workflow: turn an approved inspiration into a project and its tasks.
    case transform
    /// The execution workflow: run a project.
    case execution
}

/// Where a recorded call stands: `queued` (recorded, not yet sent), `retrying` (an attempt
/// failed; another follows), `sent` (n8n answered 2xx), `failed` (given up), `superseded` (a
/// newer call for the same subject replaced it before it was sent).
enum N8nCallStatus: String, Codable, Sendable, CaseIterable, SchemaEnum {
    case queued, retrying, sent, failed, superseded
}

/// A recorded call as its task reads it.
struct StoredN8nCall: Decodable, Sendable {
    var id: UUID
    var purpose: N8nCallPurpose
    var inspirationId: UUID?
    var projectId: UUID?
    var registryId: UUID
    var payload: JSONValue
    var callbackUrl: String?
    var status: N8nCallStatus
}

/// The latest call of an inspiration or a project, as their answers show it (`last_workflow_call`):
/// whether n8n was reached, and if not, why.
struct WorkflowCallView: Codable, Sendable {
    /// The `execution_id` the regenerate routes answer.
    var id: UUID
    var purpose: N8nCallPurpose
    var workflowId: UUID
    var status: N8nCallStatus
    var attempts: Int
    var lastError: String?
    var responseStatus: Int?
    /// n8n's own execution id, when its answer carried one.
    var n8nExecutionId: String?
    var createdAt: Date
    var sentAt: Date?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(purpose, forKey: .purpose)
        try container.encode(workflowId, forKey: .workflowId)
        try container.encode(status, forKey: .status)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(lastError, forKey: .lastError)
        try container.encode(responseStatus, forKey: .responseStatus)
        try container.encode(n8nExecutionId, forKey: .n8nExecutionId)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(sentAt, forKey: .sentAt)
    }
}

/// A call to record: what, for whom, with which body.
struct NewN8nCall: Sendable {
    var purpose: N8nCallPurpose
    var registryID: UUID
    var inspirationID: UUID?
    var projectID: UUID?
    /// The purpose's own fields (`inspiration`, `project`, `regeneration_params`, ...).
    var body: [String: JSONValue]
}

extension JSONValue {
    /// A value's JSON form, with the platform's conventions (snake_case, RFC 3339).
    static func encoding(_ value: some Encodable) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: try PlatformJSON.makeEncoder().encode(value))
    }
}
