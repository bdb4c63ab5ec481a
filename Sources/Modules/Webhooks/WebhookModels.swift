import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

/// A subscriber's endpoint as served (the secret only at creation and rotation), and as a row:
/// `WebhookStore.endpointColumns`.
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

/// Statuses of a delivery. `WebhookDelivery.status` stays a string so its schema is unchanged.
enum DeliveryStatus: String, Codable, Sendable, SchemaEnum, CaseIterable {
    case pending, succeeded, failed, cancelled
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

    init(_ row: WebhookStore.DeliveryRow) {
        id = row.id
        endpointId = row.endpointId
        webhookId = WebhookMessage.header(row.messageId)
        eventType = row.eventType
        status = row.status
        attempts = row.attempts
        lastStatusCode = row.lastStatusCode
        lastError = row.lastError
        lastAttemptAt = row.lastAttemptAt
        nextAttemptAt = row.nextAttemptAt
        succeededAt = row.succeededAt
        createdAt = row.createdAt
    }
}

struct CreateEndpoint: Codable, Sendable {
    var url: String
    var events: [String]?
    /// Alias of `events`.
    var eventTypes: [String]?
    var description: String?
    var active: Bool?
    /// A `whsec_` secret of the subscriber's choosing; one is generated when absent.
    var secret: String?
}

struct UpdateEndpoint: Codable, Sendable {
    var url: String?
    var events: [String]?
    var eventTypes: [String]?
    var description: String?
    /// Turning an endpoint back on clears its failure count and the reason it was disabled.
    var active: Bool?
}

struct DeliveryListQuery: QueryInput {
    var paging: PageRequest
    var status: DeliveryStatus?
}

/// Standard Webhooks messages: ids, bodies, and the event patterns endpoints subscribe with.
enum WebhookMessage {
    /// The `webhook-id` of a message: stable across its attempts.
    static func header(_ id: UUID) -> String {
        "msg_" + id.uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    /// The body Standard Webhooks prescribes: `{"type", "timestamp", "data"}`.
    static func payload(type: String, at date: Date, data: JSONValue) throws -> String {
        let body: JSONValue = ["type": .string(type), "timestamp": .string(RFC3339.string(from: date)), "data": data]
        return String(decoding: try PlatformJSON.makeEncoder().encode(body), as: UTF8.self)
    }

    /// Whether an endpoint's patterns take an event type: exact, `*`, or `prefix.*`.
    /// (The relay matches in SQL; this is the same rule in Swift.)
    static func matches(_ patterns: [String], _ type: String) -> Bool {
        patterns.contains { pattern in
            pattern == "*" || pattern == type || (pattern.hasSuffix(".*") && type.hasPrefix(String(pattern.dropLast())))
        }
    }

    static func isValidPattern(_ pattern: String) -> Bool {
        pattern == "*" || pattern.wholeMatch(of: /[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?/) != nil && pattern.count <= 200
    }
}

extension APIError {
    static var webhookNotFound: APIError { .notFound("Webhook", code: "WEBHOOK_NOT_FOUND") }
    static var deliveryNotFound: APIError { .notFound("Delivery", code: "DELIVERY_NOT_FOUND") }
    static var endpointDisabled: APIError { .conflict("The endpoint is disabled", code: "ENDPOINT_DISABLED") }
    static var endpointDisabledEnableFirst: APIError { .conflict("The endpoint is disabled; enable it first", code: "ENDPOINT_DISABLED") }
    static var deliveryPending: APIError {
        APIError(.conflict, code: "DELIVERY_PENDING", message: "The delivery is still being attempted", details: ["status": "pending"])
    }
}

extension CreateEndpoint: BodyExample {
    static var example: JSONValue { ["url": "https://hooks.example.com/platform", "events": ["task.completed", "content.published"], "description": "Ops alerts"] }
}
