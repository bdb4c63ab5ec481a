import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport
import TaskEngine

extension CommandController {
    enum Priority: String, Codable, Sendable, SchemaEnum, CaseIterable {
        case high, normal, low

        var value: Int {
            switch self {
            case .high: 80
            case .normal: 50
            case .low: 20
            }
        }

        init(value: Int) {
            self = value >= 65 ? .high : value >= 35 ? .normal : .low
        }
    }

    /// The seed's words for the engine's statuses.
    enum CommandStatus: String, Codable, Sendable, SchemaEnum, CaseIterable {
        case queued, processing, completed, failed, cancelled

        init(_ status: TaskStatus) {
            switch status {
            case .pending, .queued: self = .queued
            case .running: self = .processing
            case .completed: self = .completed
            case .failed: self = .failed
            case .cancelled: self = .cancelled
            }
        }

        var engineStatuses: [String] {
            switch self {
            case .queued: ["pending", "queued"]
            case .processing: ["running"]
            case .completed: ["completed"]
            case .failed: ["failed"]
            case .cancelled: ["cancelled"]
            }
        }
    }

    struct CommandView: Codable, Sendable, ResponseEncodable {
        var commandId: UUID
        var command: String
        var parameters: JSONValue
        var priority: Priority
        var status: CommandStatus
        var result: JSONValue?
        var error: String?
        var attempts: Int
        var maxAttempts: Int
        var createdAt: Date
        var updatedAt: Date
        var startedAt: Date?
        var completedAt: Date?

        init(_ task: TaskRecord) {
            commandId = task.id
            command = task.taskType
            parameters = task.taskInput
            priority = Priority(value: task.priority)
            status = CommandStatus(task.status)
            result = task.taskOutput
            error = task.errorMessage
            attempts = task.attempts
            maxAttempts = task.maxAttempts
            createdAt = task.createdAt
            updatedAt = task.updatedAt
            startedAt = task.startedAt
            completedAt = task.completedAt
        }
    }

    struct CommandList: Codable, Sendable, ResponseEncodable {
        var commands: [CommandView]
        var total: Int
        var limit: Int
        var offset: Int
    }

    struct CreateCommand: Codable, Sendable {
        var command: String
        var parameters: JSONValue?
        var priority: Priority?
        var maxAttempts: Int?
    }

    struct CompleteCommand: Codable, Sendable {
        var result: JSONValue?
    }

    struct FailCommand: Codable, Sendable {
        var error: String?
        /// Queue it again (while attempts remain) instead of failing it for good.
        var retry: Bool?
    }

    struct QueueStats: Codable, Sendable, ResponseEncodable {
        var queued: Int
        var processing: Int
        var completed: Int
        var failed: Int
        var cancelled: Int
        var avgProcessingTimeMs: Double?
    }

    struct ClearOld: Codable, Sendable {
        var olderThanDays: Int?
    }

    struct Cleared: Codable, Sendable, ResponseEncodable {
        var deleted: Int
    }
}

extension APIError {
    static var commandNotFound: APIError { .notFound("Command", code: "COMMAND_NOT_FOUND") }
}
