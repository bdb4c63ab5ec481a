import Foundation
import PlatformDatabase

/// What the task engine's work amounts to, for metrics: queue depth for Prometheus (every
/// tenant, platform scope) and a tenant's tasks and compute time over a period.
public struct TaskUsageStore: Sendable {
    public init() {}

    public struct QueueDepth: Decodable, Sendable {
        public var queue: String
        public var status: String
        public var count: Int
    }

    /// Waiting and running tasks per queue, over every tenant.
    public func depth(in tx: DatabaseTransaction) async throws -> [QueueDepth] {
        try await tx.rows(
            """
            SELECT queue, status, count(*)::int AS count FROM tasks
            WHERE status IN ('pending', 'queued', 'running') AND deleted_at IS NULL
            GROUP BY queue, status ORDER BY queue, status
            """, decoding: QueueDepth.self)
    }

    public struct Totals: Decodable, Sendable {
        /// Tasks created in the period (commands and internal jobs included).
        public var created: Int
        /// Tasks that ended in the period, by outcome.
        public var completed: Int
        public var failed: Int
        public var cancelled: Int
        /// Seconds workers spent on tasks that ended in the period.
        public var computeSeconds: Double
        /// Mean of `task_output.quality_score` where a task reported one.
        public var meanQualityScore: Double?
    }

    public func totals(tenantID: UUID, from: Date, in tx: DatabaseTransaction) async throws -> Totals {
        try await tx.row(
            """
            SELECT count(*) FILTER (WHERE created_at >= \(from))::int AS created,
                   count(*) FILTER (WHERE completed_at >= \(from) AND status = 'completed')::int AS completed,
                   count(*) FILTER (WHERE completed_at >= \(from) AND status = 'failed')::int AS failed,
                   count(*) FILTER (WHERE completed_at >= \(from) AND status = 'cancelled')::int AS cancelled,
                   coalesce(sum(extract(epoch FROM completed_at - started_at)) FILTER (WHERE completed_at >= \(from) AND started_at IS NOT NULL), 0)::float8
                       AS compute_seconds,
                   avg(CASE WHEN jsonb_typeof(task_output->'quality_score') = 'number' THEN (task_output->>'quality_score')::float8 END)
                       FILTER (WHERE completed_at >= \(from))::float8 AS mean_quality_score
            FROM tasks WHERE tenant_id = \(tenantID) AND (created_at >= \(from) OR completed_at >= \(from))
            """, decoding: Totals.self) ?? Totals(created: 0, completed: 0, failed: 0, cancelled: 0, computeSeconds: 0, meanQualityScore: nil)
    }
}
