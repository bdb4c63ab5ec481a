import Foundation
import PlatformDatabase
import PlatformSupport

/// A delivery with what its attempt needs of the endpoint.
struct DeliveryTarget: Decodable, Sendable {
    var deliveryId: UUID
    var endpointId: UUID
    var messageId: UUID
    var payload: String
    var status: String
    var url: String
    var secret: String
    /// The secret before the last rotation, while its overlap lasts.
    var previousSecret: String?
    /// Active and not deleted.
    var active: Bool

    /// Every secret that signs: the current one, then the previous one during the overlap.
    var secrets: [String] { [secret] + (previousSecret.map { [$0] } ?? []) }
}

/// The statements of a delivery attempt (`WebhookDeliveryHandler`).
struct WebhookDeliveryStore: Sendable {
    func target(_ deliveryID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> DeliveryTarget? {
        try await tx.row(
            """
            SELECT d.id AS delivery_id, d.endpoint_id, d.message_id, d.payload, d.status, e.url, e.secret,
                   CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END AS previous_secret,
                   (e.active AND e.deleted_at IS NULL) AS active
            FROM webhook_deliveries d JOIN webhook_endpoints e ON e.tenant_id = d.tenant_id AND e.id = d.endpoint_id
            WHERE d.tenant_id = \(tenantID) AND d.id = \(deliveryID)
            """, decoding: DeliveryTarget.self)
    }

    /// One attempt as made, and the delivery's last-attempt fields.
    struct Attempt: Sendable {
        var number: Int
        var statusCode: Int?
        var milliseconds: Int
        var error: String?
        var excerpt: String?
    }

    func record(_ attempt: Attempt, deliveryID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            INSERT INTO webhook_attempts (tenant_id, id, delivery_id, attempt, status_code, duration_ms, error, response_excerpt)
            VALUES (\(tenantID), \(UUID.v7()), \(deliveryID), \(attempt.number), \(attempt.statusCode), \(attempt.milliseconds), \(attempt.error), \(attempt.excerpt))
            """)
        try await tx.run(
            """
            UPDATE webhook_deliveries SET attempts = attempts + 1, last_status_code = \(attempt.statusCode), last_error = \(attempt.error),
                   last_attempt_at = now(), updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(deliveryID)
            """)
    }

    /// The delivery succeeded: it is done, and the endpoint's failure run ends.
    func succeed(_ target: DeliveryTarget, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE webhook_deliveries SET status = 'succeeded', succeeded_at = now(), next_attempt_at = NULL, last_error = NULL, updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(target.deliveryId)
            """)
        try await tx.run(
            """
            UPDATE webhook_endpoints SET consecutive_failures = 0, first_failure_at = NULL, last_success_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(target.endpointId)
            """)
    }

    /// No more attempts: the delivery ends as `status`.
    func finish(_ deliveryID: UUID, tenantID: UUID, status: DeliveryStatus, error: String, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE webhook_deliveries SET status = \(status.rawValue), last_error = \(error), next_attempt_at = NULL, updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(deliveryID)
            """)
    }

    func scheduleNext(_ deliveryID: UUID, at next: Date, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE webhook_deliveries SET next_attempt_at = \(next), updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(deliveryID)")
    }

    /// The endpoint's failure run after counting one more failure.
    struct FailureRun: Decodable, Sendable {
        var consecutiveFailures: Int
        /// Seconds since the run's first failure.
        var failingFor: Double
    }

    func countFailure(_ endpointID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> FailureRun? {
        try await tx.row(
            """
            UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, first_failure_at = coalesce(first_failure_at, now()), updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(endpointID)
            RETURNING consecutive_failures, extract(epoch FROM now() - first_failure_at)::float8 AS failing_for
            """, decoding: FailureRun.self)
    }

    func disable(_ endpointID: UUID, tenantID: UUID, reason: String, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE webhook_endpoints SET active = false, disabled_at = now(), disabled_reason = \(reason), updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(endpointID)
            """)
    }
}
