import AsyncHTTPClient
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import PlatformDatabase
import PlatformServices
import PlatformSupport
import TaskEngine

/// What a delivery attempt may do, from configuration.
public struct WebhookDeliverySettings: Sendable {
    public var schedule: [Double]
    public var timeout: Duration
    public var disableAfterFailures: Int
    public var disableAfter: TimeInterval
    public var secretOverlap: TimeInterval
    public var targets: OutboundTargetPolicy
    public static let maximumResponseBytes = 64 * 1024

    public init(config: PlatformConfig.Webhooks) {
        schedule = config.retrySchedule
        timeout = .seconds(config.timeoutSeconds)
        disableAfterFailures = config.disableAfterFailures
        disableAfter = TimeInterval(config.disableAfterSeconds)
        secretOverlap = TimeInterval(config.secretOverlapSeconds)
        targets = OutboundTargetPolicy(allowed: config.allowedHosts)
    }

    /// The wait before attempt `next` (1-based), jittered by ±10 %.
    func delay(beforeAttempt next: Int) -> Duration {
        let base = schedule[min(max(next - 1, 0), schedule.count - 1)]
        return .milliseconds(Int(base * Double.random(in: 0.9...1.1) * 1000))
    }
}

/// The HTTP client of webhook deliveries: redirects are not followed (a redirect could lead
/// to an address the target policy refuses). Lives as long as the process.
enum WebhookHTTP {
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)), decompression: .disabled))
}

/// `webhook.deliver`: one attempt per run of the task. Signs per Standard Webhooks, records
/// the attempt, and decides what follows: success, a retry on the schedule (or later, if the
/// receiver sent `Retry-After`), unsubscribe on 410, or disabling a failing endpoint.
public struct WebhookDeliveryHandler: TaskHandler {
    public static let taskType = "webhook.deliver"

    let database: Database
    let settings: WebhookDeliverySettings
    let logger = Logger(label: "platform.webhooks")

    public init(database: Database, settings: WebhookDeliverySettings) {
        self.database = database
        self.settings = settings
    }

    struct Target: Sendable {
        var deliveryID: UUID
        var endpointID: UUID
        var messageID: UUID
        var payload: String
        var status: String
        var url: String
        var secrets: [String]
        var active: Bool
    }

