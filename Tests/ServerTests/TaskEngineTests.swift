import Foundation
import Logging
import PlatformDatabase
import PlatformSupport
import PlatformTesting
@testable import Server
import ServiceLifecycle
import Synchronization
import TaskEngine
import Testing


/// Counts how often each task's handler ran.
final class RunLog: Sendable {
    let runs = Mutex<[UUID: Int]>([:])
    func record(_ id: UUID) { runs.withLock { $0[id, default: 0] += 1 } }
    var snapshot: [UUID: Int] { runs.withLock { $0 } }
}

struct CountingHandler: TaskHandler {
    let log: RunLog
    func run(_ job: TaskJob) async throws -> JSONValue? {
        log.record(job.task.id)
        try await Task.sleep(for: .milliseconds(Int.random(in: 0...4)))
        return ["ran": true]
    }
}

/// Fails until the given attempt, then succeeds.
struct FlakyHandler: TaskHandler {
    let succeedOnAttempt: Int
    func run(_ job: TaskJob) async throws -> JSONValue? {
        if job.task.attempts < succeedOnAttempt { throw TaskFailure("attempt \(job.task.attempts) broke") }
        return ["attempt": .int(Int64(job.task.attempts))]
    }
}

/// Worker settings for tests: fast polls and retries. The lease is long (a loaded machine can
/// miss a 2 s heartbeat and see its own task reaped); tests of expiry give a short one.
func workerSettings(concurrency: Int = 2, lease: Int = 30) -> TaskWorker.Settings {
    TaskWorker.Settings(
        concurrency: concurrency, pollInterval: .milliseconds(50), drainGrace: .milliseconds(200),
        engine: TaskEngineSettings(leaseSeconds: lease, retryBase: .milliseconds(50), retryCap: .milliseconds(200)))
}

/// Creates tasks as a tenant's member would.
func insertTasks(_ count: Int, type: String, input: JSONValue = [:], maxAttempts: Int = 3, dependencies: [UUID] = [], tenant: UUID, owner: UUID, in database: Database) async throws -> [TaskRecord] {
    try await database.withTenant(TenantScope(tenantID: tenant, userID: owner, dataScope: .all)) { tx in
        var tasks: [TaskRecord] = []
        for _ in 0..<count {
            var new = NewTask(taskType: type)
            new.input = input
            new.enqueue = true
            new.maxAttempts = maxAttempts
            new.dependencies = dependencies
            tasks.append(try await TaskStore.insert(new, tenantID: tenant, ownerID: owner, in: tx))
        }
        return tasks
    }
}

func task(_ id: UUID, tenant: UUID, in database: Database) async throws -> TaskRecord? {
    try await database.withPlatformScope { tx in try await TaskStore.find(id, tenantID: tenant, in: tx) }
}

func eventTypes(of id: UUID, in database: Database) async throws -> [(String, String?)] {
    try await database.withPlatformScope { tx in
        try await tx.all("SELECT type, data->>'worker_id' FROM event_log WHERE subject_id = \(id) ORDER BY id", as: (String, String?).self)
    }
}

