import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// Webhooks integrators post in (`X-Webhook-Token`), and the tokens that let them.
struct InboundWebhookController: Sendable {
    let database: Database

    struct InboundEvent: Codable, Sendable {
        var event: String
        var timestamp: Date?
        var data: JSONValue?
        /// The sender's event id; a repeat is acknowledged and not recorded again.
        var id: String?
    }

    struct Acknowledgement: Codable, Sendable, ResponseEncodable {
        var acknowledged: Bool
        var duplicate: Bool
        var eventId: String
    }

    struct CreateToken: Codable, Sendable {
        var name: String
    }

    struct TokenView: Codable, Sendable, ResponseEncodable {
        var id: UUID
        var name: String
        var prefix: String
        var lastUsedAt: Date?
        var createdAt: Date
        /// Only in the answer to creation.
        var token: String?
    }

    static let tokenHeader = HTTPField.Name("X-Webhook-Token")!

    func register(in registry: RouteRegistry) {
        registry.addPublic(
            RouteDeclaration(
                .post, "/api/v1/webhooks/inbound", summary: "Receive an integrator's event (authenticated by X-Webhook-Token)",
                description: "Body `{event, timestamp, data, id?}`. The event id is `id`, else the `webhook-id` header, else the SHA-256 of the body; a repeated id is acknowledged without being recorded twice. Recorded events are published as `inbound.<event>`.",
                tag: "webhooks", access: .public,
                parameters: [RouteParameter("X-Webhook-Token", in: .header, schema: ["type": "string"], required: true)],
                body: .type(InboundEvent.self),
                responses: [.json(.ok, Acknowledgement.self), .error(.unauthorized, "No or an unknown token")])
        ) { request, context in try await self.receive(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/webhooks/inbound-tokens", summary: "The tenant's inbound webhook tokens", tag: "webhooks",
                access: .permission("webhook:inbound:manage"), parameters: RouteParameter.paging, responses: [.json(.ok, Page<TokenView>.self)])
        ) { request, context in try await self.listTokens(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/webhooks/inbound-tokens", summary: "A new inbound token (shown once; only its hash is kept)", tag: "webhooks",
                access: .permission("webhook:inbound:manage"), body: .type(CreateToken.self), responses: [.json(.created, TokenView.self)])
        ) { request, context in try await self.createToken(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .delete, "/api/v1/webhooks/inbound-tokens/{id}", summary: "Revoke an inbound token", tag: "webhooks",
                access: .permission("webhook:inbound:manage"), parameters: [.path("id", ["type": "string", "format": "uuid"])],
                responses: [.noContent("Revoked")])
        ) { _, context in try await self.revokeToken(context) }
    }

    static func hash(_ token: String) -> ByteBuffer {
        ByteBuffer(bytes: Array(SHA256.hash(data: Data(token.utf8))))
    }

