import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

/// The seed's `WorkerConfig`.
struct WorkerConfigView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var configName: String
    var configType: String
    var workerType: String?
    var configData: JSONValue
    var description: String?
    var priority: Int
    var isActive: Bool
    var createdAt: Date
    var updatedAt: Date

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(configName, forKey: .configName)
        try container.encode(configType, forKey: .configType)
        try container.encode(workerType, forKey: .workerType)
        try container.encode(configData, forKey: .configData)
        try container.encode(description, forKey: .description)
        try container.encode(priority, forKey: .priority)
        try container.encode(isActive, forKey: .isActive)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

/// `WorkerConfigCreate` / `WorkerConfigUpdate`: on update a missing field keeps its value.
struct WorkerConfigInput: Codable, Sendable {
    var configName: String?
    var configType: String?
    var workerType: String?
    var configData: JSONValue?
    var description: String?
    var priority: Int?
    var isActive: Bool?
}

/// A checked input.
struct WorkerConfigFields: Sendable {
    var configName: String?
    var configType: String?
    var workerType: String?
    var configData: JSONValue?
    var description: String?
    var priority: Int?
    var isActive: Bool?
}

/// `ConfigAssignmentRequest`: the configs to give the task, and data laid over each one's.
struct ConfigAssignmentInput: Codable, Sendable {
    var configIds: [UUID]
    var overrideData: JSONValue?
}

/// The seed's assignment.
struct ConfigAssignmentView: Codable, Sendable {
    var id: UUID
    var taskId: UUID
    var configId: UUID
    var overrideData: JSONValue
    var createdAt: Date
}

/// One config type's effective configuration for a task: the highest-priority active config of
/// that type assigned to it, its data with the assignment's `override_data` merged over it.
struct EffectiveConfig: Codable, Sendable {
    var configId: UUID
    var configName: String
    var configType: String
    var workerType: String?
    var priority: Int
    var configData: JSONValue
}

/// An assignment joined with its config, as the effective configs are made from.
struct AssignedConfig: Decodable, Sendable {
    var configId: UUID
    var configName: String
    var configType: String
    var workerType: String?
    var priority: Int
    var configData: JSONValue
    var overrideData: JSONValue
}

struct WorkerConfigListQuery: QueryInput {
    var skip: Int?
    var limit: Int?
    var workerType: String?
    var configType: String?
    var isActive: Bool?
    static let parameterDocs: [String: QueryParameterDoc] = SeedPaging.docs.merging([
        "worker_type": .init("Only configs for this worker type", maxLength: 100),
        "config_type": .init("Only configs of this type", maxLength: 100),
        "is_active": .init("Active (default) or inactive configs", default: true),
    ]) { _, new in new }
}

extension APIError {
    static var workerConfigNotFound: APIError { .notFound("Worker config", code: "WORKER_CONFIG_NOT_FOUND") }
    static var workerConfigExists: APIError {
        APIError(.conflict, code: "WORKER_CONFIG_EXISTS", message: "A worker config with this name exists", hint: "Choose another config_name")
    }
    static var taskNotFound: APIError { .notFound("Task", code: "TASK_NOT_FOUND") }
}
