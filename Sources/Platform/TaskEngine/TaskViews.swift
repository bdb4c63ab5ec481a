import Foundation
import Hummingbird
import PlatformDatabase
import PlatformSupport

/// Fields a module adds to its tasks' answers (a workflow run's `workflow_id`,
/// `node_executions`, ...), keyed by task type. `Server` fills it; the task routes consult it,
/// so the Tasks module never imports the module that owns the task type.
public struct TaskViewExtensions: Sendable {
    public typealias Fields = @Sendable (TaskRecord, DatabaseTransaction) async throws -> [String: JSONValue]
    /// Unnamed SSE messages for clients that listen with `onmessage` (GoyaVision's).
    public typealias ProgressMessage = @Sendable (TaskRecord, DatabaseTransaction) async throws -> JSONValue?

    private var fields: [String: Fields] = [:]
    private var messages: [String: ProgressMessage] = [:]
    private var claimFields: [Fields] = []

    public init() {}

    public mutating func register(taskType: String, fields: @escaping Fields, progressMessage: ProgressMessage? = nil) {
        self.fields[taskType] = fields
        if let progressMessage { messages[taskType] = progressMessage }
    }

    /// Fields a worker receives with every task it claims, whatever its type (the effective
    /// worker configs, the credentials of the platform account a task names). Only the claim
    /// route, which needs the claim permission, serves them.
    public mutating func registerClaimFields(_ fields: @escaping Fields) {
        claimFields.append(fields)
    }

    /// The claimed task as a worker receives it: its type's fields, then every claim field.
    public func claimView(_ task: TaskRecord, in tx: DatabaseTransaction) async throws -> TaskView {
        var extra = try await fields(for: task, in: tx)
        for make in claimFields {
            extra.merge(try await make(task, tx)) { _, new in new }
        }
        return TaskView(task, extra: extra)
    }

    public func fields(for task: TaskRecord, in tx: DatabaseTransaction) async throws -> [String: JSONValue] {
        guard let make = fields[task.taskType] else { return [:] }
        return try await make(task, tx)
    }

    public func progressMessage(for task: TaskRecord, in tx: DatabaseTransaction) async throws -> JSONValue? {
        guard let make = messages[task.taskType] else { return nil }
        return try await make(task, tx)
    }

    public func hasProgressMessages(_ taskType: String) -> Bool { messages[taskType] != nil }

    /// The task with its type's extra fields.
    public func view(_ task: TaskRecord, in tx: DatabaseTransaction) async throws -> TaskView {
        TaskView(task, extra: try await fields(for: task, in: tx))
    }
}

/// A task as served: the record's fields, then the extra ones of its type at the top level.
public struct TaskView: Codable, Sendable, ResponseEncodable {
    public var task: TaskRecord
    public var extra: [String: JSONValue]

    public init(_ task: TaskRecord, extra: [String: JSONValue] = [:]) {
        self.task = task
        self.extra = extra
    }

    public init(from decoder: any Decoder) throws {
        task = try TaskRecord(from: decoder)
        extra = [:]
    }

    public func encode(to encoder: any Encoder) throws {
        try task.encode(to: encoder)
        var container = encoder.container(keyedBy: ExtraKey.self)
        for (key, value) in extra.sorted(by: { $0.key < $1.key }) {
            guard let codingKey = ExtraKey(stringValue: key) else { continue }
            try container.encode(value, forKey: codingKey)
        }
    }

    struct ExtraKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
