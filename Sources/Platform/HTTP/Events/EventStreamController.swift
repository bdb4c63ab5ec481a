import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PlatformDatabase
import PlatformSupport
import ServiceLifecycle

/// `GET /api/v1/events/stream`: Server-Sent Events of the caller's tenant (all tenants for a
/// platform administrator with `?all_tenants=true`), with a heartbeat comment every 15 s.
public struct EventStreamController: Sendable {
    let bus: EventBus
    let database: Database
    let heartbeat: Duration

    public init(bus: EventBus, database: Database, heartbeat: Duration = .seconds(15)) {
        self.bus = bus
        self.database = database
        self.heartbeat = heartbeat
    }

    struct StreamQuery: QueryInput {
        var types: String?
        var allTenants: Bool?
        var lastEventId: UUID?
        var jobId: UUID?
        /// Read by authentication (for EventSource clients that cannot send headers).
        var token: String?

        static let parameterDocs: [String: QueryParameterDoc] = [
            "token": .init("An access token or API key, for clients that cannot send an Authorization header (EventSource)", maxLength: 4096),
            "job_id": .init("Only events about this subject (a VideoAnnotator job, a task)"),
            "types": .init("Comma-separated type prefixes, e.g. `auth.,role.`"),
            "all_tenants": .init("Platform administrators only", default: false),
            "last_event_id": .init("Resume after this event (as the Last-Event-ID header does)"),
        ]
    }

    public func register(in registry: RouteRegistry) {
        registry.group("/api/v1/events", tag: "events").get(
            "/stream", "Server-Sent Events: the tenant's platform events as they happen, with heartbeats", .permission("system:event:stream"),
            description: "Each event is `id:`, `event:` (its type) and `data:` (JSON). The stream stays open until the client leaves.",
            query: StreamQuery.self,
            parameters: [
                RouteParameter("Last-Event-ID", in: .header, schema: ["type": "string"], description: "Resume after this event: logged events of the tenant since then are sent first"),
            ],
            responses: [.text(contentType: "text/event-stream", "The event stream"), .error(.forbidden, "all_tenants without being a platform administrator")],
            use: stream)
    }

    func stream(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let query = try request.query(StreamQuery.self)
        let prefixes = query.types.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } ?? []
        if prefixes.count > 20 || prefixes.contains(where: { $0.count > 100 }) {
            throw APIError.validation(["types": "at most 20 prefixes of up to 100 characters"])
        }
        let allTenants = query.allTenants ?? false
        if allTenants && !context.principal.isPlatformAdmin {
            throw APIError(.forbidden, code: "FORBIDDEN", message: "Only platform administrators can follow every tenant")
        }
        let subscription = bus.subscribe(tenantID: allTenants ? nil : context.principal.tenantID, subjectID: query.jobId, typePrefixes: prefixes)
        var stream = EventStreamResponse()
        stream.heartbeat = heartbeat
        if let last = EventStreamResponse.lastEventID(request), !allTenants {
            do {
                stream.replayed = try await database.withTenant(context.tenant) { tx in
                    try await EventBus.replay(tenantID: context.principal.tenantID, after: last, subjectID: query.jobId, typePrefixes: prefixes, in: tx)
                }
            } catch {
                bus.unsubscribe(subscription.id)
                throw error
            }
        }
        return stream.response(bus: bus, subscription: subscription)
    }
}
