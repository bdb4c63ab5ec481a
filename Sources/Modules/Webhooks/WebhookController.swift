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
    let store = WebhookStore()

    /// `settings` is the older path of endpoint creation, kept for the clients that use it.
    func register(in routes: RouteGroup, settings: RouteGroup) {
        routes.get("", "The tenant's webhook endpoints", .permission("webhook:endpoint:list"), query: PagingQuery.self, use: list)
        for group in [routes, settings] {
            group.post(
                "", "Subscribe an endpoint to events (`task.*`, `content.published`, `*`)", .permission("webhook:endpoint:create"),
                description: "Answers the signing secret once (`whsec_...`). Targets on loopback, private, link-local or metadata addresses are refused unless WEBHOOK_ALLOWED_HOSTS names them.",
                body: CreateEndpoint.self, use: create)
        }
        routes.get("/{id}", "One endpoint", .permission("webhook:endpoint:read"), parameters: [.uuid("id")], use: get)
        routes.put("/{id}", "Change an endpoint", .permission("webhook:endpoint:update"), parameters: [.uuid("id")], body: UpdateEndpoint.self, use: update)
        routes.delete(
            "/{id}", "Delete an endpoint (pending deliveries are cancelled)", .permission("webhook:endpoint:delete"), parameters: [.uuid("id")],
            responses: [.noContent("Deleted")], use: delete)
        routes.get(
            "/{id}/deliveries", "The endpoint's deliveries, newest first", .permission("webhook:delivery:list"), query: DeliveryListQuery.self,
            parameters: [.uuid("id")], use: deliveries)
        routes.post(
            "/{id}/test", "Send a `webhook.test` message to this endpoint", .permission("webhook:endpoint:test"), parameters: [.uuid("id")],
            responses: [.error(.conflict, "The endpoint is disabled")], use: test)
        routes.post(
            "/{id}/rotate-secret", "A new signing secret; the previous one keeps signing alongside it for the overlap period",
            .permission("webhook:endpoint:rotate"), parameters: [.uuid("id")], use: rotate)
        routes.post(
            "/deliveries/{id}/redeliver", "Deliver a finished delivery again (same webhook-id)", .permission("webhook:delivery:redeliver"),
            parameters: [.uuid("id")], responses: [.error(.conflict, "Still pending, or the endpoint is disabled")], use: redeliver)
    }

    func find(_ id: UUID, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> WebhookEndpoint {
        guard let endpoint = try await store.endpoint(id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.webhookNotFound }
        return endpoint
    }

    func findDelivery(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> WebhookDelivery {
        guard let delivery = try await store.delivery(id, tenantID: tenantID, in: tx) else { throw APIError.deliveryNotFound }
        return delivery
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
        if let bad = events.first(where: { !WebhookMessage.isValidPattern($0) }) {
            throw APIError.validation(["events": "'\(bad.prefix(100))' is not an event type, `prefix.*` or `*`"])
        }
        return Array(Set(events)).sorted()
    }

    func audit(_ action: String, _ context: AuthenticatedContext, _ id: UUID, _ after: JSONValue? = nil) -> AuditEvent {
        var actorKey: UUID?
        if case .apiKey(let key) = context.principal.credential { actorKey = key }
        return AuditEvent(
            action: action, tenantID: context.principal.tenantID, actorUserID: context.principal.userID, actorAPIKeyID: actorKey,
            targetType: "webhook", targetID: id.uuidString.lowercased(), clientIP: context.clientAddress?.ipAddress,
            requestID: context.requestID, after: after)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<WebhookEndpoint> {
        let page = try request.query(PagingQuery.self).paging
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.countEndpoints(tenantID: tenantID, in: tx)
            let items = try await store.endpoints(tenantID: tenantID, page: page, in: tx)
            return Page(items: items, total: total, request: page)
        }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<WebhookEndpoint> {
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
        var endpoint = try await database.withTenant(context.tenant) { tx in
            try await store.insertEndpoint(
                WebhookStore.NewEndpoint(url: body.url, description: body.description, events: events, active: body.active ?? true, secret: secret),
                id: id, tenantID: tenantID, ownerID: context.principal.userID, in: tx)
            try await AuditLog.append(audit("webhook.create", context, id, ["url": .string(body.url), "events": .array(events.map { .string($0) })]), in: tx)
            return try await find(id, context, in: tx)
        }
        endpoint.secret = secret
        return Created(endpoint)
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> WebhookEndpoint {
        let id = try context.pathUUID("id", or: .webhookNotFound)
        return try await database.withTenant(context.tenant) { tx in try await find(id, context, in: tx) }
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> WebhookEndpoint {
        let id = try context.pathUUID("id", or: .webhookNotFound)
        let body = try await request.decode(as: UpdateEndpoint.self, context: context)
        if let url = body.url { try await checkTarget(url) }
        let events = try Self.checkEvents(body.events ?? body.eventTypes)
        if let description = body.description, description.count > 1000 { throw APIError.validation(["description": "must be at most 1000 characters"]) }
        let tenantID = context.principal.tenantID
        let change = EndpointChange(url: body.url, events: events, description: body.description, active: body.active)
        return try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            try await store.updateEndpoint(id, tenantID: tenantID, change, in: tx)
            try await AuditLog.append(audit("webhook.update", context, id), in: tx)
            return try await find(id, context, in: tx)
        }
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .webhookNotFound)
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            try await store.deleteEndpoint(id, tenantID: tenantID, in: tx)
            try await AuditLog.append(audit("webhook.delete", context, id), in: tx)
        }
        return NoContent()
    }

    func deliveries(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<WebhookDelivery> {
        let id = try context.pathUUID("id", or: .webhookNotFound)
        let query = try request.query(DeliveryListQuery.self)
        let filter = DeliveryFilter(tenantID: context.principal.tenantID, endpointID: id, status: query.status)
        return try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            let total = try await store.countDeliveries(filter, in: tx)
            let items = try await store.deliveries(filter, page: query.paging, in: tx)
            return Page(items: items, total: total, request: query.paging)
        }
    }

    func test(_ request: Request, _ context: AuthenticatedContext) async throws -> Accepted<WebhookDelivery> {
        let id = try context.pathUUID("id", or: .webhookNotFound)
        let tenantID = context.principal.tenantID
        let attempts = settings.schedule.count
        let delivery = try await database.withTenant(context.tenant) { tx in
            let endpoint = try await find(id, context, in: tx)
            guard endpoint.active else { throw APIError.endpointDisabled }
            let payload = try WebhookMessage.payload(
                type: "webhook.test", at: Date(),
                data: ["webhook_id": .string(id.uuidString.lowercased()), "message": "A test message from the platform"])
            guard let deliveryID = try await store.enqueueDelivery(
                tenantID: tenantID, endpointID: id, messageID: UUID.v7(), eventType: "webhook.test", payload: payload, attempts: attempts, in: tx)
            else { throw APIError.internalError }
            return try await findDelivery(deliveryID, tenantID: tenantID, in: tx)
        }
        return Accepted(delivery)
    }

    func rotate(_ request: Request, _ context: AuthenticatedContext) async throws -> WebhookEndpoint {
        let id = try context.pathUUID("id", or: .webhookNotFound)
        let tenantID = context.principal.tenantID
        let secret = WebhookSignature.newSecret()
        let overlap = settings.secretOverlap
        var endpoint = try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            try await store.rotateSecret(id, tenantID: tenantID, to: secret, overlap: overlap, in: tx)
            try await AuditLog.append(audit("webhook.rotate_secret", context, id), in: tx)
            return try await find(id, context, in: tx)
        }
        endpoint.secret = secret
        return endpoint
    }

    func redeliver(_ request: Request, _ context: AuthenticatedContext) async throws -> Accepted<WebhookDelivery> {
        let id = try context.pathUUID("id", or: .deliveryNotFound)
        let tenantID = context.principal.tenantID
        let attempts = settings.schedule.count
        let delivery = try await database.withTenant(context.tenant) { tx in
            let current = try await findDelivery(id, tenantID: tenantID, in: tx)
            guard current.status != DeliveryStatus.pending.rawValue else { throw APIError.deliveryPending }
            let endpoint = try await find(current.endpointId, context, in: tx)
            guard endpoint.active else { throw APIError.endpointDisabledEnableFirst }
            try await store.reopenDelivery(id, tenantID: tenantID, in: tx)
            try await store.queueAttempts(tenantID: tenantID, deliveryID: id, attempts: attempts, in: tx)
            try await AuditLog.append(audit("webhook.redeliver", context, current.endpointId, ["delivery_id": .string(id.uuidString.lowercased())]), in: tx)
            return try await findDelivery(id, tenantID: tenantID, in: tx)
        }
        return Accepted(delivery)
    }
}
