import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import Providers

/// `GET /api/v1/settings/integrations`: the state of each integration, never a secret. Model
/// providers and sign-in are Settings' own; the other modules report theirs.
struct IntegrationsController: Sendable {
    let database: Database
    let config: PlatformConfig
    let providers: ProviderRegistry
    let reporters: [any IntegrationReporting]
    let secrets = TenantSecretStore()

    func register(in routes: RouteGroup) {
        routes.get("/integrations", "The state of each integration (never a secret)", .permission("settings:integration:read"), use: integrations)
    }

    func integrations(_ request: Request, _ context: AuthenticatedContext) async throws -> Integrations {
        let tenantID = context.principal.tenantID
        let reporters = self.reporters
        let reported = try await database.withTenant(context.tenant) { tx in
            var states: [IntegrationState] = []
            for reporter in reporters { states += try await reporter.integrations(tenantID: tenantID, in: tx) }
            return states
        }
        var list: [IntegrationState] = []
        // Model providers: reachable or not (a short health check each), and whether this
        // tenant uses a key of its own. Addresses and keys are never shown.
        let stored = try await database.withTenant(context.tenant) { tx in try await secrets.apiKeys(tenantID: tenantID, in: tx) }
        for name in providers.names {
            guard let provider = try? await providers.provider(name) else { continue }
            let health = await provider.health()
            let own = stored.first { $0.name == "\(name).api_key" }
            list.append(IntegrationState(
                name: name, kind: "model_provider", status: health.healthy ? .connected : .error, configuredAt: own?.updatedAt,
                details: ["built_in": .bool(name == "local"), "tenant_key": .bool(own != nil), "message": .string(String(health.message.prefix(200)))]))
        }
        let github = config.github
        list.append(IntegrationState(
            name: "github", kind: "oauth", status: github.clientID != nil && github.clientSecret != nil ? .connected : .notConfigured, configuredAt: nil,
            details: ["sign_in": .bool(github.clientID != nil && github.clientSecret != nil)]))
        return Integrations(integrations: list + reported)
    }
}
