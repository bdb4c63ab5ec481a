import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PlatformDatabase
import PlatformSupport
import PlatformTelemetry
import TenantMetrics
import PlatformTesting
import Providers
@testable import Server
import Testing

/// Prices that make the arithmetic visible: a call costs 1, a GB-month 1,000, a compute hour
/// 3,600 (a second costs 1); model tokens at 10 and 20 per million.
let metricsConfig = fastTasks.merging([
    "PRICE_PER_1000_CALLS": "1000", "PRICE_PER_GB_MONTH": "1000", "PRICE_PER_COMPUTE_HOUR": "3600",
    "MODEL_CATALOG": "openai/gpt-4o-mini=128000:10:20", "METRICS_TOKEN": "scrape-token-0123456789",
    // The test flushes itself; the periodic flush would move the figures between two reads.
    "METRICS_FLUSH_SECONDS": "300",
]) { _, new in new }

/// Parses a Prometheus text exposition with the reference parser (`prometheus_client`) and
/// answers `{name: [{labels, value}]}` for the samples.
func parsePrometheus(_ text: String) async throws -> JSONValue {
    let script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = {}
        for family in text_string_to_metric_families(sys.stdin.read()):
            for sample in family.samples:
                out.setdefault(sample.name, []).append({"labels": sample.labels, "value": sample.value})
        print(json.dumps(out))
        """
    let run = try await Tools.run(testPython.path, ["-c", script], input: Data(text.utf8))
    #expect(run.status == 0, "the reference parser refused the exposition")
    return try JSONDecoder().decode(JSONValue.self, from: run.data)
}

@Suite("Metrics: usage, costs, custom metrics, Prometheus")
struct MetricsHTTPTests {
    @Test("traffic of two tenants is attributed after a flush; costs follow the price list; summary; custom metrics bounded; other tenants 403")
    func usageAndCosts() async throws {
        try await withTestDatabase("metrics_usage", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, metricsConfig)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let alpha = try await fixtures.setup("mua")
                _ = try await fixtures.setup("mub")
                try await fixtures.user("mu-platform", tenants: [alpha.id], admin: true)
                let root = bearer(try await client.login("mua-root")["access_token"])
                let member = bearer(try await client.login("mua-member")["access_token"])
                let other = bearer(try await client.login("mub-root")["access_token"])
                let platform = bearer(try await client.login("mu-platform")["access_token"])
                // Nothing counted so far reaches the figures below: start from a clean slate.
                _ = dependencies.telemetry.usage.drain()

                // Alpha's root: 4 lists, a 404, an upload, a task that runs 0.3 s; beta's root: 2 lists.
                for _ in 0..<4 { #expect(try await client.get("/api/v1/tasks", headers: root).status == .ok) }
                #expect(try await client.get("/api/v1/tasks/\(UUID())", headers: root).status == .notFound)
                let upload = try await client.upload(multipart([("file", "data.bin", nil, randomBytes(1_000_000))]), headers: root)
                #expect(upload.status == .created)
                let task = try await client.post("/api/v1/tasks", ["task_type": "wait", "task_input": ["seconds": 0.3], "enqueue": true], headers: root)
                #expect(task.status == .created)
                for _ in 0..<2 { #expect(try await client.get("/api/v1/tasks", headers: other).status == .ok) }
                _ = try await client.finishedTask(task.jsonBody.id, headers: root)
                // A model call made for alpha (as the provider registry's clients report them).
                await ModelUsageMeter(telemetry: dependencies.telemetry).record(
                    provider: "openai", model: "gpt-4o-mini", usage: TokenUsage(promptTokens: 1000, completionTokens: 500), duration: .milliseconds(40),
                    tenant: alpha.id)
                // The finishedTask polls count too: drain them into the same flush, then write.
                let flusher = UsageFlusher(database: database, aggregator: dependencies.telemetry.usage, interval: .seconds(60), logger: Logger(label: "tests"))
                #expect(await flusher.flush())
                let rows: [(Int64)] = try await database.withPlatformScope { tx in
                    try await tx.all("SELECT coalesce(sum(requests), 0)::int8 FROM api_usage_minutes WHERE tenant_id = \(alpha.id)", as: Int64.self)
                }
                let alphaCalls = rows.first ?? 0
                #expect(alphaCalls >= 8, "4 lists, a 404, an upload, a task create, and the polls")

                let usage = try await client.get("/api/v1/metrics/usage?period=day", headers: root)
                #expect(usage.status == .ok, "\(usage.text)")
                for field in ["period", "api_calls", "tokens_used", "active_users", "error_rate"] { #expect(usage.jsonBody[field] != nil, "\(field)") }
                #expect(usage.jsonBody["period"] == "day")
                #expect(usage.jsonBody["api_calls"] == .int(alphaCalls))
                #expect(usage.jsonBody["tokens_used"] == 1500)
                #expect(usage.jsonBody["active_users"] == 1)
                #expect(usage.jsonBody["error_rate"] == 0)
                #expect(usage.jsonBody["client_error_rate"]?.doubleValue ?? 0 > 0)
                #expect(usage.jsonBody["models"]?[0]?["cost"]?.doubleValue == 0.02)
                let theirs = try await client.get("/api/v1/metrics/usage", headers: other).jsonBody
                #expect(theirs["api_calls"] == 2)
                #expect(theirs["tokens_used"] == 0)

                // Costs: a call costs 1; 1 MB for the month costs 1; 0.3 s of compute ~0.3; tokens 0.02.
                let costs = try await client.get("/api/v1/metrics/costs", headers: root).jsonBody
                #expect(costs["breakdown"]?["api_calls"]?.doubleValue == Double(alphaCalls))
                #expect(costs["breakdown"]?["storage"]?.doubleValue == 1.0)
                let compute = costs["breakdown"]?["compute"]?.doubleValue ?? 0
                #expect(compute >= 0.3 && compute < 30, "compute \(compute)")
                #expect(costs["breakdown"]?["models"]?.doubleValue == 0.02)
                let total = costs["total_cost"]?.doubleValue ?? 0
                #expect(abs(total - (Double(alphaCalls) + 1.0 + compute + 0.02)) < 0.0001)
                #expect(costs["cost_per_task"]?.doubleValue.map { abs($0 - total) < 0.0001 } == true, "one completed task")
                #expect(costs["currency"] == "USD")

                let summary = try await client.get("/api/v1/metrics/summary", headers: root).jsonBody["summary"]
                #expect(summary?["total_tasks"] == 1)
                #expect(summary?["completion_rate"] == 1)
                #expect(summary?["avg_quality_score"] == .null)
                #expect(summary?["total_cost"]?.doubleValue == costs["total_cost"]?.doubleValue)

                // Custom metrics: validated field by field, totals per minute, a bounded number of series.
                let tracked = try await client.post(
                    "/api/v1/metrics/track-usage", ["metric_name": "content_generation", "value": 100, "unit": "tokens", "tags": ["model": "local"]],
                    headers: member)
                #expect(tracked.status == .ok, "\(tracked.text)")
                #expect(tracked.jsonBody["tracked"] == true)
                _ = try await client.post(
                    "/api/v1/metrics/track-usage", ["metric_name": "content_generation", "value": 50, "unit": "tokens", "tags": ["model": "local"]],
                    headers: member)
                let bad = try await client.post("/api/v1/metrics/track-usage", ["metric_name": "Bad Name", "value": "x", "unit": "parsecs", "tags": [1]], headers: member)
                #expect(bad.status == .unprocessableContent)
                #expect(bad.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["metric_name", "tags", "unit", "value"])
                let all = try await client.get("/api/v1/metrics", headers: root).jsonBody
                for field in ["usage", "costs", "performance", "custom"] { #expect(all[field] != nil, "\(field)") }
                let series = all["custom"]?.arrayValues?.first { $0["metric_name"] == "content_generation" }
                #expect(series?["sum"]?.doubleValue == 150)
                #expect(series?["count"] == 2)
                #expect(all["performance"]?["routes"]?.arrayValues?.contains { $0["route"] == "/api/v1/tasks" } == true)
                var limited: TestResponse?
                for index in 0..<MetricsModule.seriesLimit {
                    let response = try await client.post(
                        "/api/v1/metrics/track-usage", ["metric_name": "per_item", "value": 1, "unit": "count", "tags": ["item": .string("i\(index)")]],
                        headers: member)
                    if response.status != .ok { limited = response; break }
                }
                #expect(limited?.status == .unprocessableContent)
                #expect(limited?.jsonBody["error"]?["code"] == "METRIC_SERIES_LIMIT")
                // An existing series still takes values at the limit.
                #expect(try await client.post(
                    "/api/v1/metrics/track-usage", ["metric_name": "content_generation", "value": 1, "unit": "tokens", "tags": ["model": "local"]],
                    headers: member).status == .ok)

                // Who may read: not members; another tenant's id only for platform administrators.
                #expect(try await client.get("/api/v1/metrics/usage", headers: member).status == .forbidden)
                #expect(try await client.get("/api/v1/metrics/usage?tenant_id=\(alpha.id)", headers: other).status == .forbidden)
                let asAdmin = try await client.get("/api/v1/metrics/usage?tenant_id=\(alpha.id)", headers: platform)
                #expect(asAdmin.jsonBody["api_calls"] == .int(alphaCalls))
                #expect(try await client.get("/api/v1/metrics/usage?period=year", headers: root).status == .unprocessableContent)
            }
        }
    }

    @Test("GET /metrics: the token is required; the reference parser reads it; counters grow; labels carry templates, never ids")
    func prometheus() async throws {
        try await withTestDatabase("metrics_prometheus", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, metricsConfig)
            try await buildApplication(dependencies).test(.router) { client in
                let tenant = try await Fixtures(dependencies).setup("mpm")
                let root = bearer(try await client.login("mpm-root")["access_token"])
                #expect(try await client.get("/metrics").status == .unauthorized)
                #expect(try await client.get("/metrics", headers: [.authorization: "Bearer wrong-token-0123456789"]).status == .unauthorized)
                let scrape: @Sendable () async throws -> JSONValue = {
                    let response = try await client.get("/metrics", headers: [.authorization: "Bearer scrape-token-0123456789"])
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                    return try await parsePrometheus(response.text)
                }
                for _ in 0..<3 { _ = try await client.get("/api/v1/tasks/\(UUID())", headers: root) }
                let first = try await scrape()
                func count(_ families: JSONValue, route: String, status: String) -> Double {
                    (families["http_requests_total"]?.arrayValues ?? [])
                        .filter { $0["labels"]?["route"]?.stringValue == route && $0["labels"]?["status"]?.stringValue == status }
                        .compactMap { $0["value"]?.doubleValue }.reduce(0, +)
                }
                #expect(count(first, route: "/api/v1/tasks/{id}", status: "404") == 3)
                _ = try await client.get("/api/v1/tasks/\(UUID())", headers: root)
                let second = try await scrape()
                #expect(count(second, route: "/api/v1/tasks/{id}", status: "404") == 4)
                for family in ["http_request_duration_seconds_bucket", "http_requests_in_flight", "db_pool_connections_in_use", "db_pool_acquire_seconds_count",
                               "sse_clients", "process_resident_memory_bytes", "process_open_fds"] {
                    #expect(second[family] != nil, "\(family)")
                }
                // No label value is an id (a UUID, the tenant's or any other).
                let uuid = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/
                let labelValues = second.objectValues.flatMap { $0.arrayValues ?? [] }.flatMap { $0["labels"]?.objectValues ?? [] }.compactMap(\.stringValue)
                #expect(!labelValues.isEmpty)
                #expect(!labelValues.contains { $0.contains(uuid) }, "a label carries an id")
                #expect(!labelValues.contains { $0.contains(tenant.id.uuidString.lowercased()) })
            }
        }
    }

    @Test("SIGTERM flushes what a serve process counted: nothing is lost")
    func flushOnShutdown() async throws {
        try await withTestDatabase("metrics_sigterm") { database, handle in
            let fixtures = Fixtures(try await makeDependencies(database))
            let tenant = try await fixtures.setup("msg")
            let port = try freePort()
            let server = Process()
            server.executableURL = try platformExecutable()
            server.arguments = ["serve", "--no-migrate", "--port", String(port)]
            server.environment = [
                "DATABASE_URL": handle.runtime.connectionString, "JWT_SECRET": "test-secret-test-secret-test-secret-0123456789",
                "LOG_LEVEL": "error", "TASKS_SERVE_CONCURRENCY": "0", "METRICS_FLUSH_SECONDS": "300", "STORAGE_DIR": temporaryDirectory("metrics-sigterm"),
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            ]
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
            try server.run()
            defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
            let running = try await MemoryLimitedServer(process: server, base: "http://127.0.0.1:\(port)", token: "").signIn("msg-root")
            for _ in 0..<5 {
                var request = HTTPClientRequest(url: running.base + "/api/v1/tasks")
                request.headers.add(name: "Authorization", value: "Bearer \(running.token)")
                #expect(try await HTTPClient.shared.execute(request, timeout: .seconds(30)).status == .ok)
            }
            // The flush interval is 5 minutes: only the shutdown can have written these.
            kill(server.processIdentifier, SIGTERM)
            #expect(try await eventually(within: 60) { !server.isRunning })
            #expect(server.terminationStatus == 0)
            let counted: Int64? = try await database.withPlatformScope { tx in
                try await tx.first("SELECT sum(requests)::int8 FROM api_usage_minutes WHERE tenant_id = \(tenant.id) AND route = '/api/v1/tasks'", as: Int64.self)
            }
            #expect(counted == 5)
        }
    }
}

extension JSONValue {
    var objectValues: [JSONValue] {
        if case .object(let object) = self { return Array(object.values) }
        return []
    }
}
