import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

/// A rolling window ending now: `day` the last 24 hours, `week` 7 days, `month` 30 days.
enum MetricsPeriod: String, Codable, Sendable, CaseIterable, SchemaEnum {
    case day, week, month

    var days: Double {
        switch self {
        case .day: 1
        case .week: 7
        case .month: 30
        }
    }

    func start(before now: Date) -> Date { now.addingTimeInterval(-days * 86_400) }
}

struct MetricsQuery: QueryInput {
    var period: MetricsPeriod?
    /// Platform administrators only: another tenant's figures.
    var tenantId: UUID?

    static let parameterDocs: [String: QueryParameterDoc] = [
        "period": .init("The window ending now: day (24 h), week (7 days) or month (30 days)"),
        "tenant_id": .init("Platform administrators: the tenant to report on (default: their own)"),
    ]
}

/// `GET /api/v1/metrics/usage` (the seed's fields first).
struct UsageReport: Codable, Sendable, ResponseEncodable {
    var period: String
    var apiCalls: Int64
    var tokensUsed: Int64
    var activeUsers: Int
    /// Share of calls answered with a server error (5xx).
    var errorRate: Double
    /// Share of calls answered with a client error (4xx).
    var clientErrorRate: Double
    var apiKeyCalls: Int64
    var avgResponseTimeMs: Double?
    var models: [ModelUsage]
    var from: Date
    var to: Date
    var tenantId: UUID
}

struct ModelUsage: Codable, Sendable {
    var provider: String
    var model: String
    var calls: Int64
    var promptTokens: Int64
    var completionTokens: Int64
    var cost: Double?
}

/// `GET /api/v1/metrics/costs`.
struct CostReport: Codable, Sendable, ResponseEncodable {
    var totalCost: Double
    var breakdown: CostBreakdown
    /// The period's cost over the tasks it completed; null without completed tasks.
    var costPerTask: JSONValue
    var currency: String
    var period: String
    /// The quantities the costs come from.
    var quantities: CostQuantities
    var prices: PriceList
    /// Models in use that the price list has no price for (their tokens cost nothing here).
    var unpricedModels: [String]
    var tenantId: UUID
}

struct CostBreakdown: Codable, Sendable {
    var apiCalls: Double
    var storage: Double
    var compute: Double
    var models: Double
}

struct CostQuantities: Codable, Sendable {
    var apiCalls: Int64
    var storageBytes: Int64
    var computeSeconds: Double
    var promptTokens: Int64
    var completionTokens: Int64
    var completedTasks: Int
}

struct PriceList: Codable, Sendable {
    var perThousandCalls: Double
    var perGbMonth: Double
    var perComputeHour: Double
}

/// `GET /api/v1/metrics/summary` (the seed's envelope).
struct SummaryEnvelope: Codable, Sendable, ResponseEncodable {
    var summary: Summary
}

struct Summary: Codable, Sendable {
    var totalTasks: Int
    /// Completed over created in the period; null when none were created.
    var completionRate: JSONValue
    /// Mean `quality_score` the period's tasks reported; null when none did.
    var avgQualityScore: JSONValue
    var totalCost: Double
    var completedTasks: Int
    var failedTasks: Int
    var period: String
    var currency: String
}

/// `GET /api/v1/metrics`: everything for the tenant.
struct AllMetrics: Codable, Sendable, ResponseEncodable {
    var usage: UsageReport
    var costs: CostReport
    var performance: Performance
    var custom: [CustomSeriesView]
}

struct Performance: Codable, Sendable {
    var avgResponseTimeMs: Double?
    var maxResponseTimeMs: Double?
    var requestsPerMinute: Double
    var errorRate: Double
    var routes: [RoutePerformance]
}

struct RoutePerformance: Codable, Sendable {
    var method: String
    var route: String
    var requests: Int64
    var avgResponseTimeMs: Double
    var serverErrors: Int64
}

extension APIError {
    static var tenantNotVisible: APIError {
        APIError(.forbidden, code: "FORBIDDEN", message: "Only platform administrators can read another tenant's metrics")
    }
}
