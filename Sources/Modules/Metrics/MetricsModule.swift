import Foundation
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import Providers

/// The tenant's usage, costs and custom metrics (`/api/v1/metrics`), over what the platform's
/// telemetry counted. Assembly only.
public struct MetricsModule: Sendable {
    let database: Database
    let reports: MetricsReports
    /// Distinct custom series (metric, unit, tags) a tenant may hold.
    public static let seriesLimit = 200

    public init(database: Database, files: any StoredFileDirectory, prices: PlatformConfig.Prices, catalog: [ModelInfo]) {
        self.database = database
        self.reports = MetricsReports(files: files, prices: prices, catalog: catalog)
    }

    public func register(in registry: RouteRegistry) {
        MetricsController(database: database, reports: reports, seriesLimit: Self.seriesLimit)
            .register(in: registry.group("/api/v1/metrics", tag: "metrics"))
    }
}
