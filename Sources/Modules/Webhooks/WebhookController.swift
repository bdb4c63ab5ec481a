import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// Webhook endpoints of the tenant, their deliveries, test messages, secret rotation and
/// redelivery.
struct WebhookController: Sendable {
    let database: Database
    let settings: WebhookDeliverySettings

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

    func register(in registry: RouteRegistry) {
        let id = RouteParameter.path("id", ["type": "string", "format": "uuid"])
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/webhooks", summary: "The tenant's webhook endpoints", tag: "webhooks",
                access: .permission("webhook:endpoint:list"), parameters: RouteParameter.paging, responses: [.json(.ok, Page<WebhookEndpoint>.self)])
        ) { request, context in try await self.list(request, context) }
        for path in ["/api/v1/webhooks", "/api/v1/settings/webhooks"] {
            registry.addProtected(
                RouteDeclaration(
                    .post, path, summary: "Subscribe an endpoint to events (`task.*`, `content.published`, `*`)",
                    description: "Answers the signing secret once (`whsec_...`). Targets on loopback, private, link-local or metadata addresses are refused unless WEBHOOK_ALLOWED_HOSTS names them.",
                    tag: "webhooks", access: .permission("webhook:endpoint:create"), body: .type(CreateEndpoint.self),
                    responses: [.json(.created, WebhookEndpoint.self)])
            ) { request, context in try await self.create(request, context) }
        }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/webhooks/{id}", summary: "One endpoint", tag: "webhooks", access: .permission("webhook:endpoint:read"),
                parameters: [id], responses: [.json(.ok, WebhookEndpoint.self)])
        ) { _, context in try await self.get(context) }
        registry.addProtected(
            RouteDeclaration(
                .put, "/api/v1/webhooks/{id}", summary: "Change an endpoint", tag: "webhooks", access: .permission("webhook:endpoint:update"),
                parameters: [id], body: .type(UpdateEndpoint.self), responses: [.json(.ok, WebhookEndpoint.self)])
        ) { request, context in try await self.update(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .delete, "/api/v1/webhooks/{id}", summary: "Delete an endpoint (pending deliveries are cancelled)", tag: "webhooks",
                access: .permission("webhook:endpoint:delete"), parameters: [id], responses: [.noContent("Deleted")])
        ) { _, context in try await self.delete(context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/webhooks/{id}/deliveries", summary: "The endpoint's deliveries, newest first", tag: "webhooks",
                access: .permission("webhook:delivery:list"),
                parameters: [id] + RouteParameter.paging + [.query("status", ["type": "string", "enum": ["pending", "succeeded", "failed", "cancelled"]])],
                responses: [.json(.ok, Page<WebhookDelivery>.self)])
        ) { request, context in try await self.deliveries(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/webhooks/{id}/test", summary: "Send a `webhook.test` message to this endpoint", tag: "webhooks",
                access: .permission("webhook:endpoint:test"), parameters: [id],
                responses: [.json(.accepted, WebhookDelivery.self), .error(.conflict, "The endpoint is disabled")])
        ) { _, context in try await self.test(context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/webhooks/{id}/rotate-secret",
                summary: "A new signing secret; the previous one keeps signing alongside it for the overlap period",
                tag: "webhooks", access: .permission("webhook:endpoint:rotate"), parameters: [id], responses: [.json(.ok, WebhookEndpoint.self)])
        ) { _, context in try await self.rotate(context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/webhooks/deliveries/{id}/redeliver", summary: "Deliver a finished delivery again (same webhook-id)",
                tag: "webhooks", access: .permission("webhook:delivery:redeliver"), parameters: [id],
                responses: [.json(.accepted, WebhookDelivery.self), .error(.conflict, "Still pending, or the endpoint is disabled")])
        ) { _, context in try await self.redeliver(context) }
    }

    func endpointID(_ context: AuthenticatedContext) throws -> UUID {
        try context.pathUUID(notFound: "Webhook", code: "WEBHOOK_NOT_FOUND")
    }

    func find(_ id: UUID, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> WebhookEndpoint {
        guard let endpoint = try await WebhookStore.findEndpoint(id, tenantID: context.principal.tenantID, in: tx) else {
            throw APIError.notFound("Webhook", code: "WEBHOOK_NOT_FOUND")
        }
        return endpoint
    }

    func checkTarget(_ url: String) async throws {
        if url.count > 2000 { throw APIError.validation(["url": "must be at most 2000 characters"]) }
        do {
            _ = try await settings.targets.check(url)
        } catch let refused as OutboundTargetPolicy.Refused {
            throw APIError.validation(["url": refused.reason])
        }
    }

    static func checkEvents(_ events: [String]?) throws -> [String]? {
        guard let events else { return nil }
        guard (1...50).contains(events.count) else { throw APIError.validation(["events": "must list 1 to 50 event types"]) }
        if let bad = events.first(where: { !WebhookStore.isValidPattern($0) }) {
            throw APIError.validation(["events": "'\(bad.prefix(100))' is not an event type, `prefix.*` or `*`"])
        }
        return Array(Set(events)).sorted()
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<WebhookEndpoint> {
        let page = try PageRequest(request: request)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let total = try await tx.first("SELECT count(*)::int FROM webhook_endpoints WHERE tenant_id = \(tenantID) AND deleted_at IS NULL", as: Int.self) ?? 0
            let rows = try await tx.all(
                """
                SELECT \(unescaped: WebhookStore.endpointColumns) FROM webhook_endpoints WHERE tenant_id = \(tenantID) AND deleted_at IS NULL
                ORDER BY id DESC LIMIT \(page.limit) OFFSET \(page.offset)
                """, as: WebhookStore.EndpointRow.self)
            return Page(items: rows.map { WebhookStore.endpoint($0) }, total: total, request: page)
        }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> EditedResponse<WebhookEndpoint> {
        let body = try await request.decode(as: CreateEndpoint.self, context: context)
        try await checkTarget(body.url)
        let events = try Self.checkEvents(body.events ?? body.eventTypes) ?? ["*"]
        if let description = body.description, description.count > 1000 { throw APIError.validation(["description": "must be at most 1000 characters"]) }
        if let secret = body.secret, !WebhookSignature.isValidSecret(secret) {
            throw APIError.validation(["secret": "must be whsec_ followed by 24 to 64 bytes in base64"])
        }
        let secret = body.secret ?? WebhookSignature.newSecret()
        let id = UUID.v7()
        let tenantID = context.principal.tenantID
        let endpoint = try await database.withTenant(context.tenant) { tx in
            try await tx.query(
                """
                INSERT INTO webhook_endpoints (tenant_id, id, owner_id, url, description, event_types, active, secret)
                VALUES (\(tenantID), \(id), \(context.principal.userID), \(body.url), \(body.description), \(events), \(body.active ?? true), \(secret))
                """)
            try await AuditLog.append(audit("webhook.create", context, id, ["url": .string(body.url), "events": .array(events.map { .string($0) })]), in: tx)
            return try await find(id, context, in: tx)
        }
        var answer = endpoint
        answer.secret = secret
        return EditedResponse(status: .created, response: answer)
    }

    func audit(_ action: String, _ context: AuthenticatedContext, _ id: UUID, _ after: JSONValue? = nil) -> AuditEvent {
        var actorKey: UUID?
        if case .apiKey(let key) = context.principal.credential { actorKey = key }
        return AuditEvent(
            action: action, tenantID: context.principal.tenantID, actorUserID: context.principal.userID, actorAPIKeyID: actorKey,
            targetType: "webhook", targetID: id.uuidString.lowercased(), clientIP: context.clientAddress?.ipAddress,
            requestID: context.requestID, after: after)
    }

    func get(_ context: AuthenticatedContext) async throws -> WebhookEndpoint {
        let id = try endpointID(context)
        return try await database.withTenant(context.tenant) { tx in try await find(id, context, in: tx) }
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> WebhookEndpoint {
        let id = try endpointID(context)
        let body = try await request.decode(as: UpdateEndpoint.self, context: context)
        if let url = body.url { try await checkTarget(url) }
        let events = try Self.checkEvents(body.events ?? body.eventTypes)
        if let description = body.description, description.count > 1000 { throw APIError.validation(["description": "must be at most 1000 characters"]) }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            try await tx.query(
                """
                UPDATE webhook_endpoints SET
                    url = coalesce(\(body.url), url), event_types = coalesce(\(events)::text[], event_types),
                    description = coalesce(\(body.description), description), active = coalesce(\(body.active), active),
                    consecutive_failures = CASE WHEN \(body.active) IS TRUE AND NOT active THEN 0 ELSE consecutive_failures END,
                    first_failure_at = CASE WHEN \(body.active) IS TRUE AND NOT active THEN NULL ELSE first_failure_at END,
                    disabled_at = CASE WHEN \(body.active) IS TRUE THEN NULL WHEN \(body.active) IS FALSE THEN coalesce(disabled_at, now()) ELSE disabled_at END,
                    disabled_reason = CASE WHEN \(body.active) IS TRUE THEN NULL WHEN \(body.active) IS FALSE AND active THEN 'disabled by a user' ELSE disabled_reason END,
                    updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(id)
                """)
            try await AuditLog.append(audit("webhook.update", context, id), in: tx)
            return try await find(id, context, in: tx)
        }
    }

    func delete(_ context: AuthenticatedContext) async throws -> Response {
        let id = try endpointID(context)
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            try await tx.query("UPDATE webhook_endpoints SET deleted_at = now(), active = false, updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id)")
            try await tx.query(
                """
                UPDATE webhook_deliveries SET status = 'cancelled', last_error = 'the endpoint was deleted', next_attempt_at = NULL, updated_at = now()
                WHERE tenant_id = \(tenantID) AND endpoint_id = \(id) AND status = 'pending'
                """)
            try await AuditLog.append(audit("webhook.delete", context, id), in: tx)
        }
        return Response(status: .noContent)
    }

    func deliveries(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<WebhookDelivery> {
        let id = try endpointID(context)
        let page = try PageRequest(request: request)
        let status = request.uri.queryParameters["status"].map(String.init)
        if let status, !["pending", "succeeded", "failed", "cancelled"].contains(status) {
            throw APIError.validation(["status": "must be pending, succeeded, failed or cancelled"])
        }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            let total = try await tx.first(
                "SELECT count(*)::int FROM webhook_deliveries WHERE tenant_id = \(tenantID) AND endpoint_id = \(id) AND (\(status)::text IS NULL OR status = \(status))",
                as: Int.self) ?? 0
            let rows = try await tx.all(
                """
                SELECT \(unescaped: WebhookStore.deliveryColumns) FROM webhook_deliveries
                WHERE tenant_id = \(tenantID) AND endpoint_id = \(id) AND (\(status)::text IS NULL OR status = \(status))
                ORDER BY id DESC LIMIT \(page.limit) OFFSET \(page.offset)
                """, as: WebhookStore.DeliveryRow.self)
            return Page(items: rows.map(WebhookStore.delivery), total: total, request: page)
        }
    }

    func findDelivery(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> WebhookDelivery {
        guard let row = try await tx.first(
            "SELECT \(unescaped: WebhookStore.deliveryColumns) FROM webhook_deliveries WHERE tenant_id = \(tenantID) AND id = \(id)",
            as: WebhookStore.DeliveryRow.self)
        else { throw APIError.notFound("Delivery", code: "DELIVERY_NOT_FOUND") }
        return WebhookStore.delivery(row)
    }

    func test(_ context: AuthenticatedContext) async throws -> EditedResponse<WebhookDelivery> {
        let id = try endpointID(context)
        let tenantID = context.principal.tenantID
        let attempts = settings.schedule.count
        let delivery = try await database.withTenant(context.tenant) { tx in
            let endpoint = try await find(id, context, in: tx)
            guard endpoint.active else { throw APIError.conflict("The endpoint is disabled", code: "ENDPOINT_DISABLED") }
            let messageID = UUID.v7()
            let payload = try WebhookStore.payload(
                type: "webhook.test", at: Date(),
                data: ["webhook_id": .string(id.uuidString.lowercased()), "message": "A test message from the platform"])
            guard let deliveryID = try await WebhookStore.enqueueDelivery(
                tenantID: tenantID, endpointID: id, messageID: messageID, eventType: "webhook.test", payload: payload, attempts: attempts, in: tx)
            else { throw APIError.internalError }
            return try await findDelivery(deliveryID, tenantID: tenantID, in: tx)
        }
        return EditedResponse(status: .accepted, response: delivery)
    }

    func rotate(_ context: AuthenticatedContext) async throws -> WebhookEndpoint {
        let id = try endpointID(context)
        let tenantID = context.principal.tenantID
        let secret = WebhookSignature.newSecret()
        let overlap = settings.secretOverlap
        var endpoint = try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            try await tx.query(
                """
                UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = now() + make_interval(secs => \(overlap)),
                       secret = \(secret), updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(id)
                """)
            try await AuditLog.append(audit("webhook.rotate_secret", context, id), in: tx)
            return try await find(id, context, in: tx)
        }
        endpoint.secret = secret
        return endpoint
    }

    func redeliver(_ context: AuthenticatedContext) async throws -> EditedResponse<WebhookDelivery> {
        let id = try context.pathUUID(notFound: "Delivery", code: "DELIVERY_NOT_FOUND")
        let tenantID = context.principal.tenantID
        let attempts = settings.schedule.count
        let delivery = try await database.withTenant(context.tenant) { tx in
            let current = try await findDelivery(id, tenantID: tenantID, in: tx)
            guard current.status != "pending" else {
                throw APIError(.conflict, code: "DELIVERY_PENDING", message: "The delivery is still being attempted", details: ["status": "pending"])
            }
            let endpoint = try await find(current.endpointId, context, in: tx)
            guard endpoint.active else { throw APIError.conflict("The endpoint is disabled; enable it first", code: "ENDPOINT_DISABLED") }
            try await tx.query(
                """
                UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), succeeded_at = NULL, updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(id)
                """)
            try await WebhookStore.queueAttempts(tenantID: tenantID, deliveryID: id, attempts: attempts, in: tx)
            try await AuditLog.append(audit("webhook.redeliver", context, current.endpointId, ["delivery_id": .string(id.uuidString.lowercased())]), in: tx)
            return try await findDelivery(id, tenantID: tenantID, in: tx)
        }
        return EditedResponse(status: .accepted, response: delivery)
    }
}
