import Foundation
import PlatformDatabase
import PlatformSupport
import TaskEngine

/// Which deliveries of an endpoint a list shows; the page and its count share it.
struct DeliveryFilter: Sendable {
    var tenantID: UUID
    var endpointID: UUID
    var status: DeliveryStatus?

    var condition: SQL {
        "tenant_id = \(tenantID) AND endpoint_id = \(endpointID) AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))"
    }
}

/// The fields an endpoint update may change (nil: keep).
struct EndpointChange: Sendable {
    var url: String?
    var events: [String]?
    var description: String?
    var active: Bool?
}

/// Every statement on `webhook_endpoints` and `webhook_deliveries` outside a delivery attempt.
struct WebhookStore: Sendable {
    static let endpointColumns = """
        id, url, event_types AS events, description, active, disabled_at, disabled_reason, consecutive_failures, last_success_at,
        CASE WHEN previous_secret_expires_at > now() THEN previous_secret_expires_at END AS secret_rotated_until, created_at, updated_at
        """

    static let deliveryColumns = """
        id, endpoint_id, message_id, event_type, status, attempts, last_status_code, last_error, last_attempt_at, next_attempt_at, succeeded_at, created_at
        """

    /// A delivery as stored; `WebhookDelivery` derives the `webhook-id` from the message id.
    struct DeliveryRow: Decodable, Sendable {
        var id: UUID
        var endpointId: UUID
        var messageId: UUID
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

    static func liveEndpoints(_ tenantID: UUID) -> SQL {
        "tenant_id = \(tenantID) AND deleted_at IS NULL"
    }

    func endpoint(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> WebhookEndpoint? {
        try await tx.row(
            "SELECT \(unescaped: Self.endpointColumns) FROM webhook_endpoints WHERE \(Self.liveEndpoints(tenantID)) AND id = \(id)",
            decoding: WebhookEndpoint.self)
    }

    func endpoints(tenantID: UUID, page: PageRequest, in tx: DatabaseTransaction) async throws -> [WebhookEndpoint] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.endpointColumns) FROM webhook_endpoints WHERE \(Self.liveEndpoints(tenantID))
            ORDER BY id DESC LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: WebhookEndpoint.self)
    }

    func countEndpoints(tenantID: UUID, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM webhook_endpoints WHERE \(Self.liveEndpoints(tenantID))", as: Int.self) ?? 0
    }

    /// What the integrations report shows of the tenant's endpoints.
    struct EndpointUsage: Decodable, Sendable {
        var activeEndpoints: Int
        var disabledByFailures: Int
        var firstCreatedAt: Date?
    }

    func endpointUsage(tenantID: UUID, in tx: DatabaseTransaction) async throws -> EndpointUsage? {
        try await tx.row(
            """
            SELECT count(*) FILTER (WHERE active)::int AS active_endpoints,
                   count(*) FILTER (WHERE NOT active AND disabled_reason IS NOT NULL)::int AS disabled_by_failures, min(created_at) AS first_created_at
            FROM webhook_endpoints WHERE \(Self.liveEndpoints(tenantID))
            """, decoding: EndpointUsage.self)
    }

    struct NewEndpoint: Sendable {
        var url: String
        var description: String?
        var events: [String]
        var active: Bool
        var secret: String
    }

    func insertEndpoint(_ endpoint: NewEndpoint, id: UUID, tenantID: UUID, ownerID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            INSERT INTO webhook_endpoints (tenant_id, id, owner_id, url, description, event_types, active, secret)
            VALUES (\(tenantID), \(id), \(ownerID), \(endpoint.url), \(endpoint.description), \(endpoint.events), \(endpoint.active), \(endpoint.secret))
            """)
    }

    /// Applies `change`; turning an endpoint on clears its failures, turning it off records why.
    func updateEndpoint(_ id: UUID, tenantID: UUID, _ change: EndpointChange, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE webhook_endpoints SET
                url = coalesce(\(change.url), url), event_types = coalesce(\(change.events)::text[], event_types),
                description = coalesce(\(change.description), description), active = coalesce(\(change.active), active),
                consecutive_failures = CASE WHEN \(change.active) IS TRUE AND NOT active THEN 0 ELSE consecutive_failures END,
                first_failure_at = CASE WHEN \(change.active) IS TRUE AND NOT active THEN NULL ELSE first_failure_at END,
                disabled_at = CASE WHEN \(change.active) IS TRUE THEN NULL WHEN \(change.active) IS FALSE THEN coalesce(disabled_at, now()) ELSE disabled_at END,
                disabled_reason = CASE WHEN \(change.active) IS TRUE THEN NULL WHEN \(change.active) IS FALSE AND active THEN 'disabled by a user' ELSE disabled_reason END,
                updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(id)
            """)
    }

    /// Soft-deletes the endpoint and cancels what it still had pending.
    func deleteEndpoint(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE webhook_endpoints SET deleted_at = now(), active = false, updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id)")
        try await tx.run(
            """
            UPDATE webhook_deliveries SET status = 'cancelled', last_error = 'the endpoint was deleted', next_attempt_at = NULL, updated_at = now()
            WHERE tenant_id = \(tenantID) AND endpoint_id = \(id) AND status = 'pending'
            """)
    }

    /// `secret` signs from now on; the previous one goes on signing for `overlap` seconds.
    func rotateSecret(_ id: UUID, tenantID: UUID, to secret: String, overlap: TimeInterval, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = now() + make_interval(secs => \(overlap)),
                   secret = \(secret), updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(id)
            """)
    }

    func delivery(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> WebhookDelivery? {
        try await tx.row(
            "SELECT \(unescaped: Self.deliveryColumns) FROM webhook_deliveries WHERE tenant_id = \(tenantID) AND id = \(id)",
            decoding: DeliveryRow.self
        ).map(WebhookDelivery.init)
    }

    func deliveries(_ filter: DeliveryFilter, page: PageRequest, in tx: DatabaseTransaction) async throws -> [WebhookDelivery] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.deliveryColumns) FROM webhook_deliveries WHERE \(filter.condition)
            ORDER BY id DESC LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: DeliveryRow.self
        ).map(WebhookDelivery.init)
    }

    func countDeliveries(_ filter: DeliveryFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM webhook_deliveries WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    /// Puts a finished delivery back to pending, due now (its attempts are queued separately).
    func reopenDelivery(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), succeeded_at = NULL, updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(id)
            """)
    }

    /// Records one message for one endpoint (once: a repeated message id is ignored) and queues
    /// its delivery on the task engine, in the caller's transaction.
    @discardableResult
    func enqueueDelivery(
        tenantID: UUID, endpointID: UUID, messageID: UUID, eventType: String, payload: String, attempts: Int,
        in tx: DatabaseTransaction
    ) async throws -> UUID? {
        let deliveryID = UUID.v7()
        guard try await tx.value(
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
    func queueAttempts(tenantID: UUID, deliveryID: UUID, attempts: Int, in tx: DatabaseTransaction) async throws {
        var task = NewTask(taskType: WebhookDeliveryHandler.taskType)
        task.kind = .internal
        task.queue = "webhooks"
        task.priority = 60
        task.input = ["delivery_id": .string(deliveryID.uuidString.lowercased())]
        task.maxAttempts = attempts
        task.enqueue = true
        let created = try await TaskStore.insert(task, tenantID: tenantID, ownerID: nil, in: tx)
        try await tx.run("UPDATE webhook_deliveries SET task_id = \(created.id) WHERE tenant_id = \(tenantID) AND id = \(deliveryID)")
    }
}