    public func run(_ job: TaskJob) async throws -> JSONValue? {
        guard let text = job.task.taskInput["delivery_id"]?.stringValue, let deliveryID = UUID(uuidString: text) else {
            throw TaskFailure("task_input.delivery_id is missing", retryable: false)
        }
        let tenantID = job.task.tenantId
        let overlap = settings.secretOverlap
        guard let target = try await database.withTenant(job.tenantScope, { tx -> Target? in
            guard let row = try await tx.first(
                """
                SELECT d.id, d.endpoint_id, d.message_id, d.payload, d.status, e.url, e.secret,
                       CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END, e.active AND e.deleted_at IS NULL
                FROM webhook_deliveries d JOIN webhook_endpoints e ON e.tenant_id = d.tenant_id AND e.id = d.endpoint_id
                WHERE d.tenant_id = \(tenantID) AND d.id = \(deliveryID)
                """, as: (UUID, UUID, UUID, String, String, String, String, String?, Bool).self)
            else { return nil }
            _ = overlap
            return Target(
                deliveryID: row.0, endpointID: row.1, messageID: row.2, payload: row.3, status: row.4, url: row.5,
                secrets: [row.6] + (row.7.map { [$0] } ?? []), active: row.8)
        }) else { throw TaskFailure("delivery \(deliveryID) does not exist", retryable: false) }
        guard target.status == "pending" else { return ["skipped": .string("delivery is \(target.status)")] }
        guard target.active else {
            try await finish(target, tenantID: tenantID, status: "cancelled", error: "the endpoint is disabled or deleted", in: job)
            return ["skipped": "endpoint disabled"]
        }
        let attempt = job.task.attempts
        let started = ContinuousClock.now
        var outcome: (code: Int?, error: String?, excerpt: String?, retryAfter: TimeInterval?)
        do {
            let url = try await settings.targets.check(target.url)
            outcome = try await send(target, to: url)
        } catch let refused as OutboundTargetPolicy.Refused {
            try await record(target, tenantID: tenantID, attempt: attempt, started: started, code: nil, error: "target refused: \(refused.reason)", excerpt: nil, in: job)
            try await finish(target, tenantID: tenantID, status: "failed", error: "target refused: \(refused.reason)", in: job)
            throw TaskFailure("target refused: \(refused.reason)", retryable: false)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // The HTTP client reports its own cancellation as a transport error: a delivery
            // stopped by a drain is interrupted, not a failed attempt.
            if Task.isCancelled { throw CancellationError() }
            outcome = (nil, Self.describe(error), nil, nil)
        }
        try await record(target, tenantID: tenantID, attempt: attempt, started: started, code: outcome.code, error: outcome.error, excerpt: outcome.excerpt, in: job)
        if let code = outcome.code, (200..<300).contains(code) {
            try await succeed(target, tenantID: tenantID, code: code, in: job)
            return ["status_code": .int(Int64(code)), "attempt": .int(Int64(attempt))]
        }
        let reason = outcome.error ?? "HTTP \(outcome.code ?? 0)"
        if outcome.code == 410 {
            try await disable(target.endpointID, tenantID: tenantID, reason: "the receiver answered 410 Gone (unsubscribed)", in: job)
            try await finish(target, tenantID: tenantID, status: "failed", error: reason, in: job)
            throw TaskFailure(reason, retryable: false)
        }
        if try await countFailure(target, tenantID: tenantID, reason: reason, in: job) {
            try await finish(target, tenantID: tenantID, status: "failed", error: reason, in: job)
            throw TaskFailure("\(reason); the endpoint was disabled", retryable: false)
        }
        guard attempt < min(settings.schedule.count, job.task.maxAttempts) else {
            try await finish(target, tenantID: tenantID, status: "failed", error: reason, in: job)
            throw TaskFailure(reason, retryable: false)
        }
        var delay = settings.delay(beforeAttempt: attempt + 1)
        if let retryAfter = outcome.retryAfter {
            delay = max(delay, .milliseconds(Int(min(retryAfter, 86_400) * 1000)))
        }
        let next = Date().addingTimeInterval(delay.seconds)
        _ = try await database.withTenant(job.tenantScope) { tx in
            try await tx.query("UPDATE webhook_deliveries SET next_attempt_at = \(next), updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(target.deliveryID)")
        }
        throw TaskFailure(reason, retryAfter: delay)
    }

