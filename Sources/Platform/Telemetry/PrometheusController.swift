import Crypto
import Foundation
import Hummingbird
import NIOCore
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// `GET /metrics`: the Prometheus text exposition. On the API's port it needs
/// `Authorization: Bearer <METRICS_TOKEN>`; on the separate metrics port (`METRICS_PORT`, meant
/// for an internal network) it is open. Gauges that describe the present (pool, queues, SSE
/// clients, process) are read when scraped.
public struct PrometheusController: Sendable {
    let exposition: MetricsExposition
    /// Nil: no token needed (the separate port).
    let token: String?

    public init(exposition: MetricsExposition, token: String?) {
        self.exposition = exposition
        self.token = token
    }

    public func register(in registry: RouteRegistry) {
        registry.group("", tag: "observability").get(
            "/metrics", "Prometheus metrics (text exposition format)", .public,
            description: token == nil ? "Open on the metrics port." : "Send `Authorization: Bearer <METRICS_TOKEN>`.",
            responses: [.text(contentType: "text/plain; version=0.0.4", "The metrics"), .error(.unauthorized, "No or a wrong metrics token")],
            use: metrics)
    }

    func metrics(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        if let token {
            let sent = request.headers[.authorization].flatMap { header -> String? in
                let parts = header.split(separator: " ", maxSplits: 1)
                return parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : nil
            } ?? ""
            guard Self.equal(sent, token) else {
                throw APIError(.unauthorized, code: "UNAUTHORIZED", message: "The metrics need the metrics token", headers: [.wwwAuthenticate: "Bearer"])
            }
        }
        let body = await exposition.render()
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Constant-time comparison of two tokens (by their digests, so lengths leak nothing).
    static func equal(_ a: String, _ b: String) -> Bool {
        let left = SHA256.hash(data: Data(a.utf8)), right = SHA256.hash(data: Data(b.utf8))
        return zip(left, right).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Renders the exposition after refreshing the gauges that are read at scrape time.
public struct MetricsExposition: Sendable {
    let telemetry: Telemetry
    let database: Database
    let events: EventBus
    let tasks = TaskUsageStore()
    /// Queues beyond this many (by depth) are summed under `other`: queue names come from
    /// tenants, and labels must stay few.
    static let maxQueues = 50

    public init(telemetry: Telemetry, database: Database, events: EventBus) {
        self.telemetry = telemetry
        self.database = database
        self.events = events
    }

    public func render() async -> [UInt8] {
        telemetry.sample("db_pool_connections_in_use", Double(database.connectionsInUse), help: "Pooled connections lent out now")
        telemetry.sample("db_pool_connections_max", Double(database.maxConnections), help: "The pool's size")
        telemetry.sample("sse_clients", Double(events.subscriberCount), help: "Server-Sent Events clients connected to this instance")
        let process = ProcessFacts.read()
        telemetry.sample("process_resident_memory_bytes", Double(process.residentBytes), help: "Resident memory of this process")
        telemetry.sample("process_open_fds", Double(process.openFileDescriptors), help: "Open file descriptors of this process")
        if let depth = try? await database.withPlatformScope({ tx in try await tasks.depth(in: tx) }) {
            telemetry.resetSamples(prefix: "task_queue_depth")
            var byQueue: [String: [String: Int]] = [:]
            for row in depth { byQueue[row.queue, default: [:]][row.status, default: 0] += row.count }
            let ranked = byQueue.sorted { $0.value.values.reduce(0, +) > $1.value.values.reduce(0, +) }
            var shown: [String: [String: Int]] = [:]
            for (index, entry) in ranked.enumerated() {
                let name = index < Self.maxQueues ? entry.key : "other"
                for (status, count) in entry.value { shown[name, default: [:]][status, default: 0] += count }
            }
            for (queue, statuses) in shown {
                for (status, count) in statuses {
                    telemetry.sample("task_queue_depth", Double(count), labels: [("queue", queue), ("status", status)], help: "Waiting and running tasks per queue")
                }
            }
        }
        return telemetry.exposition()
    }
}

/// The process's resident memory and open descriptors, from /proc.
enum ProcessFacts {
    static func read() -> (residentBytes: Int64, openFileDescriptors: Int) {
        var resident: Int64 = 0
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int64(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        {
            resident = kilobytes * 1024
        }
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        return (resident, descriptors)
    }
}
