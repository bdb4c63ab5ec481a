import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// A project's life: `draft` -> `queued` -> `running` -> `completed` | `failed` | `cancelled`.
/// A queued project becomes running by itself when one of its tasks starts; `regenerate` is the
/// one way back from an end state (to `queued`, with its execution workflow sent again).
enum ProjectStatus: String, Codable, Sendable, CaseIterable, SchemaEnum {
    case draft, queued, running, completed, failed, cancelled

    static let moves: [ProjectStatus: Set<ProjectStatus>] = [
        .draft: [.queued, .cancelled],
        .queued: [.draft, .running, .failed, .cancelled],
        .running: [.completed, .failed, .cancelled],
        .completed: [],
        .failed: [],
        .cancelled: [],
    ]

    func allows(_ target: ProjectStatus) -> Bool { self == target || Self.moves[self]?.contains(target) == true }
}

/// A project as stored.
struct StoredProject: Decodable, Sendable {
    var id: UUID
    var ownerId: UUID?
    var name: String
    var projectTypeCode: String
    var initialParameters: JSONValue
    var status: ProjectStatus
    var inspirationId: UUID?
    var score: Double?
    var scoreDetails: JSONValue
    var reviewNotes: String?
    var usedTransformWorkflowId: UUID?
    var usedExecutionWorkflowId: UUID?
    var totalTasks: Int
    var completedTasks: Int
    var failedTasks: Int
    var outputAssetId: UUID?
    var errorMessage: String?
    var createdAt: Date
    var updatedAt: Date
}

/// The seed's `Project` with its tasks, plus the last error n8n reported and the latest call.
struct ProjectView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var name: String
    var projectTypeCode: String
    var initialParameters: JSONValue
    var status: ProjectStatus
    var inspirationId: UUID?
    var score: Double?
    var scoreDetails: JSONValue
    var reviewNotes: String?
    var usedTransformWorkflowId: UUID?
    var usedExecutionWorkflowId: UUID?
    var totalTasks: Int
    var completedTasks: Int
    var failedTasks: Int
    var outputAssetId: UUID?
    var createdAt: Date
    var updatedAt: Date
    var tasks: [TaskRecord]
    var errorMessage: String?
    var lastWorkflowCall: WorkflowCallView?

    init(_ stored: StoredProject, tasks: [TaskRecord], call: WorkflowCallView?) {
        id = stored.id
        name = stored.name
        projectTypeCode = stored.projectTypeCode
        initialParameters = stored.initialParameters
        status = stored.status
        inspirationId = stored.inspirationId
        score = stored.score
        scoreDetails = stored.scoreDetails
        reviewNotes = stored.reviewNotes
        usedTransformWorkflowId = stored.usedTransformWorkflowId
        usedExecutionWorkflowId = stored.usedExecutionWorkflowId
        totalTasks = stored.totalTasks
        completedTasks = stored.completedTasks
        failedTasks = stored.failedTasks
        outputAssetId = stored.outputAssetId
        createdAt = stored.createdAt
        updatedAt = stored.updatedAt
        self.tasks = tasks
        errorMessage = stored.errorMessage
        lastWorkflowCall = call
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(projectTypeCode, forKey: .projectTypeCode)
        try container.encode(initialParameters, forKey: .initialParameters)
        try container.encode(status, forKey: .status)
        try container.encode(inspirationId, forKey: .inspirationId)
        try container.encode(score, forKey: .score)
        try container.encode(scoreDetails, forKey: .scoreDetails)
        try container.encode(reviewNotes, forKey: .reviewNotes)
        try container.encode(usedTransformWorkflowId, forKey: .usedTransformWorkflowId)
        try container.encode(usedExecutionWorkflowId, forKey: .usedExecutionWorkflowId)
        try container.encode(totalTasks, forKey: .totalTasks)
        try container.encode(completedTasks, forKey: .completedTasks)
        try container.encode(failedTasks, forKey: .failedTasks)
        try container.encode(outputAssetId, forKey: .outputAssetId)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(tasks, forKey: .tasks)
        try container.encode(errorMessage, forKey: .errorMessage)
        try container.encode(lastWorkflowCall, forKey: .lastWorkflowCall)
    }
}

/// `ProjectCreate` / `ProjectUpdate`: on update a missing field keeps its value; the project
/// type cannot change; `status` follows the status machine.
struct ProjectInput: Codable, Sendable {
    var name: String?
    var projectTypeCode: String?
    var initialParameters: JSONValue?
    var status: ProjectStatus?
    var inspirationId: UUID?
    var score: Double?
    var scoreDetails: JSONValue?
    var reviewNotes: String?
    var outputAssetId: UUID?
}

/// A checked input.
struct ProjectFields: Sendable {
    var name: String?
    var initialParameters: JSONValue?
    var status: ProjectStatus?
    var score: Double?
    var scoreDetails: JSONValue?
    var reviewNotes: String?
    var outputAssetId: UUID?
    var errorMessage: String?
    var usedExecutionWorkflowId: UUID?
}

/// What a new project is made of.
struct NewProject: Sendable {
    var name: String
    var type: StoredProjectType
    var initialParameters: JSONValue
    var status: ProjectStatus
    var inspirationID: UUID?
    var score: Double?
    var scoreDetails: JSONValue?
    var reviewNotes: String?
    var usedTransformWorkflowID: UUID?
}

struct ProjectListQuery: QueryInput {
    var skip: Int?
    var limit: Int?
    var status: ProjectStatus?
    var projectTypeCode: String?
    var inspirationId: UUID?
    static let parameterDocs: [String: QueryParameterDoc] = SeedPaging.docs.merging([
        "status": .init("Only projects in this status"),
        "project_type_code": .init("Only projects of this type", maxLength: 100),
        "inspiration_id": .init("The project made from this inspiration"),
    ]) { _, new in new }
}

extension APIError {
    static var projectNotFound: APIError { .notFound("Project", code: "PROJECT_NOT_FOUND") }

    static func projectTransition(from current: ProjectStatus, to target: ProjectStatus) -> APIError {
        APIError(
            .conflict, code: "INVALID_STATUS_TRANSITION", message: "A \(current.rawValue) project cannot become \(target.rawValue)",
            details: ["current_status": .string(current.rawValue), "requested_status": .string(target.rawValue)])
    }

    static var inspirationHasProject: APIError {
        APIError(.conflict, code: "INSPIRATION_HAS_PROJECT", message: "The inspiration already has a project")
    }
}
