import FlowEngine
import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

enum TriggerType: String, Codable, Sendable, CaseIterable, SchemaEnum {
    case manual, schedule, event
    case assetNew = "asset_new"
    case assetDone = "asset_done"
}

/// A definition's lifecycle. GoyaVision's web client also sends `published`, `archived` and
/// `testing`; they are read as enabled, disabled and draft.
enum WorkflowStatus: String, Codable, Sendable, CaseIterable, SchemaEnum {
    case draft, enabled, disabled

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        switch text {
        case "draft", "testing": self = .draft
        case "enabled", "published", "active": self = .enabled
        case "disabled", "archived": self = .disabled
        default: throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be one of draft, enabled, disabled")
        }
    }
}

/// A workflow as stored (`WorkflowStore.columns`).
struct StoredWorkflow: Decodable, Sendable {
    var id: UUID
    var ownerId: UUID?
    var visibility: RowVisibility
    var visibleRoleIds: [UUID]
    var code: String
    var name: String
    var description: String
    var version: String
    var triggerType: TriggerType
    var triggerConf: JSONValue
    var contextSpec: JSONValue
    var status: WorkflowStatus
    var tags: [String]
    var graph: FlowGraph
    var origin: String
    var currentRevisionId: UUID?
    var currentRevision: Int?
    var createdAt: Date
    var updatedAt: Date

    var definition: WorkflowDefinition {
        WorkflowDefinition(version: version, triggerType: triggerType, triggerConf: triggerConf, contextSpec: contextSpec, graph: graph)
    }
}

/// What a revision freezes: everything that decides how a run goes.
struct WorkflowDefinition: Codable, Sendable, Equatable {
    var version: String
    var triggerType: TriggerType
    var triggerConf: JSONValue
    var contextSpec: JSONValue
    var graph: FlowGraph
}

struct StoredRevision: Decodable, Sendable {
    var id: UUID
    var workflowId: UUID
    var revision: Int
    var status: String
    var definition: WorkflowDefinition
    var createdAt: Date
    var updatedAt: Date
}

// MARK: - GoyaVision's shapes

struct GoyaNode: Codable, Sendable {
    var id: UUID?
    var nodeKey: String
    var nodeType: String
    var operatorId: UUID?
    var config: JSONValue?
    var position: FlowPosition?
}

struct GoyaEdge: Codable, Sendable {
    var id: UUID?
    var sourceKey: String
    var targetKey: String
    var condition: JSONValue?
}

/// `GET /workflows/{id}` and friends.
struct WorkflowView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var code: String
    var name: String
    var description: String
    var version: String
    var currentRevisionId: UUID?
    var currentRevision: Int?
    var triggerType: TriggerType
    var triggerConf: JSONValue
    var contextSpec: JSONValue
    var status: WorkflowStatus
    var tags: [String]
    var visibility: RowVisibility
    var visibleRoleIds: [UUID]
    var createdAt: Date
    var updatedAt: Date
    var nodes: [GoyaNode]?
    var edges: [GoyaEdge]?
}

struct WorkflowList: Codable, Sendable, ResponseEncodable {
    var items: [WorkflowView]
    var total: Int
    var limit: Int
    var offset: Int
    var hasMore: Bool
}

struct GoyaDefinition: Codable, Sendable {
    var version: String
    var triggerType: TriggerType
    var triggerConf: JSONValue
    var contextSpec: JSONValue
    var nodes: [GoyaNode]
    var edges: [GoyaEdge]
}

struct RevisionView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var workflowId: UUID
    var revision: Int
    var status: String
    var definition: GoyaDefinition
    var createdAt: Date
    var updatedAt: Date
}

/// The body of `POST/PUT /workflows`.
struct WorkflowInput: Codable, Sendable {
    var code: String?
    var name: String?
    var description: String?
    var version: String?
    var triggerType: TriggerType?
    var triggerConf: JSONValue?
    var contextSpec: JSONValue?
    var status: WorkflowStatus?
    var tags: [String]?
    var visibility: VisibilityInput?
    var visibleRoleIds: [UUID]?
    var nodes: [GoyaNode]?
    var edges: [GoyaEdge]?
}

