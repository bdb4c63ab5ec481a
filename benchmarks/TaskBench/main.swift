// The task-engine benchmark (issue 4), driven by benchmarks/tasks.sh:
//   throughput  — tasks per second through enqueue -> claim -> complete, with W in-process
//                 workers (each 4 handler slots, waking on task.queued notifications)
//   latency     — against a running `platform serve`: POST /api/v1/tasks (enqueue: true, a
//                 zero-second `wait`) to its `task.queued` and `task.completed` events arriving
//                 on a subscribed SSE client (/api/v1/events/stream)
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PlatformDatabase
import PlatformSupport
import ServiceLifecycle
import TaskEngine

struct NoopHandler: TaskHandler {
    func run(_ job: TaskJob) async throws -> JSONValue? { nil }
}

func argument(_ name: String) -> String? {
    guard let index = CommandLine.arguments.firstIndex(of: "--" + name), index + 1 < CommandLine.arguments.count else { return nil }
    return CommandLine.arguments[index + 1]
}

struct Rates {
    var enqueue: Double
    var drain: Double
    var endToEnd: Double
}

/// Three runs of `tasks` no-op tasks with `workers` workers running: enqueue rate (inserts in
/// transactions of 50, as API callers would), drain rate (tasks queued all at once, claimed and
/// completed), and end to end (enqueued while the workers run, until the last completes).
func throughput(url: DatabaseURL, workers: Int, tasks: Int) async throws -> Rates {
    let logger = Logger(label: "bench")
    let database = Database(url: url, maxConnections: 4 * workers + 4, logger: logger)
    let bus = EventBus(database: database, logger: logger)
    var handlers = TaskHandlerRegistry()
    handlers.register("bench.noop", NoopHandler())
    let pool = (0..<workers).map { index in
        TaskWorker(database: database, bus: bus, handlers: handlers,
                   settings: TaskWorker.Settings(concurrency: 4, pollInterval: .milliseconds(500)), logger: logger, id: "bench-\(index)")
    }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await database.run() }
        group.addTask { try await bus.run() }
        defer { group.cancelAll() }
        try await Task.sleep(for: .milliseconds(200))
        let found: (UUID, UUID)? = try await database.withPlatformScope { tx in
            try await tx.first("SELECT tenant_id, user_id FROM tenant_memberships LIMIT 1", as: (UUID, UUID).self)
        }
        guard let (tenant, owner) = found else { fatalError("bootstrap the database first") }
        let scope = TenantScope(tenantID: tenant, userID: owner, dataScope: .all)
        func enqueue(_ queued: Bool) async throws {
            for _ in 0..<(tasks / 50) {
                try await database.withTenant(scope) { tx in
                    for _ in 0..<50 {
                        var new = NewTask(taskType: "bench.noop")
                        new.enqueue = queued
                        _ = try await TaskStore.insert(new, tenantID: tenant, ownerID: owner, in: tx)
                    }
                }
            }
        }
        func waitForAll() async throws {
            while true {
                let done: Int? = try await database.withPlatformScope { tx in
                    try await tx.first("SELECT count(*)::int FROM tasks WHERE task_type = 'bench.noop' AND status = 'completed'", as: Int.self)
                }
                if (done ?? 0) >= tasks { break }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        func reset() async throws {
            try await database.withPlatformScope { tx in
                try await tx.query("DELETE FROM event_log WHERE type LIKE 'task.%'")
                try await tx.query("DELETE FROM tasks WHERE task_type = 'bench.noop'")
            }
        }
        // Enqueue rate and drain rate.
        var clock = ContinuousClock.now
        try await enqueue(false)
        let enqueueRate = Double(tasks) / (ContinuousClock.now - clock).seconds
        for worker in pool { group.addTask { try await worker.run() } }
        try await Task.sleep(for: .milliseconds(200))
        clock = ContinuousClock.now
        try await database.withPlatformScope { tx in
            try await tx.query("UPDATE tasks SET status = 'queued', enqueued_at = now() WHERE task_type = 'bench.noop'")
            try await EventBus.publish(PlatformEvent(type: "task.queued", tenantId: nil, data: [:]), in: tx)
        }
        try await waitForAll()
        let drainRate = Double(tasks) / (ContinuousClock.now - clock).seconds
        try await reset()
        // End to end: enqueued while the workers run.
        clock = ContinuousClock.now
        try await enqueue(true)
        try await waitForAll()
        let endToEnd = Double(tasks) / (ContinuousClock.now - clock).seconds
        try await reset()
        return Rates(enqueue: enqueueRate, drain: drainRate, endToEnd: endToEnd)
    }
}

func latency(base: String, token: String, samples: Int) async throws -> (queued: [Double], completed: [Double]) {
    var request = HTTPClientRequest(url: "\(base)/api/v1/events/stream?types=task.")
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
    let (lines, sink) = AsyncStream<String>.makeStream()
    let reader = Task {
        var pending = ""
        for try await chunk in response.body {
            pending += String(buffer: chunk)
            while let range = pending.range(of: "\n\n") {
                sink.yield(String(pending[..<range.lowerBound]))
                pending = String(pending[range.upperBound...])
            }
        }
    }
    defer { reader.cancel() }
    var frames = lines.makeAsyncIterator()
    var queued: [Double] = []
    var completed: [Double] = []
    for _ in 0..<samples {
        var create = HTTPClientRequest(url: "\(base)/api/v1/tasks")
        create.method = .POST
        create.headers.add(name: "Authorization", value: "Bearer \(token)")
        create.headers.add(name: "Content-Type", value: "application/json")
        create.body = .bytes(ByteBuffer(string: #"{"task_type": "wait", "task_input": {"seconds": 0}, "enqueue": true}"#))
        let started = ContinuousClock.now
        let created = try await HTTPClient.shared.execute(create, timeout: .seconds(30))
        let body = try await created.body.collect(upTo: 1 << 20)
        let id = ((try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])?["id"] as? String)?.lowercased() ?? "?"
        var sawQueued = false
        while let frame = await frames.next() {
            guard frame.contains(id) else { continue }
            if frame.contains("event: task.queued") && !sawQueued {
                queued.append((ContinuousClock.now - started).seconds * 1000)
                sawQueued = true
            }
            if frame.contains("event: task.completed") {
                completed.append((ContinuousClock.now - started).seconds * 1000)
                break
            }
        }
    }
    return (queued, completed)
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

let mode = argument("mode") ?? "throughput"
if mode == "throughput" {
    guard let text = argument("database-url") else { fatalError("--database-url is required") }
    let url = try DatabaseURL(parsing: text)
    let tasks = Int(argument("tasks") ?? "") ?? 2000
    for workers in [1, 2, 4] {
        let rates = try await throughput(url: url, workers: workers, tasks: tasks)
        print(String(format: "| %d | %d | %.0f | %.0f | %.0f |", workers, tasks, rates.enqueue, rates.drain, rates.endToEnd))
    }
} else {
    guard let base = argument("base-url"), let token = argument("token") else { fatalError("--base-url and --token are required") }
    let samples = Int(argument("samples") ?? "") ?? 200
    let (queued, completed) = try await latency(base: base, token: token, samples: samples)
    for (name, values) in [("enqueue -> `task.queued` on SSE", queued), ("enqueue -> `task.completed` on SSE", completed)] {
        print(String(format: "| %@ | %d | %.1f | %.1f | %.1f |", name, values.count, percentile(values, 0.5), percentile(values, 0.95), percentile(values, 0.99)))
    }
}
