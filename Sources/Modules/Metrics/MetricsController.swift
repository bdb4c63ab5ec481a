import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// `/api/v1/metrics` (the content platform's `/api/metrics/*`): the tenant's usage, costs,
/// summary and everything at once, and custom usage records. Platform administrators may name
/// another tenant with `?tenant_id=`.
struct MetricsController: Sendable {
    let database: Database
    let reports: MetricsReports
    let seriesLimit: Int

    func register(in routes: RouteGroup) {
        routes.get(
            "/usage", "API calls, tokens, active users and error rate over a period", .permission("metrics:usage:read"), query: MetricsQuery.self,
            responses: [.error(.forbidden, "tenant_id of another tenant without being a platform administrator")], use: usage)
        routes.get(
            "/costs", "What the period cost: API calls, storage, compute and model tokens at the configured prices", .permission("metrics:usage:read"),
            query: MetricsQuery.self, responses: [.error(.forbidden, "tenant_id of another tenant without being a platform administrator")], use: costs)
        routes.get(
            "/summary", "Tasks, completion rate, mean quality score and total cost", .permission("metrics:usage:read"), query: MetricsQuery.self,
            responses: [.error(.forbidden, "tenant_id of another tenant without being a platform administrator")], use: summary)
        routes.get(
            "", "Usage, costs, performance and custom metrics at once", .permission("metrics:usage:read"), query: MetricsQuery.self,
            responses: [.error(.forbidden, "tenant_id of another tenant without being a platform administrator")], use: all)
        routes.post(
            "/track-usage", "Record a custom usage value (per-minute totals per metric, unit and tags)", .permission("metrics:usage:track"),
            body: TrackUsageInput.self, responses: [.error(.unprocessableContent, "A bad field, or METRIC_SERIES_LIMIT")], use: track)
    }

    /// The tenant reported on, and a transaction that sees its rows: the caller's own tenant,
    /// or, for a platform administrator naming another, that tenant under the platform scope.
    func report<Result: Sendable>(
        _ request: Request, _ context: AuthenticatedContext, default period: MetricsPeriod,
        _ body: @Sendable (UUID, MetricsPeriod, DatabaseTransaction) async throws -> Result
    ) async throws -> Result {
        let query = try request.query(MetricsQuery.self)
        let period = query.period ?? period
        let own = context.principal.tenantID
        guard let other = query.tenantId, other != own else {
            return try await database.withTenant(context.tenant) { tx in try await body(own, period, tx) }
        }
        guard context.principal.isPlatformAdmin else { throw APIError.tenantNotVisible }
        return try await database.withPlatformScope { tx in try await body(other, period, tx) }
    }

    func usage(_ request: Request, _ context: AuthenticatedContext) async throws -> UsageReport {
        let now = Date()
        return try await report(request, context, default: .day) { tenant, period, tx in
            try await reports.usage(tenantID: tenant, period: period, now: now, in: tx)
        }
    }

    func costs(_ request: Request, _ context: AuthenticatedContext) async throws -> CostReport {
        let now = Date()
        return try await report(request, context, default: .month) { tenant, period, tx in
            try await reports.costs(tenantID: tenant, period: period, now: now, in: tx)
        }
    }

    func summary(_ request: Request, _ context: AuthenticatedContext) async throws -> SummaryEnvelope {
        let now = Date()
        return try await report(request, context, default: .month) { tenant, period, tx in
            SummaryEnvelope(summary: try await reports.summary(tenantID: tenant, period: period, now: now, in: tx))
        }
    }

    func all(_ request: Request, _ context: AuthenticatedContext) async throws -> AllMetrics {
        let now = Date()
        return try await report(request, context, default: .month) { tenant, period, tx in
            AllMetrics(
                usage: try await reports.usage(tenantID: tenant, period: period, now: now, in: tx),
                costs: try await reports.costs(tenantID: tenant, period: period, now: now, in: tx),
                performance: try await reports.performance(tenantID: tenant, period: period, now: now, in: tx),
                custom: try await reports.customTotals(tenantID: tenant, period: period, now: now, in: tx))
        }
    }

    func track(_ request: Request, _ context: AuthenticatedContext) async throws -> TrackUsageResult {
        let input = try await request.decode(as: TrackUsageInput.self, context: context)
        let (name, value, unit, tags) = try input.validated()
        let tenantID = context.principal.tenantID
        let now = Date()
        let limit = seriesLimit
        let store = reports.custom
        return try await database.withTenant(context.tenant) { tx in
            guard let series = try await store.series(name: name, unit: unit, tags: tags, tenantID: tenantID, limit: limit, in: tx) else {
                throw APIError.seriesLimit(limit)
            }
            try await store.record(value, series: series, at: now, tenantID: tenantID, in: tx)
            return TrackUsageResult(
                tracked: true, metricName: name, value: value, unit: unit, tags: tags, seriesId: series, recordedAt: now,
                seriesCount: try await store.count(tenantID: tenantID, in: tx), seriesLimit: limit)
        }
    }
}
