import AsyncHTTPClient
import Auth
import Content
import Files
import Foundation
import Hummingbird
import Logging
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import Providers
import ServiceLifecycle
import Settings
import TaskEngine
import Tasks
import Tenancy
import Webhooks
import Workflows

/// What the routes need, built once per process.
struct AppDependencies: Sendable {
    let config: PlatformConfig
    let database: Database
    let tokens: TokenService
    let passwords: PasswordHasher
    let access: any AccessResolver
    let rbacCache: RBACCache
    let rateLimiter: RateLimiter
    let events: EventBus
    let http: HTTPClient
    /// Task handlers every module contributes, run by the workers of `serve` and `worker`.
    let taskHandlers: TaskHandlerRegistry
    let runtimeSettings: RuntimeSettings
    let providers: ProviderRegistry
    let workflows: WorkflowsModule
    /// Fields modules add to their task types' answers.
    let taskViews: TaskViewExtensions

    static func make(config: PlatformConfig, database: Database, http: HTTPClient = .shared) async throws -> AppDependencies {
        let passwords = try PasswordHasher(parameters: .init(
            memoryKiB: config.passwords.argon2MemoryKiB, iterations: config.passwords.argon2Iterations,
            parallelism: config.passwords.argon2Parallelism))
        let cache = RBACCache()
        let events = EventBus(database: database, logger: Logger(label: "platform.events"))
        let providerConfiguration: ProviderConfiguration
        do {
            providerConfiguration = try ProviderConfiguration.fromEnvironment(config.providerEnvironment)
        } catch let error as ProviderConfiguration.Invalid {
            throw ConfigurationError(error.description)
        }
        let providers = ProviderRegistry(
            configuration: providerConfiguration, client: http,
            credentials: TenantSecretCredentials(database: database, sealer: SecretSealer(config: config)))
        var handlers = Self.taskHandlers(config: config, database: database)
        let workflows = WorkflowsModule(
            database: database, bus: events, providers: providers, targets: OutboundTargetPolicy(allowed: config.webhooks.allowedHosts),
            taskTypes: handlers.publicTaskTypes, syncWait: .seconds(config.workflows.syncWaitSeconds),
            schedulerInterval: .milliseconds(config.workflows.schedulerIntervalMilliseconds))
        workflows.register(handlers: &handlers)
        var taskViews = TaskViewExtensions()
        workflows.register(taskViews: &taskViews)
        return AppDependencies(
            config: config, database: database, tokens: try await TokenService.make(config.jwt), passwords: passwords,
            access: TenancyAccessResolver(cache: cache), rbacCache: cache, rateLimiter: RateLimiter(),
            events: events, http: http,
            taskHandlers: handlers,
            runtimeSettings: RuntimeSettings(database: database, bus: events, logger: Logger(label: "platform.settings")),
            providers: providers, workflows: workflows, taskViews: taskViews)
    }

    static func taskHandlers(config: PlatformConfig, database: Database) -> TaskHandlerRegistry {
        var registry = TaskHandlerRegistry()
        TasksModule.register(handlers: &registry)
        WebhooksModule(database: database, config: config.webhooks).register(handlers: &registry)
        return registry
    }

    var webhooks: WebhooksModule {
        WebhooksModule(database: database, config: config.webhooks)
    }

    var files: FilesModule {
        FilesModule(database: database, storage: LocalDiskBlobStorage(root: config.storageDirectory), limits: config.files)
    }

    /// A task worker over this process's pool and bus.
    func taskWorker(concurrency: Int, logger: Logger) -> TaskWorker {
        TaskWorker(
            database: database, bus: events, handlers: taskHandlers, settings: config.tasks.worker(concurrency: concurrency),
            logger: logger)
    }

    var tasks: TasksModule {
        TasksModule(database: database, bus: events, handlers: taskHandlers, engine: config.tasks.engine, tenants: TenantCodeDirectory(database: database),
            views: taskViews)
    }

    var tenancy: TenancyModule {
        TenancyModule(database: database, cache: rbacCache, credentials: AuthCredentialAdministration(passwords: passwords))
    }

