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

/// `webhook.deliver`: one attempt per run of the task. Signs per Standard Webhooks, records
/// the attempt, and decides what follows: success, a retry on the schedule (or later, if the
/// receiver sent `Retry-After`), unsubscribe on 410, or disabling a failing endpoint.
public struct WebhookDeliveryHandler: TaskHandler {
    public static let taskType = "webhook.deliver"

    let database: Database
    let settings: WebhookDeliverySettings
    let logger = Logger(label: "platform.webhooks")
    let store = WebhookDeliveryStore()
    let outcomes: (@Sendable (String) -> Void)?

    public init(database: Database, settings: WebhookDeliverySettings, outcomes: (@Sendable (String) -> Void)? = nil) {
        self.database = database
        self.settings = settings
        self.outcomes = outcomes
    }

    public func run(_ job: TaskJob) async throws -> JSONValue? {
        guard let text = job.task.taskInput["delivery_id"]?.stringValue, let deliveryID = UUID(uuidString: text) else {
            throw TaskFailure("task_input.delivery_id is missing", retryable: false)
        }
        let tenantID = job.task.tenantId
        guard let target = try await database.withTenant(job.tenantScope, { tx in try await store.target(deliveryID, tenantID: tenantID, in: tx) }) else {
            throw TaskFailure("delivery \(deliveryID) does not exist", retryable: false)
        }
        guard target.status == DeliveryStatus.pending.rawValue else { return ["skipped": .string("delivery is \(target.status)")] }
        guard target.active else {
            try await finish(target, tenantID: tenantID, status: .cancelled, error: "the endpoint is disabled or deleted", in: job)
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
            outcomes?("refused")
            try await finish(target, tenantID: tenantID, status: .failed, error: "target refused: \(refused.reason)", in: job)
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
        outcomes?(outcome.code.map { (200..<300).contains($0) ? "delivered" : $0 == 410 ? "gone" : "http_error" } ?? "network_error")
        if let code = outcome.code, (200..<300).contains(code) {
            try await succeed(target, tenantID: tenantID, code: code, in: job)
            return ["status_code": .int(Int64(code)), "attempt": .int(Int64(attempt))]
        }
        let reason = outcome.error ?? "HTTP \(outcome.code ?? 0)"
        if outcome.code == 410 {
            try await disable(target.endpointId, tenantID: tenantID, reason: "the receiver answered 410 Gone (unsubscribed)", in: job)
            try await finish(target, tenantID: tenantID, status: .failed, error: reason, in: job)
            throw TaskFailure(reason, retryable: false)
        }
        if try await countFailure(target, tenantID: tenantID, reason: reason, in: job) {
            try await finish(target, tenantID: tenantID, status: .failed, error: reason, in: job)
            throw TaskFailure("\(reason); the endpoint was disabled", retryable: false)
        }
        guard attempt < min(settings.schedule.count, job.task.maxAttempts) else {
            try await finish(target, tenantID: tenantID, status: .failed, error: reason, in: job)
            throw TaskFailure(reason, retryable: false)
        }
        var delay = settings.delay(beforeAttempt: attempt + 1)
        if let retryAfter = outcome.retryAfter {
            delay = max(delay, .milliseconds(Int(min(retryAfter, 86_400) * 1000)))
        }
        let next = Date().addingTimeInterval(delay.seconds)
        try await database.withTenant(job.tenantScope) { tx in try await store.scheduleNext(target.deliveryId, at: next, tenantID: tenantID, in: tx) }
        throw TaskFailure(reason, retryAfter: delay)
    }

    func send(_ target: DeliveryTarget, to url: URL) async throws -> (code: Int?, error: String?, excerpt: String?, retryAfter: TimeInterval?) {
        let timestamp = Int(Date().timeIntervalSince1970)
        let id = WebhookMessage.header(target.messageId)
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

    func record(
        _ target: DeliveryTarget, tenantID: UUID, attempt: Int, started: ContinuousClock.Instant, code: Int?, error: String?, excerpt: String?,
        in job: TaskJob
    ) async throws {
        let made = WebhookDeliveryStore.Attempt(
            number: attempt, statusCode: code, milliseconds: Int((ContinuousClock.now - started).seconds * 1000), error: error, excerpt: excerpt)
        try await database.withTenant(job.tenantScope) { tx in try await store.record(made, deliveryID: target.deliveryId, tenantID: tenantID, in: tx) }
    }

    func succeed(_ target: DeliveryTarget, tenantID: UUID, code: Int, in job: TaskJob) async throws {
        try await database.withTenant(job.tenantScope) { tx in try await store.succeed(target, tenantID: tenantID, in: tx) }
    }

    func finish(_ target: DeliveryTarget, tenantID: UUID, status: DeliveryStatus, error: String, in job: TaskJob) async throws {
        try await database.withTenant(job.tenantScope) { tx in
            try await store.finish(target.deliveryId, tenantID: tenantID, status: status, error: error, in: tx)
        }
    }

    /// Counts a failed attempt against the endpoint; true when that disabled it.
    func countFailure(_ target: DeliveryTarget, tenantID: UUID, reason: String, in job: TaskJob) async throws -> Bool {
        let threshold = settings.disableAfterFailures
        let window = settings.disableAfter
        return try await database.withTenant(job.tenantScope) { tx in
            guard let run = try await store.countFailure(target.endpointId, tenantID: tenantID, in: tx) else { return false }
            guard run.consecutiveFailures >= threshold, run.failingFor >= window else { return false }
            let why = "disabled after \(run.consecutiveFailures) failed attempts in a row over \(Int(run.failingFor)) s; last: \(reason)"
            try await store.disable(target.endpointId, tenantID: tenantID, reason: why, in: tx)
            try await AuditLog.append(
                AuditEvent(action: "webhook.disable", tenantID: tenantID, targetType: "webhook", targetID: target.endpointId.uuidString.lowercased(),
                           metadata: ["reason": .string(why)]), in: tx)
            return true
        }
    }

    func disable(_ endpointID: UUID, tenantID: UUID, reason: String, in job: TaskJob) async throws {
        try await database.withTenant(job.tenantScope) { tx in
            try await store.disable(endpointID, tenantID: tenantID, reason: reason, in: tx)
            try await AuditLog.append(
                AuditEvent(action: "webhook.disable", tenantID: tenantID, targetType: "webhook", targetID: endpointID.uuidString.lowercased(),
                           metadata: ["reason": .string(reason)]), in: tx)
        }
    }
}
