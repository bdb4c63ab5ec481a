import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle

/// `GET /api/v1/events/stream`: Server-Sent Events of the caller's tenant (all tenants for a
/// platform administrator with `?all_tenants=true`), with a heartbeat comment every 15 s.
public struct EventStreamController: Sendable {
    let bus: EventBus
    let heartbeat: Duration

    public init(bus: EventBus, heartbeat: Duration = .seconds(15)) {
        self.bus = bus
        self.heartbeat = heartbeat
    }

    public func register(in registry: RouteRegistry) {
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/events/stream",
                summary: "Server-Sent Events: the tenant's platform events as they happen, with heartbeats",
                description: "Each event is `id:`, `event:` (its type) and `data:` (JSON). The stream stays open until the client leaves.",
                tag: "events", access: .permission("system:event:stream"),
                parameters: [
                    .query("types", ["type": "string"], description: "Comma-separated type prefixes, e.g. `auth.,role.`"),
                    .query("all_tenants", ["type": "boolean", "default": false], description: "Platform administrators only"),
                ],
                responses: [.text(contentType: "text/event-stream", "The event stream"), .error(.forbidden, "all_tenants without being a platform administrator")])
        ) { request, context in try self.stream(request, context) }
    }

    func stream(_ request: Request, _ context: AuthenticatedContext) throws -> Response {
        let query = request.uri.queryParameters
        let prefixes = query["types"].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } ?? []
        if prefixes.count > 20 || prefixes.contains(where: { $0.count > 100 }) {
            throw APIError.validation(["types": "at most 20 prefixes of up to 100 characters"])
        }
        let allTenants: Bool
        switch query["all_tenants"].map(String.init) {
        case nil, "false": allTenants = false
        case "true": allTenants = true
        default: throw APIError.validation(["all_tenants": "must be true or false"])
        }
        if allTenants && !context.principal.isPlatformAdmin {
            throw APIError(.forbidden, code: "FORBIDDEN", message: "Only platform administrators can follow every tenant")
        }
        let subscription = bus.subscribe(tenantID: allTenants ? nil : context.principal.tenantID, typePrefixes: prefixes)
        let bus = self.bus
        let heartbeat = self.heartbeat
        let body = ResponseBody { writer in
            // Events and heartbeats meet in one queue with a single writer.
            let (frames, output) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(512))
            let pump = Task {
                for await event in subscription.events { output.yield(Self.frame(event)) }
                output.finish()
            }
            let beats = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: heartbeat)
                    output.yield(": heartbeat\n\n")
                }
            }
            defer {
                pump.cancel()
                beats.cancel()
                bus.unsubscribe(subscription.id)
            }
            try await writer.write(ByteBuffer(string: ": connected\nretry: 3000\n\n"))
            // A draining server ends open streams (clients reconnect elsewhere, as SSE intends)
            // instead of waiting on them.
            try await withGracefulShutdownHandler {
                for await frame in frames {
                    try await writer.write(ByteBuffer(string: frame))
                }
            } onGracefulShutdown: {
                output.finish()
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no"],
            body: body)
    }

    static func frame(_ event: PlatformEvent) -> String {
        let data = (try? PlatformJSON.makeEncoder().encode(event)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "id: \(event.id.uuidString.lowercased())\nevent: \(event.type)\ndata: \(data)\n\n"
    }
}
