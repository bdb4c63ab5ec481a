import Foundation
import PlatformDatabase
import PlatformServices
import PlatformSupport
import PlatformTelemetry
import Providers
import TaskEngine

/// The tenant's usage, costs and performance, computed from the usage the platform counted
/// (requests, users, model calls), the task engine's work, the stored bytes and the price list.
struct MetricsReports: Sendable {
    let files: any StoredFileDirectory
    let prices: PlatformConfig.Prices
    /// Token prices per model, from the model catalog.
    let catalog: [ModelInfo]
    let usage = UsageStore()
    let tasks = TaskUsageStore()
    let custom = CustomMetricStore()

    func usage(tenantID: UUID, period: MetricsPeriod, now: Date, in tx: DatabaseTransaction) async throws -> UsageReport {
        let from = period.start(before: now)
        let requests = try await usage.requests(tenantID: tenantID, from: from, in: tx)
        let models = try await usage.models(tenantID: tenantID, from: from, in: tx)
        let users = try await usage.activeUsers(tenantID: tenantID, from: from, in: tx)
        let calls = requests.requests
        return UsageReport(
            period: period.rawValue, apiCalls: calls, tokensUsed: models.reduce(0) { $0 + $1.promptTokens + $1.completionTokens },
            activeUsers: users, errorRate: Self.share(requests.serverErrors, of: calls), clientErrorRate: Self.share(requests.clientErrors, of: calls),
            apiKeyCalls: requests.apiKeyRequests, avgResponseTimeMs: calls > 0 ? Self.round(requests.durationMs / Double(calls)) : nil,
            models: models.map { model in
                ModelUsage(
                    provider: model.provider, model: model.model, calls: model.calls, promptTokens: model.promptTokens,
                    completionTokens: model.completionTokens, cost: price(model).map { Self.round($0) })
            },
            from: from, to: now, tenantId: tenantID)
    }

    func costs(tenantID: UUID, period: MetricsPeriod, now: Date, in tx: DatabaseTransaction) async throws -> CostReport {
        let from = period.start(before: now)
        let requests = try await usage.requests(tenantID: tenantID, from: from, in: tx)
        let models = try await usage.models(tenantID: tenantID, from: from, in: tx)
        let work = try await tasks.totals(tenantID: tenantID, from: from, in: tx)
        let bytes = try await files.storedBytes(tenantID: tenantID, in: tx)
        let apiCalls = Double(requests.requests) / 1000 * prices.perThousandCalls
        // Bytes held now, charged for the period's share of a 30-day month.
        let storage = Double(bytes) / 1e9 * prices.perGBMonth * period.days / 30
        let compute = work.computeSeconds / 3600 * prices.perComputeHour
        let modelCost = models.compactMap(price).reduce(0, +)
        let total = apiCalls + storage + compute + modelCost
        return CostReport(
            totalCost: Self.round(total),
            breakdown: CostBreakdown(apiCalls: Self.round(apiCalls), storage: Self.round(storage), compute: Self.round(compute), models: Self.round(modelCost)),
            costPerTask: work.completed > 0 ? .double(Self.round(total / Double(work.completed))) : .null, currency: prices.currency, period: period.rawValue,
            quantities: CostQuantities(
                apiCalls: requests.requests, storageBytes: bytes, computeSeconds: Self.round(work.computeSeconds),
                promptTokens: models.reduce(0) { $0 + $1.promptTokens }, completionTokens: models.reduce(0) { $0 + $1.completionTokens },
                completedTasks: work.completed),
            prices: PriceList(perThousandCalls: prices.perThousandCalls, perGbMonth: prices.perGBMonth, perComputeHour: prices.perComputeHour),
            unpricedModels: models.filter { price($0) == nil }.map { "\($0.provider)/\($0.model)" }, tenantId: tenantID)
    }

    func summary(tenantID: UUID, period: MetricsPeriod, now: Date, in tx: DatabaseTransaction) async throws -> Summary {
        let work = try await tasks.totals(tenantID: tenantID, from: period.start(before: now), in: tx)
        let costs = try await costs(tenantID: tenantID, period: period, now: now, in: tx)
        return Summary(
            totalTasks: work.created, completionRate: work.created > 0 ? .double(Self.round(Double(work.completed) / Double(work.created))) : .null,
            avgQualityScore: work.meanQualityScore.map { .double(Self.round($0)) } ?? .null, totalCost: costs.totalCost, completedTasks: work.completed,
            failedTasks: work.failed, period: period.rawValue, currency: prices.currency)
    }

    func performance(tenantID: UUID, period: MetricsPeriod, now: Date, in tx: DatabaseTransaction) async throws -> Performance {
        let from = period.start(before: now)
        let requests = try await usage.requests(tenantID: tenantID, from: from, in: tx)
        let routes = try await usage.routes(tenantID: tenantID, from: from, limit: 20, in: tx)
        let calls = requests.requests
        return Performance(
            avgResponseTimeMs: calls > 0 ? Self.round(requests.durationMs / Double(calls)) : nil,
            maxResponseTimeMs: calls > 0 ? Self.round(requests.maxDurationMs) : nil,
            requestsPerMinute: Self.round(Double(calls) / (period.days * 1440)), errorRate: Self.share(requests.serverErrors, of: calls),
            routes: routes.map {
                RoutePerformance(
                    method: $0.method, route: $0.route, requests: $0.requests, avgResponseTimeMs: Self.round($0.durationMs / Double(max($0.requests, 1))),
                    serverErrors: $0.serverErrors)
            })
    }

    func customTotals(tenantID: UUID, period: MetricsPeriod, now: Date, in tx: DatabaseTransaction) async throws -> [CustomSeriesView] {
        try await custom.totals(tenantID: tenantID, from: period.start(before: now), in: tx)
    }

    /// What a model's tokens cost by the catalog (`MODEL_CATALOG`), or nil without a price.
    func price(_ model: UsageStore.ModelTotals) -> Double? {
        let entry = catalog.first { $0.provider == model.provider && $0.name == model.model } ?? catalog.first { $0.name == model.model }
        guard let entry, entry.inputPricePerMillion != nil || entry.outputPricePerMillion != nil else { return nil }
        return (Double(model.promptTokens) * (entry.inputPricePerMillion ?? 0) + Double(model.completionTokens) * (entry.outputPricePerMillion ?? 0)) / 1_000_000
    }

    static func share(_ part: Int64, of whole: Int64) -> Double {
        whole > 0 ? round(Double(part) / Double(whole)) : 0
    }

    /// Six decimals: enough for sub-cent costs, short in JSON.
    static func round(_ value: Double) -> Double {
        (value * 1_000_000).rounded() / 1_000_000
    }
}
