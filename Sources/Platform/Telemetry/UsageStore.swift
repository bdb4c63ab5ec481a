import Foundation
import PlatformDatabase
import PlatformSupport

/// Every statement on the usage tables (migration 0018): per-minute request counts, the users
/// seen per day, per-minute model calls. Writes add to what a row holds (several instances flush
/// into the same minutes); reads sum a tenant's period.
public struct UsageStore: Sendable {
    public init() {}

    /// Writes one flushed batch (platform scope: a batch spans tenants).
    func write(_ batch: UsageAggregator.Batch, in tx: DatabaseTransaction) async throws {
        if !batch.requests.isEmpty {
            let entries = Array(batch.requests)
            try await tx.run(
                """
                INSERT INTO api_usage_minutes AS u (tenant_id, minute, credential, method, route, status_class, requests, duration_ms, max_duration_ms)
                SELECT * FROM unnest(
                    \(entries.map(\.key.tenantID))::uuid[], \(entries.map { Self.date(minute: $0.key.minute) })::timestamptz[],
                    \(entries.map(\.key.credential))::text[], \(entries.map(\.key.method))::text[], \(entries.map(\.key.route))::text[],
                    \(entries.map(\.key.statusClass))::text[], \(entries.map(\.value.requests))::int8[], \(entries.map(\.value.durationMs))::float8[],
                    \(entries.map(\.value.maxDurationMs))::float8[])
                ON CONFLICT (tenant_id, minute, credential, method, route, status_class) DO UPDATE SET
                    requests = u.requests + EXCLUDED.requests, duration_ms = u.duration_ms + EXCLUDED.duration_ms,
                    max_duration_ms = greatest(u.max_duration_ms, EXCLUDED.max_duration_ms)
                """)
        }
        if !batch.users.isEmpty {
            let users = Array(batch.users)
            try await tx.run(
                """
                INSERT INTO active_users_daily (tenant_id, day, user_id)
                SELECT * FROM unnest(\(users.map(\.tenantID))::uuid[], \(users.map { Self.date(day: $0.day) })::date[], \(users.map(\.userID))::uuid[])
                ON CONFLICT DO NOTHING
                """)
        }
        if !batch.models.isEmpty {
            let entries = Array(batch.models)
            try await tx.run(
                """
                INSERT INTO model_usage_minutes AS m (tenant_id, minute, provider, model, calls, prompt_tokens, completion_tokens, duration_ms)
                SELECT * FROM unnest(
                    \(entries.map(\.key.tenantID))::uuid[], \(entries.map { Self.date(minute: $0.key.minute) })::timestamptz[],
                    \(entries.map(\.key.provider))::text[], \(entries.map(\.key.model))::text[], \(entries.map(\.value.calls))::int8[],
                    \(entries.map(\.value.promptTokens))::int8[], \(entries.map(\.value.completionTokens))::int8[], \(entries.map(\.value.durationMs))::float8[])
                ON CONFLICT (tenant_id, minute, provider, model) DO UPDATE SET
                    calls = m.calls + EXCLUDED.calls, prompt_tokens = m.prompt_tokens + EXCLUDED.prompt_tokens,
                    completion_tokens = m.completion_tokens + EXCLUDED.completion_tokens, duration_ms = m.duration_ms + EXCLUDED.duration_ms
                """)
        }
    }

    static func date(minute: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(minute) * 60) }
    static func date(day: Int64) -> String {
        let date = Date(timeIntervalSince1970: TimeInterval(day) * 86_400)
        return String(RFC3339.string(from: date).prefix(10))
    }

    /// A tenant's requests since `from`.
    public struct RequestTotals: Decodable, Sendable {
        public var requests: Int64
        public var serverErrors: Int64
        public var clientErrors: Int64
        public var durationMs: Double
        public var maxDurationMs: Double
        public var apiKeyRequests: Int64
    }

    public func requests(tenantID: UUID, from: Date, in tx: DatabaseTransaction) async throws -> RequestTotals {
        try await tx.row(
            """
            SELECT coalesce(sum(requests), 0)::int8 AS requests,
                   coalesce(sum(requests) FILTER (WHERE status_class = '5xx'), 0)::int8 AS server_errors,
                   coalesce(sum(requests) FILTER (WHERE status_class = '4xx'), 0)::int8 AS client_errors,
                   coalesce(sum(duration_ms), 0)::float8 AS duration_ms, coalesce(max(max_duration_ms), 0)::float8 AS max_duration_ms,
                   coalesce(sum(requests) FILTER (WHERE credential = 'api_key'), 0)::int8 AS api_key_requests
            FROM api_usage_minutes WHERE tenant_id = \(tenantID) AND minute >= \(from)
            """, decoding: RequestTotals.self)
            ?? RequestTotals(requests: 0, serverErrors: 0, clientErrors: 0, durationMs: 0, maxDurationMs: 0, apiKeyRequests: 0)
    }

    /// The busiest routes of a tenant since `from`.
    public struct RouteTotals: Decodable, Sendable {
        public var method: String
        public var route: String
        public var requests: Int64
        public var durationMs: Double
        public var serverErrors: Int64
    }

    public func routes(tenantID: UUID, from: Date, limit: Int, in tx: DatabaseTransaction) async throws -> [RouteTotals] {
        try await tx.rows(
            """
            SELECT method, route, sum(requests)::int8 AS requests, sum(duration_ms)::float8 AS duration_ms,
                   coalesce(sum(requests) FILTER (WHERE status_class = '5xx'), 0)::int8 AS server_errors
            FROM api_usage_minutes WHERE tenant_id = \(tenantID) AND minute >= \(from)
            GROUP BY method, route ORDER BY requests DESC, route LIMIT \(limit)
            """, decoding: RouteTotals.self)
    }

    /// Distinct users who made requests on or after `from`'s day.
    public func activeUsers(tenantID: UUID, from: Date, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value(
            "SELECT count(DISTINCT user_id)::int FROM active_users_daily WHERE tenant_id = \(tenantID) AND day >= \(from)::date",
            as: Int.self) ?? 0
    }

    /// A tenant's model calls since `from`, per provider and model.
    public struct ModelTotals: Decodable, Sendable {
        public var provider: String
        public var model: String
        public var calls: Int64
        public var promptTokens: Int64
        public var completionTokens: Int64
        public var durationMs: Double
    }

    public func models(tenantID: UUID, from: Date, in tx: DatabaseTransaction) async throws -> [ModelTotals] {
        try await tx.rows(
            """
            SELECT provider, model, sum(calls)::int8 AS calls, sum(prompt_tokens)::int8 AS prompt_tokens,
                   sum(completion_tokens)::int8 AS completion_tokens, sum(duration_ms)::float8 AS duration_ms
            FROM model_usage_minutes WHERE tenant_id = \(tenantID) AND minute >= \(from)
            GROUP BY provider, model ORDER BY provider, model
            """, decoding: ModelTotals.self)
    }

    /// Rows older than `days` go (the janitor's job; usage is kept for a year by default).
    public func prune(olderThanDays days: Int, in tx: DatabaseTransaction) async throws -> Int {
        let cutoff = Date().addingTimeInterval(-TimeInterval(days) * 86_400)
        var removed = try await tx.run("DELETE FROM api_usage_minutes WHERE minute < \(cutoff) RETURNING 1")
        removed += try await tx.run("DELETE FROM model_usage_minutes WHERE minute < \(cutoff) RETURNING 1")
        removed += try await tx.run("DELETE FROM active_users_daily WHERE day < \(cutoff)::date RETURNING 1")
        return removed
    }
}
