import Foundation
import Logging
import PlatformDatabase
import PlatformSupport
import ServiceLifecycle

/// The outbox relay: events logged (in the transactions of the changes that caused them) and
/// not yet dispatched are fanned out to the tenant's matching, active endpoints as deliveries
/// on the task engine, then stamped. Runs in every `serve` and `worker`; `SKIP LOCKED` keeps
/// two relays off the same events, and a delivery per (endpoint, event) is unique, so a crash
/// between fan-out and stamp cannot deliver twice.
public final class WebhookRelay: Service {
    let database: Database
    let bus: EventBus?
    let attempts: Int
    let pollInterval: Duration
    let logger: Logger

    public init(database: Database, bus: EventBus?, attempts: Int, pollInterval: Duration = .seconds(1), logger: Logger) {
        self.database = database
        self.bus = bus
        self.attempts = attempts
        self.pollInterval = pollInterval
        self.logger = logger
    }

    public func run() async throws {
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let ticker = Task {
            while !Task.isCancelled {
                wake.yield()
                try? await Task.sleep(for: pollInterval)
            }
        }
        let listener = Task { [bus] in
            guard let bus else { return }
            let subscription = bus.subscribe(tenantID: nil)
            for await event in subscription.events where event.tenantId != nil { wake.yield() }
        }
        defer {
            ticker.cancel()
            listener.cancel()
        }
        await withGracefulShutdownHandler {
            for await _ in wakeups {
                do {
                    while try await relayBatch() == Self.batchSize {}
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("webhook relay failed: \(String(reflecting: error))")
                }
            }
        } onGracefulShutdown: {
            wake.finish()
        }
    }

    static let batchSize = 200

    /// Dispatches one batch; returns how many events it took.
    @discardableResult
    public func relayBatch() async throws -> Int {
        try await database.withPlatformScope { tx in
            let rows = try await tx.all(
                """
                WITH batch AS (
                    SELECT tenant_id, id FROM event_log WHERE dispatched_at IS NULL ORDER BY id LIMIT \(Self.batchSize) FOR UPDATE SKIP LOCKED
                ), stamped AS (
                    UPDATE event_log l SET dispatched_at = now() FROM batch WHERE l.tenant_id = batch.tenant_id AND l.id = batch.id
                    RETURNING l.tenant_id, l.id, l.type, l.data, l.occurred_at
                )
                SELECT s.tenant_id, s.id, s.type, s.data::text, s.occurred_at, w.id, w.event_types,
                       (SELECT count(*) FROM stamped)::int
                FROM stamped s LEFT JOIN webhook_endpoints w
                  ON w.tenant_id = s.tenant_id AND w.active AND w.deleted_at IS NULL
                 AND EXISTS (SELECT 1 FROM unnest(w.event_types) p
                             WHERE p = '*' OR p = s.type OR (right(p, 2) = '.*' AND starts_with(s.type, left(p, -1))))
                ORDER BY s.id
                """, as: (UUID, UUID, String, String, Date, UUID?, [String]?, Int).self)
            var dispatched = 0
            for row in rows {
                dispatched = row.7
                guard let endpointID = row.5 else { continue }
                let data = try PlatformJSON.makeDecoder().decode(JSONValue.self, from: Data(row.3.utf8))
                let payload = try WebhookStore.payload(type: row.2, at: row.4, data: data)
                try await WebhookStore.enqueueDelivery(
                    tenantID: row.0, endpointID: endpointID, messageID: row.1, eventType: row.2, payload: payload, attempts: attempts, in: tx)
            }
            return dispatched
        }
    }
}
