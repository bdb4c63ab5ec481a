import Foundation
import PlatformSupport

extension PlatformConfig {
    /// Metrics, usage accounting and the price list costs are computed from.
    public struct Metrics: Sendable {
        /// `GET /metrics` on the API's port needs this bearer token; unset: not served there.
        public var token: String?
        /// A separate listener for `/metrics` without a token (an internal network); unset: none.
        public var port: Int?
        public var host: String
        /// How often usage counted in memory is written (a crash loses at most this much).
        public var flushSeconds: Int
        /// Days per-minute usage rows are kept.
        public var retentionDays: Int
        public var prices: Prices
    }

    /// What things cost, in `currency`: per 1,000 API calls, per GB stored for a month, per hour
    /// of task compute. Model tokens are priced by the model catalog (`MODEL_CATALOG`).
    public struct Prices: Sendable, Equatable {
        public var currency: String
        public var perThousandCalls: Double
        public var perGBMonth: Double
        public var perComputeHour: Double

        public init(currency: String = "USD", perThousandCalls: Double = 0, perGBMonth: Double = 0, perComputeHour: Double = 0) {
            self.currency = currency
            self.perThousandCalls = perThousandCalls
            self.perGBMonth = perGBMonth
            self.perComputeHour = perComputeHour
        }
    }

    static func metrics(_ values: Values) throws -> Metrics {
        let token = values.string("metrics.token", env: "METRICS_TOKEN", secret: true)
        if let token, token.utf8.count < 16 {
            throw ConfigurationError("METRICS_TOKEN must be at least 16 characters long")
        }
        let port = values.string("metrics.port", env: "METRICS_PORT") == nil
            ? nil : try values.int("metrics.port", env: "METRICS_PORT", default: 0, range: 1...65535)
        func price(_ key: String, _ env: String) throws -> Double {
            guard let text = values.string(key, env: env) else { return 0 }
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value >= 0, value.isFinite else {
                throw ConfigurationError("\(env) must be a non-negative number (got '\(text)')")
            }
            return value
        }
        let currency = values.string("price.currency", env: "PRICE_CURRENCY") ?? "USD"
        guard currency.wholeMatch(of: /[A-Z]{3}/) != nil else {
            throw ConfigurationError("PRICE_CURRENCY must be a three-letter code such as USD (got '\(currency)')")
        }
        return Metrics(
            token: token, port: port, host: values.string("metrics.host", env: "METRICS_HOST") ?? "127.0.0.1",
            flushSeconds: try values.int("metrics.flush.seconds", env: "METRICS_FLUSH_SECONDS", default: 5, range: 1...300),
            retentionDays: try values.int("metrics.retention.days", env: "METRICS_RETENTION_DAYS", default: 400, range: 1...3650),
            prices: Prices(
                currency: currency, perThousandCalls: try price("price.per.1000.calls", "PRICE_PER_1000_CALLS"),
                perGBMonth: try price("price.per.gb.month", "PRICE_PER_GB_MONTH"), perComputeHour: try price("price.per.compute.hour", "PRICE_PER_COMPUTE_HOUR")))
    }
}
