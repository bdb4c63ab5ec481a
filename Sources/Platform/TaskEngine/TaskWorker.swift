import Foundation
import Logging
import PlatformDatabase
import PlatformSupport
import ServiceLifecycle
import Synchronization

/// Work of one task type. Modules register handlers; the worker runs them under a lease.
public protocol TaskHandler: Sendable {
    /// Runs the task; what it returns becomes `task_output`. Throwing fails this attempt (a
    /// retry follows while attempts remain, unless the error is a `TaskFailure` that says not
    /// to). Cancellation (the task was cancelled, or its lease lost) arrives as task cancellation.
    func run(_ job: TaskJob) async throws -> JSONValue?
}

/// A handler's failure with a message for `error_message`.
public struct TaskFailure: Error, Sendable {
    public var message: String
    public var retryable: Bool
    /// When the next attempt may run, if the handler knows better than the engine's backoff
    /// (a schedule of its own, a `Retry-After`).
    public var retryAfter: Duration?

    public init(_ message: String, retryable: Bool = true, retryAfter: Duration? = nil) {
        self.message = message
        self.retryable = retryable
        self.retryAfter = retryAfter
    }
}

/// Thrown by a handler that must wait (a long delay in a workflow): the task goes back to its
/// queue until `until`, its attempt given back, and the worker is free meanwhile.
public struct TaskDeferral: Error, Sendable {
    public var until: Date
    public var reason: String

    public init(until: Date, reason: String) {
        self.until = until
        self.reason = reason
    }
}

/// The handlers a worker can run, by task type.
public struct TaskHandlerRegistry: Sendable {
    public private(set) var handlers: [String: any TaskHandler] = [:]
    private var internalTypes: Set<String> = []
    private var moduleTypes: Set<String> = []

    public init() {}

    /// - Parameters:
    ///   - isInternal: the platform's own jobs (webhook deliveries), not offered to tenants as task types.
    ///   - createdByModule: tenant tasks that only their module's routes create (a workflow run):
    ///     not offered for `POST /tasks`.
    public mutating func register(_ taskType: String, _ handler: any TaskHandler, isInternal: Bool = false, createdByModule: Bool = false) {
        handlers[taskType] = handler
        if isInternal { internalTypes.insert(taskType) }
        if createdByModule { moduleTypes.insert(taskType) }
    }

    /// Types tenants see but create only through their module's routes.
    public var reservedTaskTypes: Set<String> { moduleTypes }

    /// Every type the worker runs.
    public var taskTypes: [String] { handlers.keys.sorted() }

    /// The platform's own job types: only tasks of kind `internal` run as these.
    public var internalTaskTypes: [String] { internalTypes.sorted() }

    /// The types tenants may create tasks of.
    public var publicTaskTypes: [String] { handlers.keys.filter { !internalTypes.contains($0) && !moduleTypes.contains($0) }.sorted() }
}

/// A running task as its handler sees it.
public struct TaskJob: Sendable {
    public let task: TaskRecord
    public let workerID: String
    let database: Database

    /// The task's tenant, with the rights of its owner's tenant (handlers act for the tenant).
    public var tenantScope: TenantScope { TenantScope(tenantID: task.tenantId, userID: task.ownerId, dataScope: .all) }

    /// Reports progress (0-100) and the current step; also renews the lease. Throws
    /// `CancellationError` when the task is no longer this worker's to run.
    public func progress(_ percent: Int, step: String? = nil) async throws {
        var change = TaskStatusChange(progress: min(max(percent, 0), 100), currentStep: step)
        change.requireLeaseOwner = workerID
        let task = self.task
        _ = try await database.withTenant(tenantScope) { tx in
            try await TaskStore.report(task.id, tenantID: task.tenantId, change: change, in: tx)
        }
    }

    /// Replaces the task's context document (its history is kept as JSON Patch operations).
    public func setContext(_ document: JSONValue) async throws {
        let task = self.task
        try await database.withTenant(tenantScope) { tx in
            try await TaskStore.setContext(task, to: document, in: tx)
        }
    }
}

/// Claims and runs tasks of the registered types: inside `platform serve` and as `platform
/// worker`, any number per database. Wakes on `task.queued` events and polls as a fallback;
/// renews each running task's lease, cancels the handler when the task is cancelled or the
/// lease lost, retries failures with backoff, and returns reaped tasks to the queue.
public final class TaskWorker: Service {
    public struct Settings: Sendable {
        public var concurrency = 4
        public var pollInterval: Duration = .seconds(2)
        public var drainGrace: Duration = .seconds(10)
        public var queues: [String]?
        public var engine = TaskEngineSettings()

