import Foundation
import Hummingbird
import PlatformDatabase
import PlatformSupport
import PostgresNIO

/// Where a task is in its life. `in_progress` (the content platform's word) is read as `running`.
public enum TaskStatus: String, Codable, Sendable, CaseIterable, SchemaEnum {
    case pending, queued, running, completed, failed, cancelled

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let status = TaskStatus(wire: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "must be one of pending, queued, running (or in_progress), completed, failed, cancelled")
        }
        self = status
    }

    public init?(wire text: String) {
        if text == "in_progress" { self = .running } else if let status = TaskStatus(rawValue: text) { self = status } else { return nil }
    }

    public var isTerminal: Bool { self == .completed || self == .failed || self == .cancelled }

    /// The moves a caller may ask for; the engine's own moves (retry back to queued, lease
    /// expiry) go through the same table.
    public static let transitions: [TaskStatus: Set<TaskStatus>] = [
        .pending: [.queued, .running, .cancelled],
        .queued: [.pending, .running, .cancelled],
        .running: [.queued, .completed, .failed, .cancelled],
        .failed: [.queued],
        .cancelled: [.queued],
        .completed: [],
    ]

    /// The states from which `target` may be reached.
    public static func sources(of target: TaskStatus) -> [TaskStatus] {
        allCases.filter { transitions[$0]?.contains(target) == true }
    }
}

public enum TaskKind: String, Codable, Sendable, SchemaEnum, CaseIterable {
    case task, command
    /// Platform-internal work (webhook deliveries): not listed with a tenant's tasks.
    case `internal`
}

/// A task as stored and as served.
public struct TaskRecord: Codable, Sendable, ResponseEncodable, Equatable {
    public var id: UUID
    public var tenantId: UUID
    public var ownerId: UUID?
    public var visibility: RowVisibility
    public var kind: TaskKind
    public var taskType: String
    public var taskName: String?
    public var status: TaskStatus
    public var priority: Int
    public var queue: String
    public var taskInput: JSONValue
    public var taskOutput: JSONValue?
    public var taskMetadata: JSONValue
    public var dependencies: [UUID]
    public var projectId: UUID?
    public var platformAccountId: UUID?
    public var submitId: String?
    public var progress: Int
    public var currentStep: String?
    public var errorMessage: String?
    public var attempts: Int
    public var maxAttempts: Int
    public var contextVersion: Int
    public var scheduledAt: Date?
    public var enqueuedAt: Date?
    public var startedAt: Date?
    public var completedAt: Date?
    /// The worker holding the task's lease while it runs.
    public var workerId: String?
    public var leaseExpiresAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    public var deletedAt: Date?

    /// The columns `init(row:)` reads, for `SELECT \(unescaped: TaskRecord.columns) FROM tasks t`.
    public static let columns = """
        t.id, t.tenant_id, t.owner_id, t.visibility::text AS visibility, t.kind, t.task_type, t.task_name, t.status, t.priority, t.queue,
        t.task_input::text AS task_input, t.task_output::text AS task_output, t.task_metadata::text AS task_metadata,
        t.dependencies, t.project_id, t.platform_account_id, t.submit_id, t.progress, t.current_step, t.error_message,
        t.attempts, t.max_attempts, t.context_version, t.scheduled_at, t.enqueued_at, t.started_at, t.completed_at,
        t.lease_owner, t.lease_expires_at, t.created_at, t.updated_at, t.deleted_at
        """

    public init(row: PostgresRow) throws {
        let cells = row.makeRandomAccess()
        func json(_ name: String) throws -> JSONValue? {
            guard let text = try cells[name].decode(String?.self) else { return nil }
            return try PlatformJSON.makeDecoder().decode(JSONValue.self, from: Data(text.utf8))
        }
        id = try cells["id"].decode(UUID.self)
        tenantId = try cells["tenant_id"].decode(UUID.self)
        ownerId = try cells["owner_id"].decode(UUID?.self)
        visibility = RowVisibility(rawValue: try cells["visibility"].decode(String.self)) ?? .private
        kind = TaskKind(rawValue: try cells["kind"].decode(String.self)) ?? .task
        taskType = try cells["task_type"].decode(String.self)
        taskName = try cells["task_name"].decode(String?.self)
        status = TaskStatus(rawValue: try cells["status"].decode(String.self)) ?? .pending
        priority = try cells["priority"].decode(Int.self)
        queue = try cells["queue"].decode(String.self)
        taskInput = try json("task_input") ?? [:]
        taskOutput = try json("task_output")
        taskMetadata = try json("task_metadata") ?? [:]
        dependencies = try cells["dependencies"].decode([UUID].self)
        projectId = try cells["project_id"].decode(UUID?.self)
        platformAccountId = try cells["platform_account_id"].decode(UUID?.self)
        submitId = try cells["submit_id"].decode(String?.self)
        progress = try cells["progress"].decode(Int.self)
        currentStep = try cells["current_step"].decode(String?.self)
        errorMessage = try cells["error_message"].decode(String?.self)
        attempts = try cells["attempts"].decode(Int.self)
        maxAttempts = try cells["max_attempts"].decode(Int.self)
        contextVersion = try cells["context_version"].decode(Int.self)
        scheduledAt = try cells["scheduled_at"].decode(Date?.self)
        enqueuedAt = try cells["enqueued_at"].decode(Date?.self)
        startedAt = try cells["started_at"].decode(Date?.self)
        completedAt = try cells["completed_at"].decode(Date?.self)
        workerId = try cells["lease_owner"].decode(String?.self)
        leaseExpiresAt = try cells["lease_expires_at"].decode(Date?.self)
        createdAt = try cells["created_at"].decode(Date.self)
        updatedAt = try cells["updated_at"].decode(Date.self)
        deletedAt = try cells["deleted_at"].decode(Date?.self)
    }
}

/// What a new task is made of.
public struct NewTask: Sendable {
    public var kind: TaskKind = .task
    public var taskType: String
    public var taskName: String?
    public var queue: String = "default"
    public var priority: Int = 50
    public var input: JSONValue = [:]
    public var metadata: JSONValue = [:]
    public var dependencies: [UUID] = []
    public var projectID: UUID?
    public var platformAccountID: UUID?
    public var submitID: String?
    public var maxAttempts: Int = 3
    public var scheduledAt: Date?
    public var visibility: RowVisibility = .private
    /// Queued at once (runnable) rather than left pending.
    public var enqueue: Bool = false

    public init(taskType: String) {
        self.taskType = taskType
    }
}

/// One entry of a task's event log, as `/tasks/{id}/events` serves it.
public struct TaskEventRecord: Codable, Sendable, ResponseEncodable {
    public var id: UUID
    public var taskId: UUID
    public var type: String
    public var data: JSONValue
    public var occurredAt: Date

    public init(id: UUID, taskId: UUID, type: String, data: JSONValue, occurredAt: Date) {
        self.id = id
        self.taskId = taskId
        self.type = type
        self.data = data
        self.occurredAt = occurredAt
    }
}
