import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// The four callbacks n8n makes.
enum CallbackKind: String, Sendable {
    case inspiration
    case projectCreation = "project_creation"
    case projectExecution = "project_execution"
    case taskUpdate = "task_update"
}

/// `inspiration/{inspiration_id}`: what the inspiration workflow generated. The inspiration
/// becomes `pending_review`.
struct InspirationCallback: Codable, Sendable {
    /// Makes a repeated callback an acknowledged no-op (also read from `X-Event-ID`).
    var eventId: String?
    var title: String?
    var description: String?
    /// Merged over the inspiration's parameters.
    var parameters: JSONValue?
    var score: Double?
    var scoreDetails: JSONValue?
    /// Whatever the workflow produced (script, hooks, ...), kept as `generated_content`.
    var content: JSONValue?
}

/// One task of a `project_creation` callback.
struct CallbackTask: Codable, Sendable {
    /// A name for `depends_on` to refer to.
    var key: String?
    var taskType: String
    var taskName: String?
    var taskInput: JSONValue?
    var queue: String?
    var priority: Int?
    var maxAttempts: Int?
    /// Keys of earlier tasks of the same callback that must complete first.
    var dependsOn: [String]?
    var platformAccountId: UUID?
    /// Worker configs given to the task (active configs of the tenant), with `override_data`.
    var configIds: [UUID]?
    var overrideData: JSONValue?
}

/// `project_creation/{inspiration_id}`: the project the transform workflow made of an approved
/// inspiration, and its tasks (created queued, linked by `project_id`).
struct ProjectCreationCallback: Codable, Sendable {
    var eventId: String?
    /// The inspiration's title when absent.
    var name: String?
    /// Laid over the inspiration's parameters and the type's defaults, checked against its schema.
    var initialParameters: JSONValue?
    var score: Double?
    var scoreDetails: JSONValue?
    var reviewNotes: String?
    var tasks: [CallbackTask]?
}

/// `project_execution/{project_id}`: the execution workflow's report.
struct ProjectExecutionCallback: Codable, Sendable {
    var eventId: String?
    var status: ProjectStatus?
    var outputAssetId: UUID?
    var errorMessage: String?
    var score: Double?
    var scoreDetails: JSONValue?
}

/// `task_update/{task_id}`: one task's status, progress, output or error.
struct TaskUpdateCallback: Codable, Sendable {
    var eventId: String?
    var status: TaskStatus?
    var progress: Int?
    var currentStep: String?
    var output: JSONValue?
    var taskOutput: JSONValue?
    var errorMessage: String?
    var taskMetadata: JSONValue?
}

/// The confirmation every callback answers: what it was about, and whether it was a repeat.
struct CallbackReceipt: Codable, Sendable, ResponseEncodable {
    var message: String
    var duplicate: Bool
    var inspirationId: UUID?
    var projectId: UUID?
    var taskId: UUID?
    var taskIds: [UUID]?
    var status: String?
}

/// Who a callback is about, found by its id alone.
struct CallbackSubject: Sendable {
    var tenantID: UUID
    /// The registry entry whose callback secret authenticates it, if a workflow was triggered.
    var registryID: UUID?
}

extension APIError {
    /// Why is logged, not answered: the caller is not known to be n8n.
    static var callbackRejected: APIError {
        APIError(
            .unauthorized, code: "CALLBACK_SECRET_INVALID", message: "The callback secret is missing or wrong",
            hint: "Send the registered workflow's callback secret in its callback header, or sign the body (X-Callback-Signature: sha256=<hex HMAC-SHA256>)")
    }
}
