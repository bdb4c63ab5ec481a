import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import PlatformTesting
@testable import Server
import Synchronization
import Testing


/// A webhook receiver on loopback: records what arrives and answers from a script.
final class Receiver: Sendable {
    struct Delivery: Sendable {
        var headers: [String: String]
        var body: String
        var at: ContinuousClock.Instant
    }

    let received = Mutex<[Delivery]>([])
    /// Status codes to answer, in order; 200 after they run out.
    let script: Mutex<[(status: Int, headers: [String: String])]>

    init(_ script: [(status: Int, headers: [String: String])] = []) {
        self.script = Mutex(script)
    }

    var deliveries: [Delivery] { received.withLock { $0 } }

    var router: Router<BasicRequestContext> {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            self.received.withLock { $0.append(Delivery(headers: headers, body: String(buffer: body), at: .now)) }
            let next = self.script.withLock { $0.isEmpty ? (status: 200, headers: [:]) : $0.removeFirst() }
            var fields = HTTPFields()
            for (name, value) in next.headers { fields[HTTPField.Name(name)!] = value }
            return Response(status: .init(code: next.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: "{\"ok\":true}")))
        }
        return router
    }
}

/// Verifies a delivery with the Standard Webhooks reference library (Python `standardwebhooks`).
func verifyWithReference(_ delivery: Receiver.Delivery, secret: String) async throws -> Bool {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let python = root.appendingPathComponent(".build/python-tools/bin/python")
    let script = """
        import json, sys
        from standardwebhooks.webhooks import Webhook
        payload = json.load(sys.stdin)
        Webhook(payload["secret"]).verify(payload["body"], payload["headers"])
        print("verified")
        """
    let request: JSONValue = [
        "secret": .string(secret), "body": .string(delivery.body),
        "headers": ["webhook-id": .string(delivery.headers["webhook-id"] ?? ""), "webhook-timestamp": .string(delivery.headers["webhook-timestamp"] ?? ""),
                    "webhook-signature": .string(delivery.headers["webhook-signature"] ?? "")],
    ]
    let outcome = try await Tools.run(python.path, ["-c", script], input: try JSONEncoder().encode(request))
    return outcome.status == 0 && outcome.output.contains("verified")
}

let webhookEnvironment = [
    "TASKS_POLL_MS": "50", "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "WEBHOOK_RETRY_SCHEDULE": "0,0.3,0.3,0.3", "WEBHOOK_TIMEOUT_SECONDS": "2",
]

