import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PlatformDatabase
import PlatformServices
import PlatformSupport

/// The registry as the platform's `WorkflowRegistryAccess`: other modules (Production) resolve
/// entries, trigger their n8n webhooks and check callbacks through it, without seeing secrets.
struct RegistryGateway: WorkflowRegistryAccess {
    static let maximumAnswerBytes = 1 << 20

    let database: Database
    let sealer: SecretSealer?
    let policy: OutboundTargetPolicy
    let client: HTTPClient
    let store = RegistryStore()

    func entry(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> RegisteredWorkflow? {
        guard let view = try await store.find(id, tenantID: tenantID, in: tx) else { return nil }
        return RegisteredWorkflow(
            id: view.id, name: view.name, description: view.description, workflowType: view.workflowType, n8nWebhookUrl: view.n8nWebhookUrl,
            isActive: view.isActive, createdAt: view.createdAt, updatedAt: view.updatedAt)
    }

    func trigger(_ id: UUID, scope: TenantScope, payload: JSONValue, callbackURL: String?) async throws -> WorkflowTriggerAnswer {
        let tenantID = scope.tenantID
        let (target, sealed) = try await database.withTenant(scope) { tx in
            (try await store.callTarget(id, tenantID: tenantID, in: tx), try await store.sealedAuthHeader(id, tenantID: tenantID, in: tx))
        }
        guard let target else { throw WorkflowTriggerFailure("no workflow registry entry \(id.uuidString.lowercased()) in this tenant", retryable: false) }
        guard target.isActive else { throw WorkflowTriggerFailure("the registered workflow \(target.name) is deactivated", retryable: false) }
        guard let address = target.n8nWebhookUrl else {
            throw WorkflowTriggerFailure("the registered workflow \(target.name) has no n8n_webhook_url", retryable: false)
        }
        let url: URL
        do { url = try await policy.check(address) } catch let refused as OutboundTargetPolicy.Refused {
            throw WorkflowTriggerFailure("the webhook URL is refused: \(refused.reason)", retryable: false)
        }
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Accept", "application/json"), ("User-Agent", "platform-n8n/1")])
        if let sealed, let name = target.authHeaderName {
            guard let sealer else { throw WorkflowTriggerFailure("no secrets key is configured to open the auth header", retryable: false) }
            guard let value = try? sealer.open(sealed, tenant: tenantID, name: RegistryController.secretName(id, "auth_header")) else {
                throw WorkflowTriggerFailure("the stored auth header does not open with this deployment's secrets key", retryable: false)
            }
            headers.add(name: name, value: value)
        }
        if let callbackURL { headers.replaceOrAdd(name: "X-Callback-URL", value: callbackURL) }

        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers = headers
        request.body = .bytes(ByteBuffer(bytes: try PlatformJSON.makeEncoder().encode(payload)))
        let code: Int
        var buffer = ByteBuffer()
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(target.timeoutSeconds)))
            code = Int(response.status.code)
            for try await var chunk in response.body {
                guard buffer.readableBytes + chunk.readableBytes <= Self.maximumAnswerBytes else { break }
                buffer.writeBuffer(&chunk)
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw WorkflowTriggerFailure("n8n could not be reached: \(Self.describe(error))", retryable: true)
        }
        let data = Data(buffer: buffer)
        var body: JSONValue = .string(String(decoding: data.prefix(2000), as: UTF8.self))
        if !data.isEmpty, let json = try? JSONDecoder().decode(JSONValue.self, from: data) { body = json }
        guard (200..<300).contains(code) else {
            throw WorkflowTriggerFailure("n8n answered HTTP \(code) for \(target.name)", statusCode: code, retryable: code >= 500 || code == 429 || code == 408)
        }
        return WorkflowTriggerAnswer(statusCode: code, body: body)
    }

    func verifyCallback(_ id: UUID, tenantID: UUID, headers: HTTPFields, body: [UInt8], in tx: DatabaseTransaction) async throws -> WorkflowCallbackCheck {
        guard let target = try await store.callTarget(id, tenantID: tenantID, in: tx) else {
            return .rejected(reason: "the registered workflow no longer exists")
        }
        guard let sealed = try await store.sealedCallbackSecret(id, tenantID: tenantID, in: tx) else {
            return .rejected(reason: "the registered workflow \(target.name) has no callback secret")
        }
        guard let sealer, let secret = try? sealer.open(sealed, tenant: tenantID, name: RegistryController.secretName(id, "callback_secret")) else {
            return .rejected(reason: "the callback secret cannot be opened with this deployment's secrets key")
        }
        if let name = HTTPField.Name(target.callbackHeaderName), let sent = headers[name],
            WorkflowCallbackSignature.constantTimeEqual(Array(sent.utf8), Array(secret.utf8)) {
            return .accepted(proof: "secret_header")
        }
        if let name = HTTPField.Name(WorkflowCallbackSignature.headerName), let signature = headers[name],
            WorkflowCallbackSignature.isValid(signature, secret: secret, body: body) {
            return .accepted(proof: "hmac_sha256")
        }
        return .rejected(reason: "the callback secret is missing or wrong")
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "timed out"
            default: return "\(error)"
            }
        }
        return String(String(describing: error).prefix(300))
    }
}
