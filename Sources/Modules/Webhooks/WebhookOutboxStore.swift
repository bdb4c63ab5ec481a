import Foundation
import PlatformDatabase
import PlatformSupport

/// Which endpoints take which events of an outbox batch.
struct WebhookOutboxStore: Sendable {
    struct Target: Decodable, Sendable {
        var eventId: UUID
        var endpointId: UUID
    }

    /// Every (event, active endpoint of its tenant whose patterns take it) pair, in event order.
    func endpoints(for events: [LoggedEvent], in tx: DatabaseTransaction) async throws -> [Target] {
        try await tx.rows(
            """
            SELECT s.event_id, w.id AS endpoint_id
            FROM unnest(\(events.map(\.tenantId))::uuid[], \(events.map(\.id))::uuid[], \(events.map(\.type))::text[]) AS s(tenant_id, event_id, type)
            JOIN webhook_endpoints w
              ON w.tenant_id = s.tenant_id AND w.active AND w.deleted_at IS NULL
             AND EXISTS (SELECT 1 FROM unnest(w.event_types) p
                         WHERE p = '*' OR p = s.type OR (right(p, 2) = '.*' AND starts_with(s.type, left(p, -1))))
            ORDER BY s.event_id, w.id
            """, decoding: Target.self)
    }
}
