import Foundation
import PlatformDatabase

/// The tenant settings other modules read (a tenant's time zone for daily quotas, a chosen
/// model), through the platform's `TenantPreferences` capability.
public struct TenantSettingPreferences: TenantPreferences {
    let store = SettingsStore()

    public init() {}

    public func setting(_ key: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> String? {
        try await store.text(key, tenantID: tenantID, in: tx)
    }
}