    var auth: AuthService {
        AuthService(database: database, tokens: tokens, passwords: passwords, config: config, access: access)
    }

    var apiKeys: APIKeyService {
        APIKeyService(database: database, access: access, environment: config.apiKeyEnvironment)
    }
}

enum AppInfo {
    static let title = "Platform"
    static let version = HealthController.apiVersion
}

/// The one setup seam: `serve` and the tests build the application here.
func buildApplication(
    _ dependencies: AppDependencies,
    services: [any Service] = [],
    logger: Logger = Logger(label: "platform")
) -> some ApplicationProtocol {
    let router = buildRouter(dependencies)
    var app = Application(
        router: router,
        configuration: .init(
            address: .hostname(dependencies.config.http.host, port: dependencies.config.http.port),
            serverName: "platform"),
        services: services + [
            dependencies.database,
            RBACChangeListener(database: dependencies.database, cache: dependencies.rbacCache, logger: logger),
            dependencies.events,
            dependencies.webhooks.relay(bus: dependencies.events, logger: Logger(label: "platform.webhooks")),
            dependencies.runtimeSettings,
            EventLogJanitor(database: dependencies.database, retentionDays: dependencies.config.eventLogRetentionDays, logger: Logger(label: "platform.events")),
            dependencies.workflows.scheduler(logger: Logger(label: "platform.workflows")),
        ] + (dependencies.config.tasks.serveWorkerConcurrency > 0
            ? [dependencies.taskWorker(concurrency: dependencies.config.tasks.serveWorkerConcurrency, logger: Logger(label: "platform.tasks"))]
            : []),
        logger: logger)
    app.logger.logLevel = dependencies.config.logLevel
    return app
}

/// Middleware in pipeline order, then every module's routes through the registry.
func buildRouter(_ dependencies: AppDependencies, table: RouteTable = RouteTable()) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestIDMiddleware<AppRequestContext> { context, id in context.requestID = id })
    let identifier = RateLimitIdentifier(tokens: dependencies.tokens, database: dependencies.database)
    router.add(middleware: RateLimitMiddleware(
        limiter: dependencies.rateLimiter, policy: RateLimitPolicy(
            defaultPerMinute: dependencies.config.rateLimit.requestsPerMinute, authPerMinute: dependencies.config.rateLimit.authRequestsPerMinute,
            planPerMinute: dependencies.config.rateLimit.planRequestsPerMinute),
        plans: TenantPlanCache(database: dependencies.database), identify: { await identifier.identify($0) }))
    router.add(middleware: ErrorEnvelopeMiddleware(routes: table))
    router.add(middleware: AuthenticationMiddleware(auth: dependencies.auth, keys: dependencies.apiKeys))
    let registry = RouteRegistry(router: router, table: table)
    registerRoutes(in: registry, dependencies)
    return router
}

/// Every module's routes. The docs controller reads the table, so it sees them all.
func registerRoutes(in registry: RouteRegistry, _ dependencies: AppDependencies) {
    HealthController(database: dependencies.database, storageDirectory: dependencies.config.storageDirectory)
        .register(in: registry)
    AuthModule(
        auth: dependencies.auth, keys: dependencies.apiKeys, tokens: dependencies.tokens,
        github: dependencies.config.github, http: dependencies.http
    ).register(in: registry)
    dependencies.tenancy.register(in: registry)
    EventStreamController(bus: dependencies.events, database: dependencies.database).register(in: registry)
    dependencies.tasks.register(in: registry)
    dependencies.workflows.register(in: registry)
    dependencies.webhooks.register(in: registry)
    dependencies.files.register(in: registry)
    ContentModule(database: dependencies.database, tenants: TenantCodeDirectory(database: dependencies.database)).register(in: registry)
    SettingsModule(
        database: dependencies.database, runtime: dependencies.runtimeSettings, config: dependencies.config, providers: dependencies.providers,
        integrations: [dependencies.webhooks, dependencies.files]
    ).register(in: registry)
    APIDocsController(table: registry.table, title: AppInfo.title, version: AppInfo.version)
        .register(in: registry)
}
