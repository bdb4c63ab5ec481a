import Foundation
import PlatformSupport
import Synchronization

public enum FlowNodeStatus: String, Codable, Sendable, CaseIterable, SchemaEnum {
    case pending, running, success, failed, skipped

    var isFinished: Bool { self == .success || self == .failed || self == .skipped }
}

/// A node's state in one run, as the journal records it.
public struct FlowNodeState: Codable, Sendable, Equatable {
    public var key: String
    public var type: String
    public var status: FlowNodeStatus
    public var attempts: Int
    public var input: JSONValue?
    public var output: JSONValue?
    public var error: String?
    public var startedAt: Date?
    public var completedAt: Date?
    public var logs: [FlowLogLine]

    public init(
        key: String, type: String, status: FlowNodeStatus = .pending, attempts: Int = 0, input: JSONValue? = nil, output: JSONValue? = nil,
        error: String? = nil, startedAt: Date? = nil, completedAt: Date? = nil, logs: [FlowLogLine] = []
    ) {
        self.key = key
        self.type = type
        self.status = status
        self.attempts = attempts
        self.input = input
        self.output = output
        self.error = error
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.logs = logs
    }

    public var durationMilliseconds: Int? {
        guard let startedAt, let completedAt else { return nil }
        return Int((completedAt.timeIntervalSince(startedAt) * 1000).rounded())
    }
}

public struct FlowProgress: Sendable, Equatable {
    public var finished: Int
    public var total: Int
    public var currentNode: String?

    public var percent: Int { total == 0 ? 100 : min(100, Int((Double(finished) / Double(total) * 100).rounded())) }
}

/// Where a run keeps its state, so a run can resume after its worker died: the Workflows module
/// implements it over its tables and the task's context document.
public protocol FlowRunJournal: Sendable {
    /// What an earlier attempt of this run recorded, by node key.
    func recordedStates() async throws -> [String: FlowNodeState]
    func nodeStarted(_ state: FlowNodeState, progress: FlowProgress) async throws
    /// A node finished (succeeded, failed or was skipped); `context` is the run's context now.
    func nodeFinished(_ state: FlowNodeState, context: JSONValue, progress: FlowProgress) async throws
}

/// Thrown out of a run that must wait (a long `delay`): its task is put back until `until`.
public struct FlowDeferral: Error, Sendable {
    public var until: Date
    public var nodeKey: String
}

public struct FlowRunResult: Sendable {
    public enum Status: String, Sendable { case completed, failed }

    public var status: Status
    public var output: JSONValue
    /// The node whose failure ended the run, and why.
    public var failedNode: String?
    public var errorMessage: String?
    public var states: [String: FlowNodeState]
    public var context: JSONValue
}

/// Runs graphs: nodes in dependency order, independent branches at once (up to
/// `maxConcurrency`), per-node retries with backoff and time limits, `on_failure` branches, loop
/// bodies, skips that propagate. Cancelling the calling task stops the running nodes.
public struct FlowExecutor: Sendable {
    public let registry: FlowNodeRegistry
    public var maxConcurrency: Int
    /// The first retry waits this long, doubling each time (with jitter), at most `maximumBackoff`.
    public var retryBase: Duration
    public var maximumBackoff: Duration

    public init(registry: FlowNodeRegistry, maxConcurrency: Int = 8, retryBase: Duration = .seconds(1), maximumBackoff: Duration = .seconds(60)) {
        self.registry = registry
        self.maxConcurrency = max(1, maxConcurrency)
        self.retryBase = retryBase
        self.maximumBackoff = maximumBackoff
    }

    public func run(
        _ graph: FlowGraph, input: JSONValue, run: FlowRunInfo, context: JSONValue = [:], journal: any FlowRunJournal
    ) async throws -> FlowRunResult {
        let plan = FlowPlan(graph: graph, registry: registry)
        let session = FlowSession(executor: self, plan: plan, run: run, input: input, journal: journal, context: context)
        return try await session.run(recorded: try await journal.recordedStates())
    }
}