/// Waits until `condition` holds, checking every 50 ms.
func eventually(within seconds: Double = 60, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// Runs `body` while `services` run; cancels them afterwards: first everything that uses a
/// pool, then the pools (`Database`), as a service group shuts down in reverse order. Cancelling
/// a pool while its users are still asking for connections can leave the pool's shutdown
/// waiting forever (seen as a hung test).
func withServices<Result: Sendable>(_ services: [any Service], _ body: () async throws -> Result) async throws -> Result {
    let pools = services.compactMap { $0 as? Database }
    let users = services.filter { !($0 is Database) }
    return try await withThrowingTaskGroup(of: Void.self) { poolGroup in
        for pool in pools { poolGroup.addTask { try await pool.run() } }
        defer { poolGroup.cancelAll() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for service in users { group.addTask { try await service.run() } }
            defer { group.cancelAll() }
            return try await body()
        }
    }
}


@Suite("Task engine: workers, leases, retries")
struct TaskEngineTests {
    @Test("N workers and M tasks: every task runs exactly once")
    func concurrentWorkers() async throws {
        try await withTestDatabase("tasks_concurrency", maxConnections: 12) { database, _ in
            let fixtures = Fixtures(try await makeDependencies(database))
            let tenant = try await fixtures.setup("conc")
            let log = RunLog()
            var handlers = TaskHandlerRegistry()
            handlers.register("count", CountingHandler(log: log))
            let tasks = try await insertTasks(200, type: "count", tenant: tenant.id, owner: tenant.superAdmin, in: database)
            let workers = (0..<4).map { index in
                TaskWorker(database: database, bus: nil, handlers: handlers, settings: workerSettings(concurrency: 3), logger: Logger(label: "w\(index)"), id: "worker-\(index)")
            }
            let done = try await withServices(workers) {
                try await eventually(within: 60) {
                    let completed = try await database.withPlatformScope { tx in
                        try await tx.first("SELECT count(*)::int FROM tasks WHERE status = 'completed'", as: Int.self)
                    }
                    return completed == 200
                }
            }
            #expect(done)
            let runs = log.snapshot
            #expect(runs.count == 200)
            #expect(runs.values.allSatisfy { $0 == 1 }, "some task ran more than once: \(runs.filter { $0.value > 1 })")
            #expect(Set(runs.keys) == Set(tasks.map(\.id)))
            let attempts: [Int] = try await database.withPlatformScope { tx in try await tx.all("SELECT attempts FROM tasks", as: Int.self) }
            #expect(attempts.allSatisfy { $0 == 1 })
            // The work was shared.
            let byWorker: [(String, Int)] = try await database.withPlatformScope { tx in
                try await tx.all("SELECT data->>'worker_id', count(*)::int FROM event_log WHERE type = 'task.started' GROUP BY 1", as: (String, Int).self)
            }
            #expect(byWorker.count >= 2)
        }
    }

    @Test("a worker process killed mid-task: the task completes exactly once on another worker after the lease expires")
    func crashedWorker() async throws {
        try await withTestDatabase("tasks_crash", maxConnections: 6) { database, handle in
            let fixtures = Fixtures(try await makeDependencies(database))
            let tenant = try await fixtures.setup("crash")
            let victim = Process()
            victim.executableURL = try platformExecutable()
            victim.arguments = ["worker", "--id", "crash-victim", "--concurrency", "1"]
            victim.environment = [
                "DATABASE_URL": handle.runtime.connectionString, "TASKS_LEASE_SECONDS": "2", "TASKS_POLL_MS": "100",
                "LOG_LEVEL": "error", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            ]
            victim.standardOutput = FileHandle.nullDevice
            victim.standardError = FileHandle.nullDevice
            try victim.run()
            defer { if victim.isRunning { kill(victim.processIdentifier, SIGKILL) } }

            let created = try #require(try await insertTasks(1, type: "wait", input: ["seconds": 10], tenant: tenant.id, owner: tenant.superAdmin, in: database).first)
            // The victim is running it and has made progress (10 s of work leaves a loaded machine
            // ample time to kill it before it finishes).
            #expect(try await eventually(within: 30) {
                let current = try await task(created.id, tenant: tenant.id, in: database)
                return current?.workerId == "crash-victim" && (current?.progress ?? 0) >= 10
            })
            kill(victim.processIdentifier, SIGKILL)
            await Tools.waitForExit(victim)

            var handlers = TaskHandlerRegistry()
            handlers.register(WaitTaskHandler.taskType, WaitTaskHandler())
            let survivor = TaskWorker(database: database, bus: nil, handlers: handlers, settings: workerSettings(concurrency: 1), logger: Logger(label: "survivor"), id: "survivor")
            let finished = try await withServices([survivor]) {
                try await eventually(within: 90) { try await task(created.id, tenant: tenant.id, in: database)?.status == .completed }
            }
            #expect(finished)
            let final = try #require(try await task(created.id, tenant: tenant.id, in: database))
            #expect(final.attempts == 2)
            #expect(final.taskOutput == ["waited_seconds": 10])
            let events = try await eventTypes(of: created.id, in: database)
            #expect(events.filter { $0.0 == "task.completed" }.count == 1)
            #expect(events.filter { $0.0 == "task.lease_expired" }.count == 1)
            #expect(events.filter { $0.0 == "task.started" }.map(\.1) == ["crash-victim", "survivor"])
        }
    }

    @Test("cancelling a running task stops its handler promptly")
    func cancellationReachesHandler() async throws {
        try await withTestDatabase("tasks_cancel", maxConnections: 6) { database, _ in
            let fixtures = Fixtures(try await makeDependencies(database))
            let tenant = try await fixtures.setup("cancel")
            var handlers = TaskHandlerRegistry()
            handlers.register(WaitTaskHandler.taskType, WaitTaskHandler())
            let bus = EventBus(database: database, logger: Logger(label: "bus"))
            // A long lease: only the cancellation event (not lease checks) can stop the handler quickly.
            let worker = TaskWorker(database: database, bus: bus, handlers: handlers, settings: workerSettings(concurrency: 1, lease: 60), logger: Logger(label: "w"))
            try await withServices([bus, worker]) {
                let created = try #require(try await insertTasks(1, type: "wait", input: ["seconds": 600], tenant: tenant.id, owner: tenant.superAdmin, in: database).first)
                #expect(try await eventually { worker.runningTasks == 1 })
                let cancelledAt = ContinuousClock.now
                _ = try await database.withTenant(TenantScope(tenantID: tenant.id, userID: tenant.superAdmin)) { tx in
                    try await TaskStore.transition(created.id, tenantID: tenant.id, to: .cancelled, in: tx)
                }
                // Far below the handler's 600 s and the 60 s lease, with room for a loaded machine.
                #expect(try await eventually(within: 30) { worker.runningTasks == 0 })
                #expect(ContinuousClock.now - cancelledAt < .seconds(30))
                let final = try #require(try await task(created.id, tenant: tenant.id, in: database))
                #expect(final.status == .cancelled)
                #expect(try await eventTypes(of: created.id, in: database).allSatisfy { $0.0 != "task.completed" })
            }
        }
    }

    @Test("failures retry with backoff until they succeed or attempts run out; dependents of a failed task are cancelled")
    func retries() async throws {
        try await withTestDatabase("tasks_retry", maxConnections: 6) { database, _ in
            let fixtures = Fixtures(try await makeDependencies(database))
            let tenant = try await fixtures.setup("retry")
            var handlers = TaskHandlerRegistry()
            handlers.register("flaky", FlakyHandler(succeedOnAttempt: 3))
            handlers.register("count", CountingHandler(log: RunLog()))
            let worker = TaskWorker(database: database, bus: nil, handlers: handlers, settings: workerSettings(), logger: Logger(label: "w"))
            let recovers = try #require(try await insertTasks(1, type: "flaky", maxAttempts: 3, tenant: tenant.id, owner: tenant.superAdmin, in: database).first)
            let givesUp = try #require(try await insertTasks(1, type: "flaky", maxAttempts: 2, tenant: tenant.id, owner: tenant.superAdmin, in: database).first)
            let dependent = try #require(try await insertTasks(1, type: "count", dependencies: [givesUp.id], tenant: tenant.id, owner: tenant.superAdmin, in: database).first)
            try await withServices([worker]) {
                let settled = try await eventually {
                    let first = try await task(recovers.id, tenant: tenant.id, in: database)?.status
                    let second = try await task(givesUp.id, tenant: tenant.id, in: database)?.status
                    return first == .completed && second == .failed
                }
                #expect(settled)
            }
            let recovered = try #require(try await task(recovers.id, tenant: tenant.id, in: database))
            #expect(recovered.attempts == 3)
            #expect(recovered.taskOutput == ["attempt": 3])
            #expect(try await eventTypes(of: recovers.id, in: database).filter { $0.0 == "task.retry_scheduled" }.count == 2)
            let failed = try #require(try await task(givesUp.id, tenant: tenant.id, in: database))
            #expect(failed.attempts == 2)
            #expect(failed.errorMessage == "attempt 2 broke")
            let ended = try #require(try await task(dependent.id, tenant: tenant.id, in: database))
            #expect(ended.status == .cancelled)
            #expect(ended.errorMessage?.contains(givesUp.id.uuidString.lowercased()) == true)
            #expect(TaskEngineSettings(retryBase: .seconds(2)).retryDelay(afterAttempt: 3) <= .seconds(8))
            #expect(TaskEngineSettings(retryBase: .seconds(2)).retryDelay(afterAttempt: 3) >= .seconds(4))
        }
    }
}

/// The `platform` executable built beside the test bundle.
func platformExecutable() throws -> URL {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for directory in [beside, beside.deletingLastPathComponent()] {
        let candidate = directory.appendingPathComponent("platform")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let built = root.appendingPathComponent(".build/debug/platform")
    guard FileManager.default.isExecutableFile(atPath: built.path) else {
        struct Missing: Error, CustomStringConvertible { var description: String }
        throw Missing(description: "the platform executable is not built (swift build --build-tests builds it)")
    }
    return built
}
