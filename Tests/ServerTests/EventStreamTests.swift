import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PlatformSupport
import PlatformTesting
@testable import Server
import Synchronization
import Testing


/// Reads a Server-Sent Events stream over a real connection: a background task collects the
/// text; `read(until:)` waits for what a test expects.
final class EventStreamReader: Sendable {
    final class Collected: Sendable {
        let text = Mutex("")
    }

    let response: HTTPClientResponse
    private let collected = Collected()
    private let consumer: Task<Void, Never>

    init(url: String, token: String?) async throws {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        self.response = response
        let collected = self.collected
        consumer = Task {
            do {
                for try await chunk in response.body { collected.text.withLock { $0 += String(buffer: chunk) } }
            } catch {}
        }
    }

    deinit { consumer.cancel() }

    func read(until predicate: (String) -> Bool, within seconds: Double = 30) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            let current = collected.text.withLock { $0 }
            if predicate(current) { return current }
            try await Task.sleep(for: .milliseconds(20))
        }
        return collected.text.withLock { $0 }
    }

    func close() { consumer.cancel() }
}

@Suite("HTTP: event stream")
struct EventStreamTests {
    @Test("a tenant's stream carries its own events and no other tenant's")
    func tenantEvents() async throws {
        try await withTestDatabase("events_stream", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.live) { client in
                let port = try #require(client.port)
                _ = try await fixtures.setup("red")
                _ = try await fixtures.setup("blue")
                let red = try await client.login("red-root")["access_token"]?.stringValue ?? ""
                let blue = try await client.login("blue-root")["access_token"]?.stringValue ?? ""
                let member = try await client.login("red-member")["access_token"]?.stringValue ?? ""

                let denied = try await client.get("/api/v1/events/stream", headers: [.authorization: "Bearer \(member)"])
                #expect(denied.status == .forbidden)

                let redStream = try await EventStreamReader(url: "http://127.0.0.1:\(port)/api/v1/events/stream?types=role.", token: red)
                let blueStream = try await EventStreamReader(url: "http://127.0.0.1:\(port)/api/v1/events/stream", token: blue)
                // Browsers' EventSource cannot send headers: `?token=` stands for one on streams only.
                let queryStream = try await EventStreamReader(url: "http://127.0.0.1:\(port)/api/v1/events/stream?types=role.&token=\(red)", token: nil)
                #expect(queryStream.response.status == .ok)
                _ = try await queryStream.read(until: { $0.contains(": connected") })
                #expect(try await client.get("/api/v1/events/stream?token=not-a-token").status == .unauthorized)
                #expect(try await client.get("/api/v1/roles?token=\(red)").status == .unauthorized)
                #expect(redStream.response.headers["Content-Type"].first == "text/event-stream")
                #expect(try await redStream.read(until: { $0.contains(": connected") }).contains("retry: 3000"))
                _ = try await blueStream.read(until: { $0.contains(": connected") })
                // Wait until both subscriptions are registered before acting.
                for _ in 0..<250 where dependencies.events.subscriberCount < 3 { try await Task.sleep(for: .milliseconds(20)) }

                let created = try await client.post("/api/v1/roles", ["code": "painter", "name": "Painter"], headers: bearer(.string(red)))
                #expect(created.status == .created)
                let redText = try await redStream.read(until: { $0.contains("event: role.create") })
                #expect(redText.contains("event: role.create"))
                #expect(redText.contains(created.jsonBody["id"]?.stringValue?.lowercased() ?? "missing"))
                #expect(try await queryStream.read(until: { $0.contains("event: role.create") }).contains("event: role.create"))
                queryStream.close()

                // Blue saw nothing of red's; its own change arrives.
                _ = try await client.post("/api/v1/roles", ["code": "sailor", "name": "Sailor"], headers: bearer(.string(blue)))
                let blueText = try await blueStream.read(until: { $0.contains("event: role.create") })
                #expect(blueText.contains("event: role.create"))
                #expect(!blueText.contains(created.jsonBody["id"]?.stringValue?.lowercased() ?? "missing"))
                redStream.close()
                blueStream.close()
            }
        }
    }
}
