import Foundation
import Prometheus
import Synchronization

/// The process's metrics: a Prometheus registry (no global metrics system, so several
/// applications in one process, as in tests, keep theirs apart) and the usage aggregator.
/// Labels are templates and outcomes, never a tenant, a user or a path parameter.
public final class Telemetry: Sendable {
    public let registry = PrometheusCollectorRegistry()
    public let usage = UsageAggregator()

    let inFlight: Gauge
    let poolWaiting: Gauge
    let poolAcquire: DurationHistogram
    /// Gauges read when scraped (pool, SSE clients, process), set by `refresh`.
    let sampled = Mutex<[String: Gauge]>([:])

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]
    static let taskBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(100), .seconds(1), .seconds(5), .seconds(15), .seconds(60), .seconds(300), .seconds(1800),
    ]

    public init() {
        inFlight = registry.makeGauge(descriptor: Self.name("http_requests_in_flight", "", "HTTP requests being handled now"))
        poolWaiting = registry.makeGauge(descriptor: Self.name("db_pool_waiting", "", "Transactions waiting for a pooled connection"))
        poolAcquire = registry.makeDurationHistogram(
            descriptor: Self.name("db_pool_acquire", "seconds", "Time from asking for a pooled connection to holding one in a transaction"),
            buckets: Self.latencyBuckets)
    }

    /// A metric's name: `base` and `unit` joined (`http_requests` + `total`).
    static func name(_ base: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: base, unitName: unit, helpText: help)
    }

    // MARK: HTTP

    func requestStarted() { inFlight.increment() }

    func requestFinished(method: String, route: String, status: Int, duration: Duration) {
        inFlight.decrement()
        registry.makeCounter(
            descriptor: Self.name("http_requests", "total", "HTTP requests by method, route template and status"),
            labels: [("method", method), ("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.name("http_request_duration", "seconds", "HTTP request latency by method and route template"),
            labels: [("method", method), ("route", route)], buckets: Self.latencyBuckets
        ).record(duration)
    }

    // MARK: Database pool

    /// Feed of `Database.observeAcquisitions`.
    public func connectionWait(started: Bool) {
        if started { poolWaiting.increment() } else { poolWaiting.decrement() }
    }

    public func connectionAcquired(after duration: Duration) { poolAcquire.record(duration) }

    // MARK: Tasks, webhooks, providers

    public func taskFinished(type: String, outcome: String, duration: Duration) {
        registry.makeCounter(
            descriptor: Self.name("tasks_finished", "total", "Tasks run by workers, by type and outcome"), labels: [("type", type), ("outcome", outcome)]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.name("task_duration", "seconds", "Time a worker spent on a task, by type"), labels: [("type", type)], buckets: Self.taskBuckets
        ).record(duration)
    }

    public func webhookDelivery(outcome: String) {
        registry.makeCounter(
            descriptor: Self.name("webhook_deliveries", "total", "Webhook delivery attempts by outcome"), labels: [("outcome", outcome)]
        ).increment()
    }

    public func providerCall(provider: String, model: String, promptTokens: Int, completionTokens: Int, duration: Duration) {
        let labels = [("provider", provider), ("model", model)]
        registry.makeCounter(descriptor: Self.name("provider_calls", "total", "Model provider calls by provider and model"), labels: labels).increment()
        let tokens = Self.name("provider_tokens", "total", "Model tokens by provider, model and kind")
        registry.makeCounter(descriptor: tokens, labels: labels + [("kind", "prompt")]).increment(by: Int64(promptTokens))
        registry.makeCounter(descriptor: tokens, labels: labels + [("kind", "completion")]).increment(by: Int64(completionTokens))
        registry.makeDurationHistogram(
            descriptor: Self.name("provider_call_duration", "seconds", "Model provider call latency"), labels: labels, buckets: Self.taskBuckets
        ).record(duration)
    }

    // MARK: Sampled at scrape time

    /// Sets a gauge read at scrape time (labels fixed per name).
    public func sample(_ name: String, _ value: Double, labels: [(String, String)] = [], help: String) {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let gauge = sampled.withLock { gauges in
            if let gauge = gauges[key] { return gauge }
            let gauge = registry.makeGauge(descriptor: Self.name(name, "", help), labels: labels)
            gauges[key] = gauge
            return gauge
        }
        gauge.set(value)
    }

    /// Sets every sampled gauge whose name starts with `prefix` to zero (before sampling a
    /// family afresh: a queue that emptied reads 0, not its last depth).
    public func resetSamples(prefix: String) {
        sampled.withLock { gauges in
            for (key, gauge) in gauges where key.hasPrefix(prefix) { gauge.set(0.0) }
        }
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
