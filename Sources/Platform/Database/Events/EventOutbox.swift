import Foundation
import Logging
import PlatformSupport
import ServiceLifecycle

/// A tenant event as the outbox hands it to its consumers.
public struct LoggedEvent: Decodable, Sendable, Equatable {
    public var tenantId: UUID
    public var id: UUID
    public var type: String
    public var subjectId: UUID?
    public var data: JSONValue
    public var occurredAt: Date
}

/// Something that acts on committed tenant events (webhook fan-out, workflow triggers). It runs
/// in the transaction that stamps the batch as dispatched, so whatever it writes happens exactly
/// once per event however many instances run the outbox. Modules contribute consumers at
/// assembly; they never subscribe to each other.
public protocol EventConsumer: Sendable {
    /// Handles a batch, in the order the events were logged. Throwing rolls the batch back for
    /// every consumer; it is offered again on the next pass.
    func consume(_ events: [LoggedEvent], in tx: DatabaseTransaction) async throws
}

/// The outbox relay: events logged in the transactions of the changes that caused them, and not
/// yet dispatched, are handed to every consumer and stamped, in one transaction per batch.
/// Runs in every `serve` and `worker`; `SKIP LOCKED` keeps two instances off the same events.
public final class EventOutbox: Service {
    public static let batchSize = 200

    let database: Database
    let bus: EventBus?
    let consumers: [any EventConsumer]
    let pollInterval: Duration
    let logger: Logger
    let store = EventOutboxStore()

    public init(database: Database, bus: EventBus?, consumers: [any EventConsumer], pollInterval: Duration = .seconds(1), logger: Logger) {
        self.database = database
        self.bus = bus
        self.consumers = consumers
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
        // A committed tenant event wakes the relay at once; the ticker is the fallback.
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
                    while try await dispatchBatch() == Self.batchSize {}
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("event outbox failed: \(String(reflecting: error))")
                }
            }
        } onGracefulShutdown: {
            wake.finish()
        }
    }

    /// Dispatches one batch; returns how many events it took.
    @discardableResult
    public func dispatchBatch() async throws -> Int {
        try await database.withPlatformScope { tx in
            let events = try await store.claimBatch(limit: Self.batchSize, in: tx)
            guard !events.isEmpty else { return 0 }
            for consumer in consumers { try await consumer.consume(events, in: tx) }
            return events.count
        }
    }
}

/// The outbox's statement on `event_log`.
struct EventOutboxStore: Sendable {
    /// A batch of undispatched events, stamped in the same statement.
    func claimBatch(limit: Int, in tx: DatabaseTransaction) async throws -> [LoggedEvent] {
        try await tx.rows(
            """
            WITH batch AS (
                SELECT tenant_id, id FROM event_log WHERE dispatched_at IS NULL ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            )
            UPDATE event_log l SET dispatched_at = now() FROM batch WHERE l.tenant_id = batch.tenant_id AND l.id = batch.id
            RETURNING l.tenant_id, l.id, l.type, l.subject_id, l.data, l.occurred_at
            """, decoding: LoggedEvent.self
        ).sorted { $0.id.uuidString < $1.id.uuidString }
    }
}