        public init(concurrency: Int = 4, pollInterval: Duration = .seconds(2), drainGrace: Duration = .seconds(10), queues: [String]? = nil, engine: TaskEngineSettings = TaskEngineSettings()) {
            self.concurrency = concurrency
            self.pollInterval = pollInterval
            self.drainGrace = drainGrace
            self.queues = queues
            self.engine = engine
        }
    }

    public let id: String
    let database: Database
    let bus: EventBus?
    let handlers: TaskHandlerRegistry
    let settings: Settings
    let logger: Logger
    private let running = Atomic<Int>(0)
    /// Per running task, a way to make its lease watcher look now (a cancellation arrived).
    private let watchers = Mutex<[UUID: AsyncStream<Void>.Continuation]>([:])
    /// Told how each run ended (type, outcome, time spent), for metrics.
    let observer: (@Sendable (_ type: String, _ outcome: String, _ duration: Duration) -> Void)?

    public init(
        database: Database, bus: EventBus?, handlers: TaskHandlerRegistry, settings: Settings = Settings(), logger: Logger, id: String? = nil,
        observer: (@Sendable (_ type: String, _ outcome: String, _ duration: Duration) -> Void)? = nil
    ) {
        self.observer = observer
        self.database = database
        self.bus = bus
        self.handlers = handlers
        self.settings = settings
        self.logger = logger
        self.id = id ?? "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8).lowercased())"
    }

    public var runningTasks: Int { running.load(ordering: .relaxed) }

