import AsyncHTTPClient
import FlowEngine
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PlatformDatabase
import PlatformServices
import PlatformSupport

/// `n8n`: POSTs to a registered n8n workflow's webhook (its auth header added) and returns what
/// n8n answers, which is the workflow's result when its webhook responds on completion; with
/// `wait_for_callback` it also waits for n8n to POST to the callback URL it was sent.
struct N8nNodeKind: FlowNodeKind {
    static let maximumBytes = 10 << 20

    let database: Database
    let sealer: SecretSealer?
    let policy: OutboundTargetPolicy
    let client: HTTPClient
    let bus: EventBus
    let publicBaseURL: String?
    let store = RegistryStore()
    let callbacks = CallbackStore()

    var descriptor: FlowNodeDescriptor {
        FlowNodeDescriptor(
            id: "n8n", name: "n8n workflow", category: "integration",
            description: "Triggers a workflow of the registry (/api/v1/workflow-registry) through its n8n webhook and returns n8n's answer. Inactive entries are refused.",
            inputSchema: [
                "type": "object", "required": ["workflow_registry_id"],
                "properties": [
                    "workflow_registry_id": ["type": "string", "format": "uuid"],
                    "payload": ["description": "The JSON body to send (a template); the run's input when absent"],
                    "wait_for_callback": [
                        "type": "boolean", "default": false,
                        "description": "Send `callback_url` (in the body and the X-Callback-URL header) and wait, up to the node's timeout, for n8n to POST its result there",
                    ],
                ],
            ],
            outputSchema: [
                "type": "object",
                "properties": ["status_code": ["type": "integer"], "body": ["description": "n8n's answer: parsed JSON, or text"], "workflow_name": ["type": "string"],
                    "callback": ["description": "What n8n posted to the callback URL (with wait_for_callback)"],
                ],
            ],
            exampleUsage: .init(
                input: ["workflow_registry_id": "0190…", "payload": ["video_url": "{{prev.body.url}}"]],
                output: ["status_code": 200, "body": ["published": true], "workflow_name": "publish-video"]),
            defaultTimeoutSeconds: 300)
    }

    func check(config: JSONValue) -> [JSONSchema.Problem] {
        guard let template = config["payload"], let message = FlowTemplate.check(template) else { return [] }
        return [JSONSchema.Problem(path: "payload", message: message)]
    }

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        guard let id = invocation.config["workflow_registry_id"]?.stringValue.flatMap(UUID.init(uuidString:)) else {
            throw FlowNodeFailure("workflow_registry_id is not a UUID", retryable: false)
        }
        let tenantID = invocation.run.tenantID
        let scope = TenantScope(tenantID: tenantID, userID: invocation.run.ownerID, dataScope: .all)
        let (target, sealed) = try await database.withTenant(scope) { tx in
            (try await store.callTarget(id, tenantID: tenantID, in: tx), try await store.sealedAuthHeader(id, tenantID: tenantID, in: tx))
        }
        guard let target else { throw FlowNodeFailure("no workflow registry entry \(id.uuidString.lowercased()) in this tenant", retryable: false) }
        guard target.isActive else {
            throw FlowNodeFailure("WORKFLOW_REGISTRY_INACTIVE: the registered workflow \(target.name) is deactivated", retryable: false)
        }
        guard let address = target.n8nWebhookUrl else { throw FlowNodeFailure("the registered workflow \(target.name) has no n8n_webhook_url", retryable: false) }
        let url: URL
        do { url = try await policy.check(address) } catch let refused as OutboundTargetPolicy.Refused {
            throw FlowNodeFailure("the webhook URL is refused: \(refused.reason)", retryable: false)
        }

        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Accept", "application/json")])
        if let sealed, let name = target.authHeaderName {
            guard let sealer else { throw FlowNodeFailure("no secrets key is configured to open the auth header", retryable: false) }
            let value: String
            do { value = try sealer.open(sealed, tenant: tenantID, name: RegistryController.secretName(id, "auth_header")) } catch {
                throw FlowNodeFailure("the stored auth header does not open with this deployment's secrets key", retryable: false)
            }
            headers.add(name: name, value: value)
        }
        var payload = invocation.config["payload"] == nil ? (invocation.scope["input"] ?? .object([:])) : try invocation.render("payload")
        if payload == .null { payload = .object([:]) }
        guard invocation.config["wait_for_callback"] == .bool(true) else {
            let (code, body) = try await post(payload, to: url, headers: headers, target: target, invocation)
            return ["status_code": .int(Int64(code)), "body": body, "workflow_name": .string(target.name)]
        }

