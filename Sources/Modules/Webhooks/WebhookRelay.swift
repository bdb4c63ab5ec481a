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
    let outbox = WebhookOutboxStore()
    let deliveries = WebhookStore()

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
            var dispatched = 0
            for row in try await outbox.claimBatch(limit: Self.batchSize, in: tx) {
                dispatched = row.stamped
                guard let endpointID = row.endpointId else { continue }
                let payload = try WebhookMessage.payload(type: row.type, at: row.occurredAt, data: row.data)
                try await deliveries.enqueueDelivery(
                    tenantID: row.tenantId, endpointID: endpointID, messageID: row.eventId, eventType: row.type, payload: payload, attempts: attempts, in: tx)
            }
            return dispatched
        }
    }
}
