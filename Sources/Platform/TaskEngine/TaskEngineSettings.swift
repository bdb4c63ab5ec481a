import Foundation
import Logging
import PlatformDatabase
import PlatformSupport
import PostgresNIO

/// Tunables of the task engine (see docs/tasks.md).
public struct TaskEngineSettings: Sendable {
    /// How long a claimed task stays a worker's without a heartbeat.
    public var leaseSeconds: Int = 30
    /// First retry delay; each further attempt doubles it (with jitter), up to `retryCap`.
    public var retryBase: Duration = .seconds(2)
    public var retryCap: Duration = .seconds(600)

    public init(leaseSeconds: Int = 30, retryBase: Duration = .seconds(2), retryCap: Duration = .seconds(600)) {
        self.leaseSeconds = leaseSeconds
        self.retryBase = retryBase
        self.retryCap = retryCap
    }

    /// Exponential backoff with jitter: between half and all of base * 2^(attempt-1), capped.
    public func retryDelay(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let full = min(retryBase * (1 << exponent), retryCap)
        return full * Double.random(in: 0.5...1.0)
    }
}

/// Changes that travel with a status transition.
public struct TaskStatusChange: Sendable {
    public var output: JSONValue?
    public var errorMessage: String?
    public var progress: Int?
    public var currentStep: String?
    /// Merged into task_metadata (top-level keys replaced).
    public var metadata: JSONValue?
    /// For a move to `queued`: not runnable before this.
    public var notBefore: Date?
    /// For a move to `running`: the worker taking the task and its lease.
    public var leaseOwner: String?
    public var leaseSeconds: Int?
    /// Only applies while this worker holds the lease.
    public var requireLeaseOwner: String?
    /// Start the attempt count afresh (a manual retry).
    public var resetAttempts = false
    /// Give back the attempt in progress (a drained worker returns its task unfinished).
    public var refundAttempt = false

    public init(
        output: JSONValue? = nil, errorMessage: String? = nil, progress: Int? = nil, currentStep: String? = nil,
        metadata: JSONValue? = nil, notBefore: Date? = nil
    ) {
        self.output = output
        self.errorMessage = errorMessage
        self.progress = progress
        self.currentStep = currentStep
        self.metadata = metadata
        self.notBefore = notBefore
    }
}