    public func run() async throws {
        let types = handlers.taskTypes
        guard !types.isEmpty, settings.concurrency > 0 else {
            try? await gracefulShutdown()
            return
        }
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let ticker = Task {
            while !Task.isCancelled {
                wake.yield()
                try? await Task.sleep(for: settings.pollInterval)
            }
        }
        let listener = Task { [bus] in
            guard let bus else { return }
            let subscription = bus.subscribe(tenantID: nil, typePrefixes: ["task.queued", "task.cancelled", "command.queued", "command.cancelled", "internal.queued", "internal.cancelled"])
            for await event in subscription.events {
                if event.type.hasSuffix(".queued") {
                    wake.yield()
                } else if let subject = event.subjectId {
                    _ = self.watchers.withLock { $0[subject]?.yield() }
                }
            }
        }
        let reaper = Task {
            let interval = Duration.seconds(max(1, settings.engine.leaseSeconds / 3))
            while !Task.isCancelled {
                do {
                    let reaped = try await database.withPlatformScope { tx in try await TaskStore.reapExpiredLeases(in: tx) }
                    for task in reaped {
                        logger.warning("task lease expired", metadata: ["task_id": "\(task.id)", "status": "\(task.status.rawValue)"])
                    }
                    if !reaped.isEmpty { wake.yield() }
                } catch {
                    if !Task.isCancelled { logger.warning("reaping expired leases failed: \(String(reflecting: error))") }
                }
                try? await Task.sleep(for: interval)
            }
        }
        defer {
            ticker.cancel()
            listener.cancel()
            reaper.cancel()
        }
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                for await _ in wakeups {
                    var free = settings.concurrency - running.load(ordering: .relaxed)
                    while free > 0 {
                        let claimed: [TaskRecord]
                        do {
                            claimed = try await database.withPlatformScope { tx in
                                try await TaskStore.claim(
                                    worker: id, leaseSeconds: settings.engine.leaseSeconds, limit: free,
                                    queues: settings.queues, taskTypes: types, internalTypes: handlers.internalTaskTypes, tenantID: nil, in: tx)
                            }
                        } catch {
                            logger.warning("claiming tasks failed: \(String(reflecting: error))")
                            break
                        }
                        for task in claimed {
                            running.add(1, ordering: .relaxed)
                            group.addTask {
                                await self.execute(task)
                                self.running.subtract(1, ordering: .relaxed)
                                wake.yield()
                            }
                        }
                        if claimed.count < free { break }
                        free = settings.concurrency - running.load(ordering: .relaxed)
                    }
                }
            } onGracefulShutdown: {
                wake.finish()
            }
            // Draining: running tasks get a grace period to finish; then their handlers are
            // cancelled and the tasks handed back to the queue.
            let deadline = ContinuousClock.now + settings.drainGrace
            while running.load(ordering: .relaxed) > 0 && ContinuousClock.now < deadline && !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
            }
            group.cancelAll()
        }
    }

    enum Outcome: Sendable {
        case finished(JSONValue?)
        case threw(String, retryable: Bool, retryAfter: Duration?)
        case interrupted
        case lost
        case deferred(TaskDeferral)

        var label: String {
            switch self {
            case .finished: "completed"
            case .threw: "failed"
            case .interrupted: "interrupted"
            case .lost: "lost"
            case .deferred: "deferred"
            }
        }
    }

    /// Runs one claimed task to an outcome and records it, if the lease is still ours.
    func execute(_ task: TaskRecord) async {
        guard let handler = handlers.handlers[task.taskType] else { return }
        let job = TaskJob(task: task, workerID: id, database: database)
        let (checks, check) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        watchers.withLock { $0[task.id] = check }
        let interval = Duration.seconds(max(1, settings.engine.leaseSeconds)) / 3
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                check.yield()
            }
        }
        defer {
            ticker.cancel()
            check.finish()
            _ = watchers.withLock { $0.removeValue(forKey: task.id) }
        }
        let started = ContinuousClock.now
        let outcome: Outcome = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                do {
                    return .finished(try await handler.run(job))
                } catch is CancellationError {
                    return .interrupted
                } catch let deferral as TaskDeferral {
                    return .deferred(deferral)
                } catch {
                    // A handler stopped by cancellation may surface it as its own error (an HTTP
                    // client's, a tool's): it was interrupted all the same, not failed, and
                    // must not spend an attempt.
                    if Task.isCancelled { return .interrupted }
                    if let failure = error as? TaskFailure {
                        return .threw(failure.message, retryable: failure.retryable, retryAfter: failure.retryAfter)
                    }
                    return .threw(String(describing: error), retryable: true, retryAfter: nil)
                }
            }
            group.addTask { [database, id] in
                for await _ in checks {
                    let ours = (try? await database.withPlatformScope { tx in try await TaskStore.heartbeat(task, worker: id, in: tx) }) ?? true
                    if !ours { return .lost }
                }
                return nil
            }
            var result: Outcome = .interrupted
            while let next = await group.next() {
                guard let next else { continue }
                if case .lost = next {
                    // Stop the handler, then report nothing: the task is no longer ours.
                    group.cancelAll()
                    result = .lost
                    break
                }
                result = next
                break
            }
            group.cancelAll()
            return result
        }
        observer?(task.taskType, outcome.label, ContinuousClock.now - started)
        // Recorded even when the worker is being cancelled (the drain's hand-back must land).
        await Task { await self.record(outcome, of: task) }.value
    }

    func record(_ outcome: Outcome, of task: TaskRecord) async {
        do {
            try await database.withPlatformScope { tx in
                switch outcome {
                case .finished(let output):
                    var change = TaskStatusChange(output: output ?? .null)
                    change.requireLeaseOwner = id
                    _ = try await TaskStore.transition(task.id, tenantID: task.tenantId, to: .completed, change: change, in: tx)
                case .threw(let message, let retryable, let retryAfter):
                    if retryable && task.attempts < task.maxAttempts {
                        let delay = retryAfter ?? settings.engine.retryDelay(afterAttempt: task.attempts)
                        var change = TaskStatusChange(errorMessage: message, notBefore: Date().addingTimeInterval(delay.seconds))
                        change.requireLeaseOwner = id
                        let retried = try await TaskStore.transition(task.id, tenantID: task.tenantId, to: .queued, change: change, in: tx)
                        try await TaskStore.publish(retried, "retry_scheduled", extra: ["retry_in_seconds": .double(delay.seconds)], in: tx)
                    } else {
                        var change = TaskStatusChange(errorMessage: message)
                        change.requireLeaseOwner = id
                        _ = try await TaskStore.transition(task.id, tenantID: task.tenantId, to: .failed, change: change, in: tx)
                    }
                case .interrupted:
                    // Drained before finishing: back to the queue for another worker, the attempt refunded.
                    var change = TaskStatusChange(errorMessage: "interrupted: worker \(id) shut down")
                    change.requireLeaseOwner = id
                    change.refundAttempt = true
                    _ = try await TaskStore.transition(task.id, tenantID: task.tenantId, to: .queued, change: change, in: tx)
                case .deferred(let deferral):
                    var change = TaskStatusChange(currentStep: deferral.reason, notBefore: deferral.until)
                    change.requireLeaseOwner = id
                    change.refundAttempt = true
                    let waiting = try await TaskStore.transition(task.id, tenantID: task.tenantId, to: .queued, change: change, in: tx)
                    try await TaskStore.publish(waiting, "deferred", extra: ["until": .string(RFC3339.string(from: deferral.until))], in: tx)
                case .lost:
                    break
                }
            }
        } catch let error as APIError where error.status == .conflict || error.status == .notFound {
            // Cancelled, reaped or deleted meanwhile: whoever changed it decided its fate.
            logger.info("task outcome not recorded", metadata: ["task_id": "\(task.id)", "reason": "\(error.message)"])
        } catch {
            logger.error("recording a task outcome failed", metadata: ["task_id": "\(task.id)", "error": "\(String(reflecting: error))"])
        }
    }
}