@Suite("Webhooks: Standard Webhooks deliveries, inbound events")
struct WebhookTests {
    @Test("targets on internal addresses are refused unless allow-listed")
    func ssrf() async throws {
        try await withTestDatabase("webhooks_ssrf", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["WEBHOOK_ALLOWED_HOSTS": "127.0.0.2"])
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("ssrf")
                let root = bearer(try await client.login("ssrf-root")["access_token"])
                for url in ["http://127.0.0.1:9/hook", "http://localhost/hook", "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/",
                            "http://192.168.1.1/", "http://[::1]/x", "http://[fd00::1]/x", "http://0.0.0.0/", "ftp://example.com/", "http://user:pw@127.0.0.2/",
                            "http://[::ffff:127.0.0.1]/x", "http://100.64.0.1/"] {
                    let response = try await client.post("/api/v1/webhooks", ["url": .string(url)], headers: root)
                    #expect(response.status == .unprocessableContent, "\(url) answered \(response.status)")
                    #expect(response.jsonBody["error"]?["details"]?["fields"]?["url"] != nil)
                }
                #expect(try await client.post("/api/v1/webhooks", ["url": "http://127.0.0.2:9/hook"], headers: root).status == .created)
            }
        }
    }

    @Test("a receiver that fails twice then succeeds gets one event id three times, each signature verifiable by the reference library")
    func retriesAndSignatures() async throws {
        let receiver = Receiver([(500, [:]), (503, [:])])
        try await withStubServer(receiver.router) { base in
            try await withTestDatabase("webhooks_retry", runPool: false) { database, _ in
                let dependencies = try await makeDependencies(database, webhookEnvironment)
                let fixtures = Fixtures(dependencies)
                try await buildApplication(dependencies).test(.router) { client in
                    _ = try await fixtures.setup("hook")
                    let root = bearer(try await client.login("hook-root")["access_token"])
                    let created = try await client.post("/api/v1/webhooks", ["url": .string(base + "/hook"), "events": ["task.completed"]], headers: root)
                    #expect(created.status == .created)
                    let secret = created.jsonBody["secret"]?.stringValue ?? ""
                    #expect(secret.hasPrefix("whsec_"))
                    #expect(try await client.get("/api/v1/webhooks/\(created.jsonBody.id)", headers: root).jsonBody["secret"] == nil)

                    let task = try await client.post("/api/v1/tasks", ["task_type": "render"], headers: root).jsonBody.id
                    _ = try await client.post("/api/v1/tasks/\(task)/start", [:], headers: root)
                    _ = try await client.post("/api/v1/tasks/\(task)/complete", ["output": ["ok": true]], headers: root)
                    #expect(try await eventually { receiver.deliveries.count >= 3 })
                    try await Task.sleep(for: .milliseconds(500))
                    let deliveries = receiver.deliveries
                    #expect(deliveries.count == 3)
                    #expect(Set(deliveries.map { $0.headers["webhook-id"] ?? "" }).count == 1)
                    for delivery in deliveries {
                        #expect(try await verifyWithReference(delivery, secret: secret))
                        let body = try JSONDecoder().decode(JSONValue.self, from: Data(delivery.body.utf8))
                        #expect(body["type"] == "task.completed")
                        #expect(body["data"]?["task_id"]?.stringValue == task.lowercased())
                        #expect(body["timestamp"] != nil)
                    }
                    // A tampered body does not verify.
                    var forged = deliveries[0]
                    forged.body = forged.body.replacingOccurrences(of: "completed", with: "failed")
                    #expect(try await !verifyWithReference(forged, secret: secret))

                    #expect(try await eventually {
                        try await client.get("/api/v1/webhooks/\(created.jsonBody.id)/deliveries", headers: root).jsonBody["items"]?[0]?["status"] == "succeeded"
                    })
                    let log = try await client.get("/api/v1/webhooks/\(created.jsonBody.id)/deliveries", headers: root).jsonBody
                    #expect(log["items"]?[0]?["attempts"] == 3)
                    #expect(log["items"]?[0]?["webhook_id"]?.stringValue == deliveries[0].headers["webhook-id"])

                    // Redelivery: the same message id once more.
                    let redelivered = try await client.post("/api/v1/webhooks/deliveries/\(log["items"]?[0]?.id ?? "")/redeliver", [:], headers: root)
                    #expect(redelivered.status == .accepted)
                    #expect(try await eventually { receiver.deliveries.count == 4 })
                    #expect(receiver.deliveries.last?.headers["webhook-id"] == deliveries[0].headers["webhook-id"])
                }
            }
        }
    }

    @Test("Retry-After is honoured; 410 unsubscribes; sustained failure disables the endpoint, saying why")
    func failurePolicies() async throws {
        let receiver = Receiver([(429, ["Retry-After": "2"]), (200, [:]), (410, [:])])
        try await withStubServer(receiver.router) { base in
            try await withTestDatabase("webhooks_policies", runPool: false) { database, _ in
                let dependencies = try await makeDependencies(
                    database, webhookEnvironment.merging(["WEBHOOK_DISABLE_AFTER_FAILURES": "2", "WEBHOOK_DISABLE_AFTER_SECONDS": "0"]) { _, new in new })
                let fixtures = Fixtures(dependencies)
                try await buildApplication(dependencies).test(.router) { client in
                    _ = try await fixtures.setup("pol")
                    let root = bearer(try await client.login("pol-root")["access_token"])
                    let hook = try await client.post("/api/v1/webhooks", ["url": .string(base + "/hook"), "events": ["webhook.test"]], headers: root).jsonBody.id
                    _ = try await client.post("/api/v1/webhooks/\(hook)/test", [:], headers: root)
                    #expect(try await eventually { receiver.deliveries.count >= 2 })
                    let gap = receiver.deliveries[1].at - receiver.deliveries[0].at
                    #expect(gap >= .milliseconds(1900), "retried after \(gap) despite Retry-After: 2")

                    // 410: unsubscribed at once, no retry.
                    _ = try await client.post("/api/v1/webhooks/\(hook)/test", [:], headers: root)
                    #expect(try await eventually {
                        try await client.get("/api/v1/webhooks/\(hook)", headers: root).jsonBody["active"] == false
                    })
                    try await Task.sleep(for: .milliseconds(800))
                    #expect(receiver.deliveries.count == 3)
                    #expect(try await client.get("/api/v1/webhooks/\(hook)", headers: root).jsonBody["disabled_reason"]?.stringValue?.contains("410") == true)
                    #expect(try await client.post("/api/v1/webhooks/\(hook)/test", [:], headers: root).status == .conflict)

                    // Re-enabled, then failing every time: disabled after two failures in a row.
                    receiver.script.withLock { $0 = Array(repeating: (500, [:]), count: 10) }
                    #expect(try await client.put("/api/v1/webhooks/\(hook)", ["active": true], headers: root).jsonBody["active"] == true)
                    _ = try await client.post("/api/v1/webhooks/\(hook)/test", [:], headers: root)
                    #expect(try await eventually {
                        try await client.get("/api/v1/webhooks/\(hook)", headers: root).jsonBody["active"] == false
                    })
                    let endpoint = try await client.get("/api/v1/webhooks/\(hook)", headers: root).jsonBody
                    #expect(endpoint["disabled_reason"]?.stringValue?.contains("2 failed attempts") == true)
                    #expect(receiver.deliveries.count == 5)
                }
            }
        }
    }

    @Test("after a secret rotation both signatures are sent and either secret verifies")
    func rotation() async throws {
        let receiver = Receiver()
        try await withStubServer(receiver.router) { base in
            try await withTestDatabase("webhooks_rotation", runPool: false) { database, _ in
                let dependencies = try await makeDependencies(database, webhookEnvironment)
                let fixtures = Fixtures(dependencies)
                try await buildApplication(dependencies).test(.router) { client in
                    _ = try await fixtures.setup("rot")
                    let root = bearer(try await client.login("rot-root")["access_token"])
                    let created = try await client.post("/api/v1/webhooks", ["url": .string(base + "/hook"), "events": ["webhook.test"]], headers: root).jsonBody
                    let old = created["secret"]?.stringValue ?? ""
                    let rotated = try await client.post("/api/v1/webhooks/\(created.id)/rotate-secret", [:], headers: root).jsonBody
                    let new = rotated["secret"]?.stringValue ?? ""
                    #expect(new != old && new.hasPrefix("whsec_"))
                    #expect(rotated["secret_rotated_until"] != nil)
                    _ = try await client.post("/api/v1/webhooks/\(created.id)/test", [:], headers: root)
                    #expect(try await eventually { receiver.deliveries.count == 1 })
                    let delivery = receiver.deliveries[0]
                    #expect(delivery.headers["webhook-signature"]?.split(separator: " ").count == 2)
                    #expect(try await verifyWithReference(delivery, secret: new))
                    #expect(try await verifyWithReference(delivery, secret: old))
                    #expect(try await !verifyWithReference(delivery, secret: WebhookSignature.newSecret()))
                }
            }
        }
    }

    @Test("a server restart between attempts loses no delivery")
    func restartBetweenAttempts() async throws {
        let receiver = Receiver([(500, [:])])
        try await withStubServer(receiver.router) { base in
            try await withTestDatabase("webhooks_restart", runPool: false) { database, handle in
                let environment = webhookEnvironment.merging(["WEBHOOK_RETRY_SCHEDULE": "0,2"]) { _, new in new }
                let first = try await makeDependencies(database, environment)
                let fixtures = Fixtures(first)
                let (token, hook) = try await buildApplication(first).test(.router) { client in
                    _ = try await fixtures.setup("boot")
                    let token = try await client.login("boot-root")["access_token"]?.stringValue ?? ""
                    let hook = try await client.post("/api/v1/webhooks", ["url": .string(base + "/hook"), "events": ["webhook.test"]], headers: bearer(.string(token))).jsonBody.id
                    _ = try await client.post("/api/v1/webhooks/\(hook)/test", [:], headers: bearer(.string(token)))
                    #expect(try await eventually { receiver.deliveries.count == 1 })
                    return (token, hook)
                }
                // The first instance is gone before the retry is due; a new one takes over.
                let second = try await makeDependencies(Database(url: handle.runtime, maxConnections: 4, logger: Logger(label: "tests.second")), environment)
                try await buildApplication(second).test(.router) { client in
                    let delivered = try await eventually { receiver.deliveries.count == 2 }
                    #expect(delivered)
                    // The receiver answered; the outcome is recorded right after.
                    let recorded = try await eventually {
                        try await client.get("/api/v1/webhooks/\(hook)/deliveries", headers: bearer(.string(token))).jsonBody["items"]?[0]?["status"] == "succeeded"
                    }
                    #expect(recorded)
                }
                #expect(Set(receiver.deliveries.map { $0.headers["webhook-id"] ?? "" }).count == 1)
            }
        }
    }

    @Test("inbound webhooks: token required, recorded once per event id, published on the bus")
    func inbound() async throws {
        try await withTestDatabase("webhooks_inbound", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let tenant = try await fixtures.setup("inb")
                let root = bearer(try await client.login("inb-root")["access_token"])
                let created = try await client.post("/api/v1/webhooks/inbound-tokens", ["name": "CI"], headers: root)
                #expect(created.status == .created)
                let token = created.jsonBody["token"]?.stringValue ?? ""
                #expect(token.hasPrefix("iwt_"))
                let event: JSONValue = ["event": "deployment.success", "timestamp": "2026-11-22T10:00:00Z", "data": ["build": 42], "id": "evt-1"]
                #expect(try await client.post("/api/v1/webhooks/inbound", event).status == .unauthorized)
                #expect(try await client.post("/api/v1/webhooks/inbound", event, headers: [HTTPField.Name("X-Webhook-Token")!: "iwt_nope"]).status == .unauthorized)
                let first = try await client.post("/api/v1/webhooks/inbound", event, headers: [HTTPField.Name("X-Webhook-Token")!: token])
                #expect(first.status == .ok)
                #expect(first.jsonBody["acknowledged"] == true)
                #expect(first.jsonBody["duplicate"] == false)
                let again = try await client.post("/api/v1/webhooks/inbound", event, headers: [HTTPField.Name("X-Webhook-Token")!: token])
                #expect(again.jsonBody["acknowledged"] == true)
                #expect(again.jsonBody["duplicate"] == true)
                let logged: Int? = try await database.withPlatformScope { tx in
                    try await tx.first("SELECT count(*)::int FROM event_log WHERE tenant_id = \(tenant.id) AND type = 'inbound.deployment.success'", as: Int.self)
                }
                #expect(logged == 1)
                #expect(try await client.post("/api/v1/webhooks/inbound", ["event": "bad event!"], headers: [HTTPField.Name("X-Webhook-Token")!: token]).status == .unprocessableContent)
                #expect(try await client.delete("/api/v1/webhooks/inbound-tokens/\(created.jsonBody.id)", headers: root).status == .noContent)
                #expect(try await client.post("/api/v1/webhooks/inbound", event, headers: [HTTPField.Name("X-Webhook-Token")!: token]).status == .unauthorized)
            }
        }
    }

    @Test("another tenant's webhook ids answer 404")
    func crossTenant() async throws {
        try await withTestDatabase("webhooks_bola", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, webhookEnvironment)
            let fixtures = Fixtures(dependencies)
            let table = RouteTable()
            _ = buildRouter(dependencies, table: table)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("wa")
                _ = try await fixtures.setup("wb")
                let alpha = bearer(try await client.login("wa-root")["access_token"])
                let beta = bearer(try await client.login("wb-root")["access_token"])
                let hook = try await client.post("/api/v1/webhooks", ["url": "http://127.0.0.1:9/hook"], headers: alpha).jsonBody.id
                let delivery = try await client.post("/api/v1/webhooks/\(hook)/test", [:], headers: alpha).jsonBody.id
                let token = try await client.post("/api/v1/webhooks/inbound-tokens", ["name": "a"], headers: alpha).jsonBody.id
                let routes = table.all.filter { $0.path.hasPrefix("/api/v1/webhooks/") && $0.path.contains("{id}") }
                #expect(routes.count >= 7)
                for route in routes {
                    let id = route.path.contains("deliveries/{id}") ? delivery : route.path.contains("inbound-tokens") ? token : hook
                    var headers = beta
                    headers[.contentType] = "application/json"
                    let response = try await client.execute(uri: route.path.replacingOccurrences(of: "{id}", with: id), method: route.method, headers: headers, body: try .json([:]))
                    #expect(response.status == .notFound, "\(route.method) \(route.path) answered \(response.status)")
                }
            }
        }
    }
}
