import Foundation
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// Request bodies and queries of the task routes.
enum TaskInputs {
    struct CreateTask: Codable, Sendable {
        var taskType: String?
        var taskName: String?
        var queue: String?
        var priority: Int?
        var taskInput: JSONValue?
        var taskMetadata: JSONValue?
        var dependencies: [UUID]?
        var projectId: UUID?
        var platformAccountId: UUID?
        var submitId: String?
        var maxAttempts: Int?
        var scheduledAt: Date?
        var visibility: RowVisibility?
        /// Queue at once (runnable) instead of leaving the task pending.
        var enqueue: Bool?
        // The content platform's task fields; kept in task_input.
        var topic: String?
        var primaryKeyword: String?
        var targetAudience: String?
        var category: String?
    }

    struct BatchCreate: Codable, Sendable {
        var tasks: [CreateTask]
    }

    struct UpdateTask: Codable, Sendable {
        var taskName: String?
        var priority: Int?
        var queue: String?
        var taskInput: JSONValue?
        var taskMetadata: JSONValue?
        var scheduledAt: Date?
        var maxAttempts: Int?
        var visibility: RowVisibility?
        var projectId: UUID?
        var platformAccountId: UUID?
    }

    struct StatusUpdate: Codable, Sendable {
        var status: TaskStatus?
        var taskOutput: JSONValue?
        var taskMetadata: JSONValue?
        var errorMessage: String?
        var progress: Int?
        var currentStep: String?
        /// The task's context document, replaced whole (its history is kept as JSON Patch).
        var context: JSONValue?
        /// The reporting worker; when given, the report only applies under its lease.
        var workerId: String?
    }

    struct CompleteTask: Codable, Sendable {
        var taskOutput: JSONValue?
        var output: JSONValue?
        var result: JSONValue?
        var workerId: String?
    }

    struct FailTask: Codable, Sendable {
        var errorMessage: String?
        var error: String?
        var workerId: String?
    }

    struct CancelTask: Codable, Sendable {
        var reason: String?
    }

    enum SortField: String, Codable, Sendable, SchemaEnum, CaseIterable {
        case createdAt = "created_at", updatedAt = "updated_at", status, priority

        /// The column it sorts by (only these reach the SQL text).
        var column: String {
            switch self {
            case .createdAt: "t.created_at"
            case .updatedAt: "t.updated_at"
            case .status: "t.status"
            case .priority: "t.priority"
            }
        }
    }

    enum SortOrder: String, Codable, Sendable, SchemaEnum, CaseIterable { case asc, desc }

    struct ListQuery: QueryInput {
        var paging: PageRequest
        var projectId: UUID?
        var taskType: String?
        var queue: String?
        var status: TaskStatus?
        var sortBy: SortField?
        var order: SortOrder?
        var workflowId: UUID?
        var assetId: UUID?
        var from: Date?
        var to: Date?

        static let parameterDocs: [String: QueryParameterDoc] = [
            "workflow_id": .init("Runs of this workflow"), "asset_id": .init("Runs on this asset"),
            "from": .init("Created at or after (RFC 3339)"), "to": .init("Created at or before (RFC 3339)"),
            // `in_progress` is the content platform's word for running.
            "status": .init(schema: ["enum": ["pending", "queued", "running", "in_progress", "completed", "failed", "cancelled"]]),
        ]
    }
}

extension APIError {
    static var taskNotFound: APIError { .notFound("Task", code: "TASK_NOT_FOUND") }

    static func taskStarted(_ status: TaskStatus) -> APIError {
        APIError(
            .conflict, code: "TASK_STARTED", message: "A \(status.rawValue) task's input, queue, priority and schedule are fixed",
            details: ["current_status": .string(status.rawValue)])
    }

    static func taskRunning(_ status: TaskStatus) -> APIError {
        APIError(.conflict, code: "TASK_RUNNING", message: "The task is running; cancel it first", details: ["current_status": .string(status.rawValue)])
    }
}

extension TaskInputs.CreateTask: BodyExample {
    static var example: JSONValue {
        ["task_type": "wait", "task_name": "Warm the cache", "priority": 5, "task_input": ["seconds": 2], "enqueue": true]
    }
}
