import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// `/api/v1/settings/secrets`: names and dates only; values go in and never come out.
struct TenantSecretsController: Sendable {
    let database: Database
    let sealer: SecretSealer?
    let store = TenantSecretStore()

    static let namePattern = "^[a-z][a-z0-9_.-]{0,99}$"

    func register(in routes: RouteGroup) {
        let name = RouteParameter.path("name", ["type": "string", "pattern": .string(Self.namePattern)])
        routes.get("", "The names of the tenant's stored secrets (never their values)", .permission("settings:secret:manage"), use: list)
        routes.put(
            "/{name}", "Store a secret (e.g. `openai.api_key`), encrypted at rest", .permission("settings:secret:manage"), parameters: [name],
            body: SecretInput.self, responses: [.error(.serviceUnavailable, "No secrets key is configured")], use: put)
        routes.delete("/{name}", "Forget a secret", .permission("settings:secret:manage"), parameters: [name], responses: [.noContent("Deleted")], use: delete)
    }

    func secretName(_ context: AuthenticatedContext) throws -> String {
        guard let name = context.parameters.get("name"), name.wholeMatch(of: /[a-z][a-z0-9_.-]{0,99}/) != nil else { throw APIError.secretNotFound }
        return name
    }

    func audit(_ action: String, _ name: String, _ context: AuthenticatedContext) -> AuditEvent {
        AuditEvent(
            action: action, tenantID: context.principal.tenantID, actorUserID: context.principal.userID, targetType: "secret", targetID: name,
            requestID: context.requestID)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> SecretList {
        let tenantID = context.principal.tenantID
        return SecretList(secrets: try await database.withTenant(context.tenant) { tx in try await store.list(tenantID: tenantID, in: tx) })
    }

    func put(_ request: Request, _ context: AuthenticatedContext) async throws -> SecretView {
        let name = try secretName(context)
        let body = try await request.decode(as: SecretInput.self, context: context)
        guard (1...10_000).contains(body.value.count) else { throw APIError.validation(["value": "must be 1-10000 characters"]) }
        guard let sealer else { throw APIError.secretsNotConfigured }
        let tenantID = context.principal.tenantID
        let sealed = try sealer.seal(body.value, tenant: tenantID, name: name)
        let view = try await database.withTenant(context.tenant) { tx in
            let view = try await store.put(name, sealed: sealed, tenantID: tenantID, by: context.principal.userID, in: tx)
            try await AuditLog.append(audit("secret.put", name, context), in: tx)
            return view
        }
        guard let view else { throw APIError.internalError }
        return view
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let name = try secretName(context)
        let tenantID = context.principal.tenantID
        let deleted = try await database.withTenant(context.tenant) { tx in
            let deleted = try await store.delete(name, tenantID: tenantID, in: tx)
            if deleted { try await AuditLog.append(audit("secret.delete", name, context), in: tx) }
            return deleted
        }
        guard deleted else { throw APIError.secretNotFound }
        return NoContent()
    }
}
