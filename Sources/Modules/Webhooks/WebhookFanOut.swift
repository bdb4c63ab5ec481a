import Foundation
import PlatformDatabase
import PlatformSupport

/// The outbox consumer of webhooks: each event becomes a delivery (on the task engine) to every
/// active endpoint of its tenant whose patterns take it. A delivery is unique per (endpoint,
/// event), so a batch offered twice cannot deliver twice.
struct WebhookFanOut: EventConsumer {
    let attempts: Int
    let outbox = WebhookOutboxStore()
    let deliveries = WebhookStore()

    func consume(_ events: [LoggedEvent], in tx: DatabaseTransaction) async throws {
        let byID = Dictionary(events.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for target in try await outbox.endpoints(for: events, in: tx) {
            guard let event = byID[target.eventId] else { continue }
            let payload = try WebhookMessage.payload(type: event.type, at: event.occurredAt, data: event.data)
            try await deliveries.enqueueDelivery(
                tenantID: event.tenantId, endpointID: target.endpointId, messageID: event.id, eventType: event.type, payload: payload, attempts: attempts,
                in: tx)
        }
    }
}
