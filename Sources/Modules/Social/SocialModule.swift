import AsyncHTTPClient
import Foundation
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import Providers
import TaskEngine

/// The `social` rows of routes.tsv: the short-video platform's platform accounts (a pool with
/// daily quotas, whose credentials a worker claiming a task receives) and the content
/// platform's social publishing (connections, posts on the task engine, analytics, generated
/// copy, trends, cross-posting) with real clients of X, LinkedIn, the Graph API and Mastodon.
public struct SocialModule: Sendable {
    let database: Database
    let config: PlatformConfig.Social
    let connections: SocialConnections
    let quota: PlatformAccountQuota
    let providers: ProviderRegistry
    let preferences: any TenantPreferences

    /// - Parameter http: a client that does not follow redirects; nil: the module's own.
    public init(
        database: Database, config: PlatformConfig.Social, http: HTTPClient? = nil, sealer: SecretSealer?, targets: OutboundTargetPolicy,
        providers: ProviderRegistry, preferences: any TenantPreferences
    ) {
        self.database = database
        self.config = config
        self.providers = providers
        self.preferences = preferences
        connections = SocialConnections(database: database, sealer: sealer, clients: SocialClients(config: config, http: http ?? SocialHTTP.sharedClient, targets: targets))
        quota = PlatformAccountQuota(sealer: sealer, days: TenantDay(preferences: preferences))
    }

    public func register(in registry: RouteRegistry) {
        PlatformAccountController(database: database, quota: quota)
            .register(in: registry.group("/api/v1/platform-accounts", tag: "platform accounts"))
        let social = registry.group("/api/v1/social", tag: "social")
        SocialConnectionController(database: database, connections: connections, quota: quota).register(in: social)
        SocialPostController(database: database, connections: connections, attempts: config.publishAttempts).register(in: social)
        SocialInsightsController(database: database, connections: connections).register(in: social)
        SocialGenerateController(database: database, providers: providers, preferences: preferences).register(in: social)
    }

    /// Publishing and removing posts, on the task engine.
    public func register(handlers: inout TaskHandlerRegistry) {
        handlers.register(
            SocialJobs.publishType,
            SocialPublishHandler(database: database, connections: connections, quota: quota, attempts: config.publishAttempts), isInternal: true)
        handlers.register(SocialJobs.deleteType, SocialDeleteHandler(database: database, connections: connections), isInternal: true)
    }

    /// A worker claiming a task that names a platform account receives it in clear
    /// (`platform_account {id, name, credentials, proxy, remaining_quota}`), one use counted per task.
    public func register(taskViews: inout TaskViewExtensions) {
        let quota = self.quota
        taskViews.registerClaimFields { task, tx in try await quota.claimFields(task, in: tx) }
    }

    /// The connected networks, for the integrations report.
    public var integrations: any IntegrationReporting { SocialIntegrations() }
}

/// Each connected network as an integration: its account and last check, never a token.
struct SocialIntegrations: IntegrationReporting {
    let store = SocialConnectionStore()

    func integrations(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [IntegrationState] {
        try await store.all(tenantID: tenantID, in: tx).map { connection in
            IntegrationState(
                name: "social.\(connection.platform.rawValue)", kind: "social", status: connection.lastError == nil ? .connected : .error,
                configuredAt: connection.createdAt,
                details: [
                    "account": .string(connection.account), "followers": connection.followers.map { .int($0) } ?? .null,
                    "checked_at": .string(RFC3339.string(from: connection.checkedAt)), "error": connection.lastError.map { .string($0) } ?? .null,
                ])
        }
    }
}
