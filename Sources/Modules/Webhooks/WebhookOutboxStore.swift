import Foundation
import PlatformDatabase
import PlatformSupport

/// The relay's read of the event log: a batch of undispatched events, stamped as dispatched in
/// the same statement, each paired with every active endpoint whose patterns take it.
struct WebhookOutboxStore: Sendable {
    /// One (event, endpoint) pair; an event no endpoint takes comes once with `endpointId` nil.
    struct Dispatch: Decodable, Sendable {
        var tenantId: UUID
        var eventId: UUID
        var type: String
        var data: JSONValue
        var occurredAt: Date
        var endpointId: UUID?
        /// How many events the batch stamped (the same on every row).
        var stamped: Int
    }

    /// `SKIP LOCKED` keeps two relays off the same events.
    func claimBatch(limit: Int, in tx: DatabaseTransaction) async throws -> [Dispatch] {
        try await tx.rows(
            """
            WITH batch AS (
                SELECT tenant_id, id FROM event_log WHERE dispatched_at IS NULL ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            ), stamped AS (
                UPDATE event_log l SET dispatched_at = now() FROM batch WHERE l.tenant_id = batch.tenant_id AND l.id = batch.id
                RETURNING l.tenant_id, l.id, l.type, l.data, l.occurred_at
            )
            SELECT s.tenant_id, s.id AS event_id, s.type, s.data, s.occurred_at, w.id AS endpoint_id,
                   (SELECT count(*) FROM stamped)::int AS stamped
            FROM stamped s LEFT JOIN webhook_endpoints w
              ON w.tenant_id = s.tenant_id AND w.active AND w.deleted_at IS NULL
             AND EXISTS (SELECT 1 FROM unnest(w.event_types) p
                         WHERE p = '*' OR p = s.type OR (right(p, 2) = '.*' AND starts_with(s.type, left(p, -1))))
            ORDER BY s.id
            """, decoding: Dispatch.self)
    }
}
