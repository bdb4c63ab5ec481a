import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// Webhooks integrators post in (`X-Webhook-Token`), and the tokens that let them.
struct InboundWebhookController: Sendable {
    let database: Database
    let store = InboundWebhookStore()

    static let tokenHeader = HTTPField.Name("X-Webhook-Token")
    static let webhookIDHeader = HTTPField.Name("webhook-id")

    func register(in routes: RouteGroup) {
        routes.post(
            "/inbound", "Receive an integrator's event (authenticated by X-Webhook-Token)", .public,
            description: "Body `{event, timestamp, data, id?}`. The event id is `id`, else the `webhook-id` header, else the SHA-256 of the body; a repeated id is acknowledged without being recorded twice. Recorded events are published as `inbound.<event>`.",
            parameters: [RouteParameter("X-Webhook-Token", in: .header, schema: ["type": "string"], required: true)],
            body: InboundEvent.self, responses: [.error(.unauthorized, "No or an unknown token")], use: receive)
        routes.get("/inbound-tokens", "The tenant's inbound webhook tokens", .permission("webhook:inbound:manage"), query: PagingQuery.self, use: listTokens)
        routes.post(
            "/inbound-tokens", "A new inbound token (shown once; only its hash is kept)", .permission("webhook:inbound:manage"),
            body: CreateToken.self, use: createToken)
        routes.delete(
            "/inbound-tokens/{id}", "Revoke an inbound token", .permission("webhook:inbound:manage"), parameters: [.uuid("id")],
            responses: [.noContent("Revoked")], use: revokeToken)
    }

    static func hash(_ token: String) -> ByteBuffer {
        ByteBuffer(bytes: Array(SHA256.hash(data: Data(token.utf8))))
    }

    func receive(_ request: Request, _ context: AppRequestContext) async throws -> Acknowledgement {
        guard let header = Self.tokenHeader, let token = request.headers[header], !token.isEmpty, token.count <= 200 else {
            throw APIError.webhookTokenRequired
        }
        let digest = Self.hash(token)
        guard let owner = try await database.withPlatformScope({ tx in try await store.useToken(hash: digest, in: tx) }) else {
            throw APIError.invalidWebhookToken
        }
        if let contentType = request.headers[.contentType], !contentType.lowercased().contains("json") { throw APIError.jsonBodyExpected }
        let raw: ByteBuffer
        do {
            raw = try await request.body.collect(upTo: PlatformRequestDecoder.maximumBodySize)
        } catch {
            throw APIError.payloadTooLarge(PlatformRequestDecoder.maximumBodySize)
        }
        let bytes = Data(raw.readableBytesView)
        let body = try PlatformRequestDecoder.decode(InboundEvent.self, from: bytes)
        var problems: [String: String] = [:]
        if body.event.isEmpty || body.event.count > 200 || body.event.wholeMatch(of: /[A-Za-z0-9_.:-]+/) == nil {
            problems["event"] = "must be 1-200 letters, digits or _ . : -"
        }
        if let id = body.id, id.isEmpty || id.count > 200 { problems["id"] = "must be 1-200 characters" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let sentID = Self.webhookIDHeader.flatMap { request.headers[$0] }.flatMap { $0.isEmpty || $0.count > 200 ? nil : $0 }
        let eventID = body.id ?? sentID ?? SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let data = body.data ?? .null
        let tenantID = owner.tenantId
        let recorded = try await database.withTenant(TenantScope(tenantID: tenantID, dataScope: .all)) { tx -> Bool in
            guard let id = try await store.recordEvent(body, eventID: eventID, data: data, tenantID: tenantID, tokenID: owner.id, in: tx) else {
                return false
            }
            try await EventBus.publish(
                PlatformEvent(
                    type: "inbound.\(body.event)", tenantId: tenantID, subjectId: id,
                    data: ["event_id": .string(eventID), "event": .string(body.event),
                           "timestamp": body.timestamp.map { .string(RFC3339.string(from: $0)) } ?? .null, "data": data]),
                in: tx)
            return true
        }
        return Acknowledgement(acknowledged: true, duplicate: !recorded, eventId: eventID)
    }

    func listTokens(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<TokenView> {
        let page = try request.query(PagingQuery.self).paging
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.countTokens(tenantID: tenantID, in: tx)
            let items = try await store.tokens(tenantID: tenantID, page: page, in: tx)
            return Page(items: items, total: total, request: page)
        }
    }

    func createToken(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<TokenView> {
        let body = try await request.decode(as: CreateToken.self, context: context)
        guard (1...200).contains(body.name.count) else { throw APIError.validation(["name": "must be 1-200 characters"]) }
        let random = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let token = "iwt_" + random
        let prefix = String(token.prefix(10))
        let id = UUID.v7()
        let tenantID = context.principal.tenantID
        let created = try await database.withTenant(context.tenant) { tx in
            try await store.insertToken(
                id: id, name: body.name, prefix: prefix, hash: Self.hash(token), tenantID: tenantID, createdBy: context.principal.userID, in: tx)
        }
        return Created(TokenView(id: id, name: body.name, prefix: prefix, lastUsedAt: nil, createdAt: created ?? Date(), token: token))
    }

    func revokeToken(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .tokenNotFound)
        let tenantID = context.principal.tenantID
        let revoked = try await database.withTenant(context.tenant) { tx in try await store.revokeToken(id, tenantID: tenantID, in: tx) }
        guard revoked else { throw APIError.tokenNotFound }
        return NoContent()
    }
}
