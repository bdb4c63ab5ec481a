import Foundation
import PlatformDatabase
import PlatformServices
import Providers

/// A tenant's provider keys, for the provider registry: the secret `<provider>.api_key`.
public struct TenantSecretCredentials: ProviderCredentialSource {
    let database: Database
    let sealer: SecretSealer?
    let store = TenantSecretStore()

    public init(database: Database, sealer: SecretSealer?) {
        self.database = database
        self.sealer = sealer
    }

    public func apiKey(provider: String, tenant: UUID) async throws -> String? {
        guard let sealer else { return nil }
        let name = "\(provider).api_key"
        let sealed = try await database.withTenant(TenantScope(tenantID: tenant, dataScope: .all)) { tx in
            try await store.sealed(name, tenantID: tenant, in: tx)
        }
        return try sealed.map { try sealer.open($0, tenant: tenant, name: name) }
    }
}
