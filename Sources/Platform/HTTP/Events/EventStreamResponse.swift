import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PlatformDatabase
import PlatformSupport
import ServiceLifecycle

/// A Server-Sent Events response: optional opening frames, replayed events from the log, then
/// live events, with heartbeats; ends when `isFinal` says so, when the client leaves or when
/// the server drains.
public struct EventStreamResponse: Sendable {
    public var opening: [String] = []
    public var replayed: [PlatformEvent] = []
    public var heartbeat: Duration = .seconds(15)
    public var isFinal: @Sendable (PlatformEvent) -> Bool = { _ in false }
    /// Nothing will follow the opening frames (the subject has already finished).
    public var closed = false
    /// Extra frames after the opening ones (called with nil) and after each event, for
    /// clients that want a message of their own shape (GoyaVision's unnamed progress messages).
    public var companion: (@Sendable (PlatformEvent?) async -> String?)?

    public init() {}

    /// The `Last-Event-ID` header (or `last_event_id` query parameter) when it names an event.
    public static func lastEventID(_ request: Request) -> UUID? {
        let text = request.headers[HTTPField.Name("Last-Event-ID")!] ?? request.uri.queryParameters["last_event_id"].map(String.init)
        return text.flatMap { UUID(uuidString: $0.trimmingCharacters(in: .whitespaces)) }
    }

    public static func frame(_ event: PlatformEvent) -> String {
        let data = (try? PlatformJSON.makeEncoder().encode(event)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "id: \(event.id.uuidString.lowercased())\nevent: \(event.type)\ndata: \(data)\n\n"
    }

    /// An unnamed message (no `event:` line), what `EventSource.onmessage` receives.
    public static func message(_ data: some Encodable) -> String {
        let text = (try? PlatformJSON.makeEncoder().encode(data)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "data: \(text)\n\n"
    }

    public static func frame(event name: String, data: some Encodable) -> String {
        let text = (try? PlatformJSON.makeEncoder().encode(data)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "event: \(name)\ndata: \(text)\n\n"
    }

    /// Streams `subscription` (already subscribed, so nothing falls between replay and live).
    public func response(bus: EventBus, subscription: (id: UUID, events: AsyncStream<PlatformEvent>)) -> Response {
        let opening = self.opening
        let replayed = self.replayed
        let heartbeat = self.heartbeat
        let isFinal = self.isFinal
        let closed = self.closed
        let companion = self.companion
        let body = ResponseBody { writer in
            // Events and heartbeats meet in one queue with a single writer.
            let (frames, output) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1024))
            let seen = Set(replayed.map(\.id))
            let pump = Task {
                for await event in subscription.events where !seen.contains(event.id) {
                    output.yield(Self.frame(event))
                    if let companion, let extra = await companion(event) { output.yield(extra) }
                    if isFinal(event) { break }
                }
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
            var head = ": connected\nretry: 3000\n\n" + opening.joined()
            // What was missed is sent even when nothing more will follow.
            var finished = false
            for event in replayed where !finished {
                head += Self.frame(event)
                finished = isFinal(event)
            }
            finished = finished || closed
            if let companion, let extra = await companion(nil) { head += extra }
            try await writer.write(ByteBuffer(string: head))
            if !finished {
                // A draining server ends open streams (clients reconnect elsewhere, as SSE
                // intends) instead of waiting on them.
                try await withGracefulShutdownHandler {
                    for await frame in frames {
                        try await writer.write(ByteBuffer(string: frame))
                    }
                } onGracefulShutdown: {
                    output.finish()
                }
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no"],
            body: body)
    }
}
