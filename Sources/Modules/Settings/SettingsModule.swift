import Foundation
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import Providers

/// Tenant settings (typed key/values, general settings, secrets, integrations), a member's
/// theme, and the platform's runtime configuration (`system/config`, `public/config`).
public struct SettingsModule: Sendable {
    let database: Database
    let runtime: RuntimeSettings
    let config: PlatformConfig
    let providers: ProviderRegistry
    let integrations: [any IntegrationReporting]
    let tenants: any TenantDirectory

    /// - Parameter integrations: the other modules' parts of the integrations report, in order.
    public init(
        database: Database, runtime: RuntimeSettings, config: PlatformConfig, providers: ProviderRegistry, integrations: [any IntegrationReporting],
        tenants: any TenantDirectory
    ) {
        self.tenants = tenants
        self.database = database
        self.runtime = runtime
        self.config = config
        self.providers = providers
        self.integrations = integrations
    }

    public func register(in registry: RouteRegistry) {
        let settings = registry.group("/api/v1/settings", tag: "settings")
        TenantSettingsController(database: database, tenants: tenants).register(in: settings)
        IntegrationsController(database: database, config: config, providers: providers, reporters: integrations).register(in: settings)
        TenantSecretsController(database: database, sealer: SecretSealer(config: config)).register(in: settings.group("/secrets"))
        PlatformSettingsController(runtime: runtime, config: config).register(
            settings: settings, system: registry.group("/api/v1/system", tag: "settings"), publicRoutes: registry.group("/api/v1/public", tag: "settings"))
    }
}
