import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// The seed's monitoring-task types; each runs as the task-engine type `analysis.<type>`.
enum MonitoringTaskType: String, Codable, Sendable, CaseIterable, SchemaEnum {
    case accountCrawl = "account_crawl"
    case videoDownload = "video_download"
    case videoAnalysis = "video_analysis"

    var engineType: String { "analysis." + rawValue }
    var queue: String { self == .accountCrawl ? "analysis" : "analysis-media" }
}

/// What queued a monitoring task.
enum MonitoringTrigger: String, Codable, Sendable, CaseIterable, SchemaEnum {
    case manual
    case quickAdd = "quick_add"
    case schedule
}

/// A monitoring task as stored: the link row joined with its task.
struct StoredMonitoringTask: Decodable, Sendable {
    var id: UUID
    var taskType: MonitoringTaskType
    var status: TaskStatus
    var priority: Int
    var dependencies: [UUID]
    var targetAccountId: UUID
    var videoId: UUID?
    var errorMessage: String?
    var startedAt: Date?
    var completedAt: Date?
    var createdAt: Date
    var updatedAt: Date
    var trigger: MonitoringTrigger
    var progress: Int
    var currentStep: String?
    var attempts: Int
    var maxAttempts: Int
    var scheduledAt: Date?
}

/// A monitoring task as the seed serves it (`MonitoringTask`), plus what the task engine knows
/// of its progress. `status` is the task engine's (`pending`, `queued`, `running`, `completed`,
/// `failed`, `cancelled`); retry it with `POST /api/v1/tasks/monitoring/{id}/retry`.
struct MonitoringTaskView: Codable, Sendable, ResponseEncodable, SeedEncodable {
    var id: UUID
    var taskType: MonitoringTaskType
    var status: TaskStatus
    var priority: Int
    var dependencies: [UUID]
    var targetAccountId: UUID
    var videoId: UUID?
    var errorMessage: String?
    var startedAt: Date?
    var completedAt: Date?
    var createdAt: Date
    var updatedAt: Date
    var trigger: MonitoringTrigger
    var progress: Int
    var currentStep: String?
    var attempts: Int
    var maxAttempts: Int
    /// When a waiting task may run next (a retry's backoff, quota exhaustion).
    var scheduledAt: Date?

    init(_ task: StoredMonitoringTask) {
        id = task.id
        taskType = task.taskType
        status = task.status
        priority = task.priority
        dependencies = task.dependencies
        targetAccountId = task.targetAccountId
        videoId = task.videoId
        errorMessage = task.errorMessage
        startedAt = task.startedAt
        completedAt = task.completedAt
        createdAt = task.createdAt
        updatedAt = task.updatedAt
        trigger = task.trigger
        progress = task.progress
        currentStep = task.currentStep
        attempts = task.attempts
        maxAttempts = task.maxAttempts
        scheduledAt = task.scheduledAt
    }

    func encode(to encoder: any Encoder) throws { try encodeWithNulls(to: encoder) }
}

/// `GET /analysis/tasks`: the seed's filters with `skip`/`limit` (default 100), newest first.
struct MonitoringTaskQuery: QueryInput {
    var skip: Int?
    var limit: Int?
    var accountId: UUID?
    var videoId: UUID?
    var taskType: MonitoringTaskType?
    var status: TaskStatus?
    static let parameterDocs: [String: QueryParameterDoc] = [
        "skip": .init("Tasks to skip", minimum: 0, maximum: 1_000_000, default: 0),
        "limit": .init("Tasks to return", minimum: 1, maximum: 1000, default: 100),
        "account_id": .init("Only tasks about this target account"),
        "video_id": .init("Only tasks about this video (its `id`)"),
        "status": .init("Only tasks in this status (`in_progress` is read as `running`)"),
    ]
}

/// `MonitoringTaskUpdate`: `status: cancelled` cancels a waiting or running task, `status:
/// queued` retries a failed or cancelled one; `priority` (0-100, higher runs first) changes a
/// task that has not started.
struct MonitoringTaskUpdate: Codable, Sendable {
    var status: TaskStatus?
    var priority: Int?
}

/// A monitoring task to create.
struct NewMonitoringTask: Sendable {
    var type: MonitoringTaskType
    var accountID: UUID
    var videoID: UUID?
    var trigger: MonitoringTrigger
    var triggerKey: String?
    var input: JSONValue
    var priority: Int = 50
    var dependencies: [UUID] = []
}

extension APIError {
    static var monitoringTaskNotFound: APIError { .notFound("Monitoring task", code: "TASK_NOT_FOUND") }
}