    func receive(_ request: Request, _ context: AppRequestContext) async throws -> Acknowledgement {
        guard let token = request.headers[Self.tokenHeader], !token.isEmpty, token.count <= 200 else {
            throw APIError(.unauthorized, code: "WEBHOOK_TOKEN_REQUIRED", message: "Send the tenant's inbound token in X-Webhook-Token")
        }
        let digest = Self.hash(token)
        guard let (tenantID, tokenID) = try await database.withPlatformScope({ tx in
            try await tx.first(
                """
                UPDATE inbound_webhook_tokens SET last_used_at = now()
                WHERE token_hash = \(digest) AND revoked_at IS NULL RETURNING tenant_id, id
                """, as: (UUID, UUID).self)
        }) else {
            throw APIError(.unauthorized, code: "INVALID_WEBHOOK_TOKEN", message: "The webhook token is not valid")
        }
        if let contentType = request.headers[.contentType], !contentType.lowercased().contains("json") {
            throw APIError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", message: "Expected a JSON body")
        }
        let raw: ByteBuffer
        do {
            raw = try await request.body.collect(upTo: PlatformRequestDecoder.maximumBodySize)
        } catch {
            throw APIError(.contentTooLarge, code: "PAYLOAD_TOO_LARGE", message: "The request body is larger than \(PlatformRequestDecoder.maximumBodySize) bytes")
        }
        let bytes = Data(raw.readableBytesView)
        let body = try PlatformRequestDecoder.decode(InboundEvent.self, from: bytes)
        var problems: [String: String] = [:]
        if body.event.isEmpty || body.event.count > 200 || body.event.wholeMatch(of: /[A-Za-z0-9_.:-]+/) == nil {
            problems["event"] = "must be 1-200 letters, digits or _ . : -"
        }
        if let id = body.id, id.isEmpty || id.count > 200 { problems["id"] = "must be 1-200 characters" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let eventID = body.id ?? request.headers[HTTPField.Name("webhook-id")!].flatMap { $0.isEmpty || $0.count > 200 ? nil : $0 }
            ?? SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let data = body.data ?? .null
        let recorded = try await database.withTenant(TenantScope(tenantID: tenantID, dataScope: .all)) { tx -> Bool in
            let id = UUID.v7()
            guard try await tx.first(
                """
                INSERT INTO inbound_webhook_events (tenant_id, id, event_id, event, sent_at, data, token_id)
                VALUES (\(tenantID), \(id), \(eventID), \(body.event), \(body.timestamp), \(try PlatformJSON.text(data))::jsonb, \(tokenID))
                ON CONFLICT (tenant_id, event_id) DO NOTHING RETURNING id
                """, as: UUID.self) != nil
            else { return false }
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
        let page = try PageRequest(request: request)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let total = try await tx.first("SELECT count(*)::int FROM inbound_webhook_tokens WHERE tenant_id = \(tenantID) AND revoked_at IS NULL", as: Int.self) ?? 0
            let rows = try await tx.all(
                """
                SELECT id, name, prefix, last_used_at, created_at FROM inbound_webhook_tokens
                WHERE tenant_id = \(tenantID) AND revoked_at IS NULL ORDER BY id DESC LIMIT \(page.limit) OFFSET \(page.offset)
                """, as: (UUID, String, String, Date?, Date).self)
            return Page(items: rows.map { TokenView(id: $0.0, name: $0.1, prefix: $0.2, lastUsedAt: $0.3, createdAt: $0.4) }, total: total, request: page)
        }
    }

    func createToken(_ request: Request, _ context: AuthenticatedContext) async throws -> EditedResponse<TokenView> {
        let body = try await request.decode(as: CreateToken.self, context: context)
        guard (1...200).contains(body.name.count) else { throw APIError.validation(["name": "must be 1-200 characters"]) }
        let random = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let token = "iwt_" + random
        let id = UUID.v7()
        let tenantID = context.principal.tenantID
        let created = try await database.withTenant(context.tenant) { tx in
            try await tx.first(
                """
                INSERT INTO inbound_webhook_tokens (tenant_id, id, name, prefix, token_hash, created_by)
                VALUES (\(tenantID), \(id), \(body.name), \(String(token.prefix(10))), \(Self.hash(token)), \(context.principal.userID))
                RETURNING created_at
                """, as: Date.self)
        }
        return EditedResponse(
            status: .created,
            response: TokenView(id: id, name: body.name, prefix: String(token.prefix(10)), lastUsedAt: nil, createdAt: created ?? Date(), token: token))
    }

    func revokeToken(_ context: AuthenticatedContext) async throws -> Response {
        let id = try context.pathUUID(notFound: "Token", code: "TOKEN_NOT_FOUND")
        let tenantID = context.principal.tenantID
        let revoked = try await database.withTenant(context.tenant) { tx in
            try await tx.execute(
                "UPDATE inbound_webhook_tokens SET revoked_at = now() WHERE tenant_id = \(tenantID) AND id = \(id) AND revoked_at IS NULL RETURNING 1")
        }
        guard revoked == 1 else { throw APIError.notFound("Token", code: "TOKEN_NOT_FOUND") }
        return Response(status: .noContent)
    }
}
