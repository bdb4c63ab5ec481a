import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

/// An inspiration's life: created `pending`; `generating` once its workflow was sent to n8n;
/// `pending_review` when n8n (or a person) delivered the content and score; then `approved` or
/// `rejected`. `regenerate` sends it back to `pending`.
enum InspirationStatus: String, Codable, Sendable, CaseIterable, SchemaEnum {
    case pending, generating
    case pendingReview = "pending_review"
    case approved, rejected

    /// The moves `PUT` may ask for (approve, reject and regenerate are routes of their own).
    static let moves: [InspirationStatus: Set<InspirationStatus>] = [
        .pending: [.generating, .pendingReview, .rejected],
        .generating: [.pending, .pendingReview, .rejected],
        .pendingReview: [.pending, .approved, .rejected],
        .approved: [],
        .rejected: [.pending],
    ]

    func allows(_ target: InspirationStatus) -> Bool { self == target || Self.moves[self]?.contains(target) == true }
}

/// An inspiration as stored.
struct StoredInspiration: Decodable, Sendable {
    var id: UUID
    var ownerId: UUID?
    var title: String
    var description: String?
    var projectTypeCode: String?
    var source: String?
    var parameters: JSONValue
    var status: InspirationStatus
    var score: Double?
    var scoreDetails: JSONValue
    var reviewNotes: String?
    var generatedContent: JSONValue?
    var inspirationWorkflowId: UUID?
    var transformWorkflowId: UUID?
    var createdAt: Date
    var updatedAt: Date
}

/// The seed's `Inspiration`, plus what n8n generated and the latest call to n8n.
struct InspirationView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var title: String
    var description: String?
    var projectTypeCode: String?
    var source: String?
    var parameters: JSONValue
    var status: InspirationStatus
    var score: Double?
    var scoreDetails: JSONValue
    var reviewNotes: String?
    var createdAt: Date
    var updatedAt: Date
    var generatedContent: JSONValue?
    var lastWorkflowCall: WorkflowCallView?

    init(_ stored: StoredInspiration, call: WorkflowCallView?) {
        id = stored.id
        title = stored.title
        description = stored.description
        projectTypeCode = stored.projectTypeCode
        source = stored.source
        parameters = stored.parameters
        status = stored.status
        score = stored.score
        scoreDetails = stored.scoreDetails
        reviewNotes = stored.reviewNotes
        createdAt = stored.createdAt
        updatedAt = stored.updatedAt
        generatedContent = stored.generatedContent
        lastWorkflowCall = call
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(title, forKey: .title)
        try container.encode(description, forKey: .description)
        try container.encode(projectTypeCode, forKey: .projectTypeCode)
        try container.encode(source, forKey: .source)
        try container.encode(parameters, forKey: .parameters)
        try container.encode(status, forKey: .status)
        try container.encode(score, forKey: .score)
        try container.encode(scoreDetails, forKey: .scoreDetails)
        try container.encode(reviewNotes, forKey: .reviewNotes)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(generatedContent, forKey: .generatedContent)
        try container.encode(lastWorkflowCall, forKey: .lastWorkflowCall)
    }
}

/// `InspirationCreate` / `InspirationUpdate`: on update a missing field keeps its value, and
/// `status` moves along the status machine.
struct InspirationInput: Codable, Sendable {
    var title: String?
    var description: String?
    var projectTypeCode: String?
    var source: String?
    var parameters: JSONValue?
    var status: InspirationStatus?
    var score: Double?
    var scoreDetails: JSONValue?
    var reviewNotes: String?
}

/// A checked input.
struct InspirationFields: Sendable {
    var title: String?
    var description: String?
    var projectTypeCode: String?
    var source: String?
    var parameters: JSONValue?
    var status: InspirationStatus?
    var score: Double?
    var scoreDetails: JSONValue?
    var reviewNotes: String?
    var generatedContent: JSONValue?
}

/// `approval_data`: `{review_notes, score}`.
struct ApprovalInput: Codable, Sendable {
    var reviewNotes: String?
    var score: Double?
}

/// `rejection_data`: `{review_notes}`.
struct RejectionInput: Codable, Sendable {
    var reviewNotes: String?
}

struct InspirationListQuery: QueryInput {
    var skip: Int?
    var limit: Int?
    var status: InspirationStatus?
    var projectTypeCode: String?
    static let parameterDocs: [String: QueryParameterDoc] = SeedPaging.docs.merging([
        "status": .init("Only inspirations in this status"),
        "project_type_code": .init("Only inspirations of this project type", maxLength: 100),
    ]) { _, new in new }
}

extension APIError {
    static var inspirationNotFound: APIError { .notFound("Inspiration", code: "INSPIRATION_NOT_FOUND") }

    static func inspirationTransition(from current: InspirationStatus, to target: InspirationStatus) -> APIError {
        APIError(
            .conflict, code: "INVALID_STATUS_TRANSITION", message: "A \(current.rawValue) inspiration cannot become \(target.rawValue)",
            details: ["current_status": .string(current.rawValue), "requested_status": .string(target.rawValue)])
    }

    static func noWorkflow(_ what: String, type code: String?) -> APIError {
        APIError(
            .conflict, code: "NO_WORKFLOW",
            message: code.map { "The project type \($0) has no \(what) workflow" } ?? "The inspiration has no project type, so no \(what) workflow",
            hint: "Set the project type's \(what)_workflow_id")
    }
}
