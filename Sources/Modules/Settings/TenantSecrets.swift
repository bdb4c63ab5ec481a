import Crypto
import Foundation
import Hummingbird
import NIOCore
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import Providers

/// Seals and opens tenant secrets with AES-GCM; the tenant and the secret's name are bound in
/// as associated data, so a sealed value copied to another row does not open.
public struct SecretSealer: Sendable {
    let key: SymmetricKey

    /// From `SECRETS_KEY`, else derived (HKDF-SHA256) from the JWT secret; nil when neither exists.
    public init?(config: PlatformConfig) {
        if let text = config.secretsKey, let bytes = Data(base64Encoded: text), bytes.count == 32 {
            key = SymmetricKey(data: bytes)
        } else if let jwt = config.jwt.secret {
            key = HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: Data(jwt.utf8)), info: Data("platform tenant secrets v1".utf8), outputByteCount: 32)
        } else {
            return nil
        }
    }

    static func context(_ tenant: UUID, _ name: String) -> Data {
        Data("\(tenant.uuidString.lowercased())/\(name)".utf8)
    }

    func seal(_ value: String, tenant: UUID, name: String) throws -> ByteBuffer {
        let box = try AES.GCM.seal(Data(value.utf8), using: key, authenticating: Self.context(tenant, name))
        guard let combined = box.combined else { throw APIError.internalError }
        return ByteBuffer(bytes: combined)
    }

    func open(_ sealed: ByteBuffer, tenant: UUID, name: String) throws -> String {
        let box = try AES.GCM.SealedBox(combined: Data(sealed.readableBytesView))
        return String(decoding: try AES.GCM.open(box, using: key, authenticating: Self.context(tenant, name)), as: UTF8.self)
    }
}

/// A tenant's provider keys, for the provider registry: the secret `<provider>.api_key`.
public struct TenantSecretCredentials: ProviderCredentialSource {
    let database: Database
    let sealer: SecretSealer?

    public init(database: Database, sealer: SecretSealer?) {
        self.database = database
        self.sealer = sealer
    }

    public func apiKey(provider: String, tenant: UUID) async throws -> String? {
        guard let sealer else { return nil }
        let name = "\(provider).api_key"
        let sealed = try await database.withTenant(TenantScope(tenantID: tenant, dataScope: .all)) { tx in
            try await tx.first("SELECT sealed FROM tenant_secrets WHERE tenant_id = \(tenant) AND name = \(name)", as: ByteBuffer.self)
        }
        return try sealed.map { try sealer.open($0, tenant: tenant, name: name) }
    }
}

/// `/api/v1/settings/secrets`: names and dates only; values go in and never come out.
struct TenantSecretsController: Sendable {
    let database: Database
    let sealer: SecretSealer?

    struct SecretInput: Codable, Sendable {
        var value: String
    }

    struct SecretView: Codable, Sendable, ResponseEncodable {
        var name: String
        var createdAt: Date
        var updatedAt: Date
    }

    struct SecretList: Codable, Sendable, ResponseEncodable {
        var secrets: [SecretView]
    }

    func register(in registry: RouteRegistry) {
        let name = RouteParameter.path("name", ["type": "string", "pattern": "^[a-z][a-z0-9_.-]{0,99}$"])
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/settings/secrets", summary: "The names of the tenant's stored secrets (never their values)", tag: "settings",
                access: .permission("settings:secret:manage"), responses: [.json(.ok, SecretList.self)])
        ) { _, context in try await self.list(context) }
        registry.addProtected(
            RouteDeclaration(
                .put, "/api/v1/settings/secrets/{name}", summary: "Store a secret (e.g. `openai.api_key`), encrypted at rest",
                tag: "settings", access: .permission("settings:secret:manage"), parameters: [name], body: .type(SecretInput.self),
                responses: [.json(.ok, SecretView.self), .error(.serviceUnavailable, "No secrets key is configured")])
        ) { request, context in try await self.put(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .delete, "/api/v1/settings/secrets/{name}", summary: "Forget a secret", tag: "settings",
                access: .permission("settings:secret:manage"), parameters: [name], responses: [.noContent("Deleted")])
        ) { _, context in try await self.delete(context) }
    }

    func secretName(_ context: AuthenticatedContext) throws -> String {
        guard let name = context.parameters.get("name"), name.wholeMatch(of: /[a-z][a-z0-9_.-]{0,99}/) != nil else {
            throw APIError.notFound("Secret", code: "SECRET_NOT_FOUND")
        }
        return name
    }

    func list(_ context: AuthenticatedContext) async throws -> SecretList {
        let tenantID = context.principal.tenantID
        let rows = try await database.withTenant(context.tenant) { tx in
            try await tx.all("SELECT name, created_at, updated_at FROM tenant_secrets WHERE tenant_id = \(tenantID) ORDER BY name", as: (String, Date, Date).self)
        }
        return SecretList(secrets: rows.map { SecretView(name: $0.0, createdAt: $0.1, updatedAt: $0.2) })
    }

    func put(_ request: Request, _ context: AuthenticatedContext) async throws -> SecretView {
        let name = try secretName(context)
        let body = try await request.decode(as: SecretInput.self, context: context)
        guard (1...10_000).contains(body.value.count) else { throw APIError.validation(["value": "must be 1-10000 characters"]) }
        guard let sealer else {
            throw APIError(.serviceUnavailable, code: "SECRETS_NOT_CONFIGURED", message: "Set SECRETS_KEY (or JWT_SECRET) to store secrets")
        }
        let tenantID = context.principal.tenantID
        let sealed = try sealer.seal(body.value, tenant: tenantID, name: name)
        let row = try await database.withTenant(context.tenant) { tx in
            let row = try await tx.first(
                """
                INSERT INTO tenant_secrets (tenant_id, name, sealed, updated_by) VALUES (\(tenantID), \(name), \(sealed), \(context.principal.userID))
                ON CONFLICT (tenant_id, name) DO UPDATE SET sealed = EXCLUDED.sealed, updated_by = EXCLUDED.updated_by, updated_at = now()
                RETURNING created_at, updated_at
                """, as: (Date, Date).self)
            try await AuditLog.append(
                AuditEvent(action: "secret.put", tenantID: tenantID, actorUserID: context.principal.userID, targetType: "secret", targetID: name,
                           requestID: context.requestID), in: tx)
            return row
        }
        guard let row else { throw APIError.internalError }
        return SecretView(name: name, createdAt: row.0, updatedAt: row.1)
    }

    func delete(_ context: AuthenticatedContext) async throws -> Response {
        let name = try secretName(context)
        let tenantID = context.principal.tenantID
        let deleted = try await database.withTenant(context.tenant) { tx in
            let count = try await tx.execute("DELETE FROM tenant_secrets WHERE tenant_id = \(tenantID) AND name = \(name) RETURNING 1")
            if count > 0 {
                try await AuditLog.append(
                    AuditEvent(action: "secret.delete", tenantID: tenantID, actorUserID: context.principal.userID, targetType: "secret", targetID: name,
                               requestID: context.requestID), in: tx)
            }
            return count
        }
        guard deleted == 1 else { throw APIError.notFound("Secret", code: "SECRET_NOT_FOUND") }
        return Response(status: .noContent)
    }
}