    func send(_ target: Target, to url: URL) async throws -> (code: Int?, error: String?, excerpt: String?, retryAfter: TimeInterval?) {
        let timestamp = Int(Date().timeIntervalSince1970)
        let id = WebhookStore.messageHeader(target.messageID)
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "platform-webhooks/1")
        request.headers.add(name: "webhook-id", value: id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: try WebhookSignature.header(secrets: target.secrets, id: id, timestamp: timestamp, body: target.payload))
        request.body = .bytes(ByteBuffer(string: target.payload))
        let response = try await WebhookHTTP.client.execute(request, timeout: .seconds(Int64(settings.timeout.seconds)))
        var excerpt = ByteBuffer()
        // Only the first 64 KiB of an answer is read; the rest is dropped with the connection.
        for try await var chunk in response.body {
            let room = WebhookDeliverySettings.maximumResponseBytes - excerpt.readableBytes
            if chunk.readableBytes > room {
                chunk = chunk.getSlice(at: chunk.readerIndex, length: room) ?? ByteBuffer()
                excerpt.writeBuffer(&chunk)
                break
            }
            excerpt.writeBuffer(&chunk)
        }
        let text = String(buffer: excerpt)
        return (Int(response.status.code), nil, String(text.prefix(2000)), Self.retryAfter(response.headers.first(name: "Retry-After")))
    }

    /// Seconds from a `Retry-After` header: delta-seconds or an HTTP date.
    static func retryAfter(_ value: String?) -> TimeInterval? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = TimeInterval(value), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, date.timeIntervalSinceNow)
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "timed out"
            default: return "request failed: \(error)"
            }
        }
        return "request failed: \(String(describing: error).prefix(300))"
    }

    func record(_ target: Target, tenantID: UUID, attempt: Int, started: ContinuousClock.Instant, code: Int?, error: String?, excerpt: String?, in job: TaskJob) async throws {
        let milliseconds = Int((ContinuousClock.now - started).seconds * 1000)
        try await database.withTenant(job.tenantScope) { tx in
            try await tx.query(
                """
                INSERT INTO webhook_attempts (tenant_id, id, delivery_id, attempt, status_code, duration_ms, error, response_excerpt)
                VALUES (\(tenantID), \(UUID.v7()), \(target.deliveryID), \(attempt), \(code), \(milliseconds), \(error), \(excerpt))
                """)
            try await tx.query(
                """
                UPDATE webhook_deliveries SET attempts = attempts + 1, last_status_code = \(code), last_error = \(error),
                       last_attempt_at = now(), updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(target.deliveryID)
                """)
        }
    }

    func succeed(_ target: Target, tenantID: UUID, code: Int, in job: TaskJob) async throws {
        try await database.withTenant(job.tenantScope) { tx in
            try await tx.query(
                """
                UPDATE webhook_deliveries SET status = 'succeeded', succeeded_at = now(), next_attempt_at = NULL, last_error = NULL, updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(target.deliveryID)
                """)
            try await tx.query(
                """
                UPDATE webhook_endpoints SET consecutive_failures = 0, first_failure_at = NULL, last_success_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(target.endpointID)
                """)
        }
    }

    func finish(_ target: Target, tenantID: UUID, status: String, error: String, in job: TaskJob) async throws {
        _ = try await database.withTenant(job.tenantScope) { tx in
            try await tx.query(
                """
                UPDATE webhook_deliveries SET status = \(status), last_error = \(error), next_attempt_at = NULL, updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(target.deliveryID)
                """)
        }
    }

    /// Counts a failed attempt against the endpoint; true when that disabled it.
    func countFailure(_ target: Target, tenantID: UUID, reason: String, in job: TaskJob) async throws -> Bool {
        let threshold = settings.disableAfterFailures
        let window = settings.disableAfter
        return try await database.withTenant(job.tenantScope) { tx in
            guard let row = try await tx.first(
                """
                UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, first_failure_at = coalesce(first_failure_at, now()), updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(target.endpointID)
                RETURNING consecutive_failures, extract(epoch FROM now() - first_failure_at)::float8
                """, as: (Int, Double).self)
            else { return false }
            guard row.0 >= threshold, row.1 >= window else { return false }
            let why = "disabled after \(row.0) failed attempts in a row over \(Int(row.1)) s; last: \(reason)"
            try await tx.query(
                """
                UPDATE webhook_endpoints SET active = false, disabled_at = now(), disabled_reason = \(why), updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(target.endpointID)
                """)
            try await AuditLog.append(
                AuditEvent(action: "webhook.disable", tenantID: tenantID, targetType: "webhook", targetID: target.endpointID.uuidString.lowercased(),
                           metadata: ["reason": .string(why)]), in: tx)
            return true
        }
    }

    func disable(_ endpointID: UUID, tenantID: UUID, reason: String, in job: TaskJob) async throws {
        try await database.withTenant(job.tenantScope) { tx in
            try await tx.query(
                """
                UPDATE webhook_endpoints SET active = false, disabled_at = now(), disabled_reason = \(reason), updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(endpointID)
                """)
            try await AuditLog.append(
                AuditEvent(action: "webhook.disable", tenantID: tenantID, targetType: "webhook", targetID: endpointID.uuidString.lowercased(),
                           metadata: ["reason": .string(reason)]), in: tx)
        }
    }
}
