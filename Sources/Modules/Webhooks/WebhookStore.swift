import Foundation
import Hummingbird
import PlatformDatabase
import PlatformSupport
import PostgresNIO
import TaskEngine

/// A subscriber's endpoint as served (the secret only at creation and rotation).
struct WebhookEndpoint: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var url: String
    var events: [String]
    var description: String?
    var active: Bool
    var disabledAt: Date?
    var disabledReason: String?
    var consecutiveFailures: Int
    var lastSuccessAt: Date?
    var secretRotatedUntil: Date?
    var createdAt: Date
    var updatedAt: Date
    /// Present only in the answers to creation and rotation.
    var secret: String?
}

struct WebhookDelivery: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var endpointId: UUID
    var webhookId: String
    var eventType: String
    var status: String
    var attempts: Int
    var lastStatusCode: Int?
    var lastError: String?
    var lastAttemptAt: Date?
    var nextAttemptAt: Date?
    var succeededAt: Date?
    var createdAt: Date
}

/// SQL of the webhooks module.
enum WebhookStore {
    static let endpointColumns = """
        id, url, event_types, description, active, disabled_at, disabled_reason, consecutive_failures, last_success_at,
        CASE WHEN previous_secret_expires_at > now() THEN previous_secret_expires_at END AS rotated_until, created_at, updated_at
        """

    typealias EndpointRow = (UUID, String, [String], String?, Bool, Date?, String?, Int, Date?, Date?, Date, Date)

    static func endpoint(_ row: EndpointRow, secret: String? = nil) -> WebhookEndpoint {
        WebhookEndpoint(
            id: row.0, url: row.1, events: row.2, description: row.3, active: row.4, disabledAt: row.5, disabledReason: row.6,
            consecutiveFailures: row.7, lastSuccessAt: row.8, secretRotatedUntil: row.9, createdAt: row.10, updatedAt: row.11, secret: secret)
    }

    static func findEndpoint(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> WebhookEndpoint? {
        try await tx.first(
            "SELECT \(unescaped: endpointColumns) FROM webhook_endpoints WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL",
            as: EndpointRow.self
        ).map { endpoint($0) }
    }

    static let deliveryColumns = """
        id, endpoint_id, message_id, event_type, status, attempts, last_status_code, last_error, last_attempt_at, next_attempt_at, succeeded_at, created_at
        """

    typealias DeliveryRow = (UUID, UUID, UUID, String, String, Int, Int?, String?, Date?, Date?, Date?, Date)

    static func delivery(_ row: DeliveryRow) -> WebhookDelivery {
        WebhookDelivery(
            id: row.0, endpointId: row.1, webhookId: messageHeader(row.2), eventType: row.3, status: row.4, attempts: row.5,
            lastStatusCode: row.6, lastError: row.7, lastAttemptAt: row.8, nextAttemptAt: row.9, succeededAt: row.10, createdAt: row.11)
    }

    /// The `webhook-id` of a message: stable across its attempts.
    static func messageHeader(_ id: UUID) -> String {
        "msg_" + id.uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    /// The body Standard Webhooks prescribes: `{"type", "timestamp", "data"}`.
    static func payload(type: String, at date: Date, data: JSONValue) throws -> String {
        let body: JSONValue = ["type": .string(type), "timestamp": .string(RFC3339.string(from: date)), "data": data]
        return String(decoding: try PlatformJSON.makeEncoder().encode(body), as: UTF8.self)
    }

    /// Records one message for one endpoint (once: a repeated message id is ignored) and queues
    /// its delivery on the task engine, in the caller's transaction.
    @discardableResult
    static func enqueueDelivery(
        tenantID: UUID, endpointID: UUID, messageID: UUID, eventType: String, payload: String, attempts: Int,
        in tx: DatabaseTransaction
    ) async throws -> UUID? {
        let deliveryID = UUID.v7()
        guard try await tx.first(
            """
            INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, message_id, event_type, payload, next_attempt_at)
            VALUES (\(tenantID), \(deliveryID), \(endpointID), \(messageID), \(eventType), \(payload), now())
            ON CONFLICT (tenant_id, endpoint_id, message_id) DO NOTHING RETURNING id
            """, as: UUID.self) != nil
        else { return nil }
        try await queueAttempts(tenantID: tenantID, deliveryID: deliveryID, attempts: attempts, in: tx)
        return deliveryID
    }

    /// A task that makes the delivery's attempts.
    static func queueAttempts(tenantID: UUID, deliveryID: UUID, attempts: Int, in tx: DatabaseTransaction) async throws {
        var task = NewTask(taskType: WebhookDeliveryHandler.taskType)
        task.kind = .internal
        task.queue = "webhooks"
        task.priority = 60
        task.input = ["delivery_id": .string(deliveryID.uuidString.lowercased())]
        task.maxAttempts = attempts
        task.enqueue = true
        let created = try await TaskStore.insert(task, tenantID: tenantID, ownerID: nil, in: tx)
        try await tx.query("UPDATE webhook_deliveries SET task_id = \(created.id) WHERE tenant_id = \(tenantID) AND id = \(deliveryID)")
    }

    /// Whether an endpoint's patterns take an event type: exact, `*`, or `prefix.*`.
    static func matches(_ patterns: [String], _ type: String) -> Bool {
        patterns.contains { pattern in
            pattern == "*" || pattern == type || (pattern.hasSuffix(".*") && type.hasPrefix(String(pattern.dropLast())))
        }
    }

    static func isValidPattern(_ pattern: String) -> Bool {
        pattern == "*" || pattern.wholeMatch(of: /[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?/) != nil && pattern.count <= 200
    }
}
