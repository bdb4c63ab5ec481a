import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

struct SystemMetrics: Codable, Sendable, ResponseEncodable {
    struct Metrics: Codable, Sendable {
        var jobsTotal: Int
        var jobsActive: Int
        var jobsPending: Int
        var jobsCompleted: Int
        var jobsFailed: Int
        var jobsCancelled: Int
        var totalAnnotations: Int64
    }

    struct Performance: Codable, Sendable {
        var averageJobSeconds: Double?
        var jobsCompletedLastHour: Int
        var cpuCount: Int
        var loadAverage: [Double]?
    }

    var timestamp: Date
    var metrics: Metrics
    var performance: Performance
}

/// `GET /api/v1/system/metrics`: the caller's tenant's jobs in VideoAnnotator's shape.
struct SystemController: Sendable {
    let database: Database
    let store = JobStore()

    func register(in routes: RouteGroup) {
        routes.get("/metrics", "Job counts, annotations and timing of the caller's tenant", .permission("annotation:system:read"), use: metrics)
    }

    func metrics(_ request: Request, _ context: AuthenticatedContext) async throws -> SystemMetrics {
        let tenantID = context.principal.tenantID
        let (counts, timing) = try await database.withTenant(context.tenant) { tx in
            (try await store.counts(tenantID: tenantID, in: tx), try await store.timing(tenantID: tenantID, in: tx))
        }
        return SystemMetrics(
            timestamp: Date(),
            metrics: .init(
                jobsTotal: counts.total, jobsActive: counts.running, jobsPending: counts.pending, jobsCompleted: counts.completed,
                jobsFailed: counts.failed, jobsCancelled: counts.cancelled, totalAnnotations: counts.annotations),
            performance: .init(
                averageJobSeconds: timing.averageSeconds.map { ($0 * 1000).rounded() / 1000 }, jobsCompletedLastHour: timing.completedLastHour,
                cpuCount: ProcessInfo.processInfo.activeProcessorCount, loadAverage: Self.loadAverage()))
    }

    static func loadAverage() -> [Double]? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        let values = text.split(separator: " ").prefix(3).compactMap { Double($0) }
        return values.count == 3 ? values : nil
    }
}

/// VideoAnnotator's `workers` block of `/api/v1/system/health`, from the task engine.
struct AnnotationHealthReporter: SystemHealthReporter {
    let database: Database
    let worker: AnnotationModule.WorkerFacts
    let maxConcurrentJobs: Int
    let store = JobStore()

    func workers(for scope: TenantScope?) async -> JSONValue {
        do {
            let engine = try await database.withPlatformScope { tx in try await store.engine(in: tx) }
            var processing: [JSONValue] = []
            if let scope {
                processing = try await database.withTenant(scope) { tx in
                    try await store.running(tenantID: scope.tenantID, in: tx).map { .string($0.uuidString.lowercased()) }
                }
            }
            return [
                "status": .string(worker.concurrency > 0 || !engine.workers.isEmpty ? "running" : "stopped"),
                "active_jobs": .int(Int64(engine.running)), "queued_jobs": .int(Int64(engine.queued)),
                "max_concurrent_workers": .int(Int64(worker.concurrency)), "max_concurrent_jobs_per_tenant": .int(Int64(maxConcurrentJobs)),
                "poll_interval_seconds": .double(worker.pollIntervalSeconds), "processing_jobs": .array(processing),
                "worker_processes": .int(Int64(engine.workers.count)),
            ]
        } catch {
            return ["status": "unknown", "error": "the task engine could not be read"]
        }
    }

    func services() async -> [String: JSONValue] {
        ["task_engine": ["status": .string(worker.concurrency > 0 ? "healthy" : "external")]]
    }

    func statistics(for scope: TenantScope) async -> JSONValue {
        guard let counts = try? await database.withTenant(scope, { tx in try await store.counts(tenantID: scope.tenantID, in: tx) }) else {
            return ["error": "the jobs could not be counted"]
        }
        return [
            "total_jobs": .int(Int64(counts.total)), "pending_jobs": .int(Int64(counts.pending)), "running_jobs": .int(Int64(counts.running)),
            "completed_jobs": .int(Int64(counts.completed)), "failed_jobs": .int(Int64(counts.failed)),
            "cancelled_jobs": .int(Int64(counts.cancelled)), "total_annotations": .int(counts.annotations),
        ]
    }
}