struct TriggerInput: Codable, Sendable {
    var assetId: UUID?
    var inputParams: JSONValue?
}

struct RevisionInput: Codable, Sendable {
    var activate: Bool?
    /// Copy this revision's definition (a rollback) instead of the current one.
    var fromRevision: Int?
}

// MARK: - AutoMaticWorker's shapes

struct FlowNodeView: Codable, Sendable {
    var id: String
    var type: String
    var position: FlowPosition?
    var data: JSONValue?
}

struct FlowEdgeView: Codable, Sendable {
    var id: String?
    var source: String
    var target: String
    var type: String?
    var label: String?
    var condition: JSONValue?
}

struct FlowView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var name: String
    var description: String
    var nodes: [FlowNodeView]
    var edges: [FlowEdgeView]
    var triggerType: TriggerType
    var status: WorkflowStatus
    var currentRevision: Int?
    var createdAt: Date
    var updatedAt: Date
}

struct FlowSummary: Codable, Sendable {
    var id: UUID
    var name: String
    var description: String
    var createdAt: Date
    var updatedAt: Date
    var nodesCount: Int
    var edgesCount: Int
    var connectionsCount: Int
}

struct Pagination: Codable, Sendable {
    var page: Int
    var perPage: Int
    var total: Int
    var pages: Int

    init(page: PageRequest, total: Int) {
        self.page = page.offset / max(page.limit, 1) + 1
        self.perPage = page.limit
        self.total = total
        self.pages = (total + page.limit - 1) / max(page.limit, 1)
    }
}

struct FlowList: Codable, Sendable, ResponseEncodable {
    var flows: [FlowSummary]
    var pagination: Pagination
}

struct FlowInput: Codable, Sendable {
    var name: String?
    var description: String?
    var nodes: [FlowNodeView]?
    var edges: [FlowEdgeView]?
    /// The real editor's name for edges.
    var connections: [FlowEdgeView]?
}

struct Message: Codable, Sendable, ResponseEncodable {
    var message: String
}

extension APIError {
    static var workflowNotFound: APIError { .notFound("Workflow", code: "WORKFLOW_NOT_FOUND") }
    static var flowNotFound: APIError { .notFound("Flow", code: "FLOW_NOT_FOUND") }
    static var revisionNotFound: APIError { .notFound("Revision", code: "REVISION_NOT_FOUND") }
    static var executionNotFound: APIError { .notFound("Execution", code: "EXECUTION_NOT_FOUND") }
    static var nodeTypeNotFound: APIError { .notFound("Node type", code: "NODE_TYPE_NOT_FOUND") }
    static var codeTaken: APIError {
        APIError(.conflict, code: "ALREADY_EXISTS", message: "A workflow with this code exists in the tenant", details: ["field": "code"])
    }
    static var workflowEmpty: APIError {
        APIError(.conflict, code: "WORKFLOW_EMPTY", message: "The workflow must have at least one node", hint: "Add nodes, then enable or run it")
    }
    static var workflowNotEnabled: APIError {
        APIError(.conflict, code: "WORKFLOW_NOT_ENABLED", message: "The workflow is not enabled", hint: "POST /api/v1/workflows/{id}/enable first")
    }
    static var workflowDisabled: APIError {
        APIError(.conflict, code: "WORKFLOW_DISABLED", message: "The workflow is disabled")
    }

    /// A graph (or definition) that does not validate, every problem listed.
    static func invalidGraph(_ problems: [FlowProblem], extra fields: [String: String] = [:]) -> APIError {
        let details = FlowValidator.details(problems)
        var all = details.fields
        for (key, value) in fields { all[key] = value }
        return APIError(
            .unprocessableContent, code: "VALIDATION_ERROR", message: "The workflow is invalid",
            details: ["fields": .object(all.mapValues { .string($0) }), "nodes": .object(details.nodes), "edges": .object(details.edges)])
    }
}