        // The callback is made once per run and node, so a resumed run waits for the same one
        // (and does not call n8n again once the call went out).
        guard let base = publicBaseURL else { throw FlowNodeFailure("wait_for_callback needs PUBLIC_BASE_URL (where n8n reaches this platform)", retryable: false) }
        let runID = invocation.run.runID
        let nodeKey = invocation.node.key
        guard let callback = try await database.withTenant(scope, { tx in
            try await callbacks.findOrCreate(runID: runID, nodeKey: nodeKey, registryID: id, tenantID: tenantID, in: tx)
        }) else { throw FlowNodeFailure("the callback could not be recorded") }
        let callbackURL = "\(base)/api/v1/workflow-registry/callbacks/\(callback.id.uuidString.lowercased())"
        var answer: JSONValue = ["status_code": .null, "body": .null, "workflow_name": .string(target.name)]
        if callback.sentAt == nil {
            if case .object(var object) = payload { object["callback_url"] = .string(callbackURL); payload = .object(object) }
            headers.replaceOrAdd(name: "X-Callback-URL", value: callbackURL)
            let (code, body) = try await post(payload, to: url, headers: headers, target: target, invocation)
            answer = ["status_code": .int(Int64(code)), "body": body, "workflow_name": .string(target.name)]
            try await database.withTenant(scope) { tx in try await callbacks.markSent(callback.id, tenantID: tenantID, in: tx) }
        } else {
            invocation.log("resumed: waiting for the callback already requested from \(target.name)")
        }
        invocation.log("waiting for n8n's callback")
        let received = try await waitForCallback(callback.id, scope: scope)
        if case .object(var object) = answer { object["callback"] = received; answer = .object(object) }
        return answer
    }

    /// Waits until the callback arrives: woken by its bus event, looking every 2 s as well.
    func waitForCallback(_ id: UUID, scope: TenantScope) async throws -> JSONValue {
        let subscription = bus.subscribe(tenantID: nil, subjectID: id)
        defer { bus.unsubscribe(subscription.id) }
        while true {
            try Task.checkCancellation()
            let stored = try await database.withTenant(scope) { tx in try await callbacks.find(id, tenantID: scope.tenantID, in: tx) }
            if let stored, stored.receivedAt != nil { return stored.payload ?? .null }
            _ = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    for await _ in subscription.events { return true }
                    return false
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(2))
                    return false
                }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
        }
    }

    func post(_ payload: JSONValue, to url: URL, headers: HTTPHeaders, target: RegistryCallTarget, _ invocation: FlowNodeInvocation) async throws -> (Int, JSONValue) {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers = headers
        request.body = .bytes(ByteBuffer(string: FlowExpression.json(payload)))

        let seconds = min(Double(target.timeoutSeconds), invocation.node.timeoutSeconds ?? descriptor.defaultTimeoutSeconds)
        invocation.log("POST \(url.host ?? "n8n") for \(target.name)")
        let response = try await client.execute(request, timeout: .milliseconds(Int64(seconds * 1000)))
        var buffer = ByteBuffer()
        for try await var chunk in response.body {
            guard buffer.readableBytes + chunk.readableBytes <= Self.maximumBytes else {
                throw FlowNodeFailure("n8n's answer is larger than \(Self.maximumBytes) bytes", retryable: false)
            }
            buffer.writeBuffer(&chunk)
        }
        let data = Data(buffer: buffer)
        var body: JSONValue = .string(String(decoding: data, as: UTF8.self))
        if !data.isEmpty, let json = try? JSONDecoder().decode(JSONValue.self, from: data) { body = json }
        let code = Int(response.status.code)
        guard code < 400 else { throw FlowNodeFailure("n8n answered HTTP \(code) for \(target.name)", retryable: code >= 500 || code == 429) }
        return (code, body)
    }
}
