import Foundation
import HTTPTypes
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// Where n8n reports back to an `n8n` node that waits (`wait_for_callback`). The callback id is
/// random and unguessable; when the registry entry has a callback secret, n8n must also send it
/// in the entry's callback header. A callback is accepted once.
struct CallbackController: Sendable {
    let database: Database
    let sealer: SecretSealer?
    let store = CallbackStore()

    struct Received: Codable, Sendable, ResponseEncodable {
        var received: Bool
        var callbackId: UUID
    }

    func register(in routes: RouteGroup) {
        routes.post(
            "/callbacks/{callback_id}", "n8n's report to the workflow node waiting for it (any JSON body)", .public,
            description: "Authenticated by the unguessable callback id in the URL and, when the registered workflow has a callback secret, by that secret in its callback header (X-Callback-Secret by default).",
            parameters: [.uuid("callback_id")], body: JSONValue.self,
            responses: [.error(.unauthorized, "The callback secret is missing or wrong"), .error(.conflict, "The callback was already received")],
            use: receive)
    }

    func receive(_ request: Request, _ context: AppRequestContext) async throws -> Received {
        guard let id = context.parameters.get("callback_id", as: UUID.self) else { throw APIError.callbackNotFound }
        let payload = try await request.decode(as: JSONValue.self, context: context)
        try await database.withPlatformScope { tx in
            guard let target = try await store.target(id, in: tx) else { throw APIError.callbackNotFound }
            if let sealed = try await store.sealedSecret(target.registryId, tenantID: target.tenantId, in: tx) {
                guard let sealer else { throw APIError.registrySecretsNotConfigured }
                let secret = try sealer.open(sealed, tenant: target.tenantId, name: RegistryController.secretName(target.registryId, "callback_secret"))
                let sent = HTTPField.Name(target.callbackHeaderName).flatMap { request.headers[$0] } ?? ""
                guard Self.equal(Array(sent.utf8), Array(secret.utf8)) else { throw APIError.callbackSecretInvalid }
            }
            guard target.receivedAt == nil else { throw APIError.callbackAlreadyReceived }
            try await store.receive(id, payload: payload, tenantID: target.tenantId, in: tx)
            // Wakes the waiting node in whichever process runs it (not logged: it is not a tenant event).
            try await EventBus.publish(PlatformEvent(type: "internal.workflow_callback", tenantId: nil, subjectId: id, data: [:]), in: tx)
        }
        return Received(received: true, callbackId: id)
    }

    /// Compares in time independent of where the bytes differ.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

extension APIError {
    static var callbackNotFound: APIError { .notFound("Callback", code: "CALLBACK_NOT_FOUND") }
    static var callbackAlreadyReceived: APIError { APIError(.conflict, code: "CALLBACK_ALREADY_RECEIVED", message: "This callback was already received") }
    static var callbackSecretInvalid: APIError {
        APIError(.unauthorized, code: "CALLBACK_SECRET_INVALID", message: "The callback secret is missing or wrong", hint: "Send the registered secret in the workflow's callback header")
    }
}
