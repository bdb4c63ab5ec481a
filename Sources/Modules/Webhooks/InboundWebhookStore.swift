import Foundation
import NIOCore
import PlatformDatabase
import PlatformSupport

/// Every statement on `inbound_webhook_tokens` and `inbound_webhook_events`.
struct InboundWebhookStore: Sendable {
    /// Whose a token is.
    struct TokenOwner: Decodable, Sendable {
        var tenantId: UUID
        var id: UUID
    }

    /// The live token with this hash, stamped as used now; nil when there is none.
    /// Runs in platform scope: the token is all the request has to go on.
    func useToken(hash: ByteBuffer, in tx: DatabaseTransaction) async throws -> TokenOwner? {
        try await tx.row(
            """
            UPDATE inbound_webhook_tokens SET last_used_at = now()
            WHERE token_hash = \(hash) AND revoked_at IS NULL RETURNING tenant_id, id
            """, decoding: TokenOwner.self)
    }

    /// Records an event once per sender's id; nil when the id was seen before.
    func recordEvent(
        _ event: InboundEvent, eventID: String, data: JSONValue, tenantID: UUID, tokenID: UUID, in tx: DatabaseTransaction
    ) async throws -> UUID? {
        try await tx.value(
            """
            INSERT INTO inbound_webhook_events (tenant_id, id, event_id, event, sent_at, data, token_id)
            VALUES (\(tenantID), \(UUID.v7()), \(eventID), \(event.event), \(event.timestamp), \(try PlatformJSON.text(data))::jsonb, \(tokenID))
            ON CONFLICT (tenant_id, event_id) DO NOTHING RETURNING id
            """, as: UUID.self)
    }

    static func liveTokens(_ tenantID: UUID) -> SQL {
        "tenant_id = \(tenantID) AND revoked_at IS NULL"
    }

    func tokens(tenantID: UUID, page: PageRequest, in tx: DatabaseTransaction) async throws -> [TokenView] {
        try await tx.rows(
            """
            SELECT id, name, prefix, last_used_at, created_at FROM inbound_webhook_tokens
            WHERE \(Self.liveTokens(tenantID)) ORDER BY id DESC LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: TokenView.self)
    }

    func countTokens(tenantID: UUID, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM inbound_webhook_tokens WHERE \(Self.liveTokens(tenantID))", as: Int.self) ?? 0
    }

    /// What the integrations report shows of the tenant's tokens.
    struct TokenUsage: Decodable, Sendable {
        var tokens: Int
        var firstCreatedAt: Date?
    }

    func tokenUsage(tenantID: UUID, in tx: DatabaseTransaction) async throws -> TokenUsage? {
        try await tx.row(
            "SELECT count(*)::int AS tokens, min(created_at) AS first_created_at FROM inbound_webhook_tokens WHERE \(Self.liveTokens(tenantID))",
            decoding: TokenUsage.self)
    }

    /// Stores a new token's hash; answers when it was created.
    func insertToken(
        id: UUID, name: String, prefix: String, hash: ByteBuffer, tenantID: UUID, createdBy: UUID, in tx: DatabaseTransaction
    ) async throws -> Date? {
        try await tx.value(
            """
            INSERT INTO inbound_webhook_tokens (tenant_id, id, name, prefix, token_hash, created_by)
            VALUES (\(tenantID), \(id), \(name), \(prefix), \(hash), \(createdBy))
            RETURNING created_at
            """, as: Date.self)
    }

    /// Whether a live token was revoked.
    func revokeToken(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.run(
            "UPDATE inbound_webhook_tokens SET revoked_at = now() WHERE tenant_id = \(tenantID) AND id = \(id) AND revoked_at IS NULL RETURNING 1") == 1
    }
}
