import Analysis
import Annotation
import AsyncHTTPClient
import Auth
import Chat
import Content
import Files
import Foundation
import Hummingbird
import Logging
import Media
import TenantMetrics
import Operators
import PlatformArtifacts
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import PlatformTelemetry
import Production
import Providers
import ServiceLifecycle
import Settings
import Social
import TaskEngine
import Tasks
import Tenancy
import Webhooks
import Workflows

/// Everything a process runs, built once: the platform's services, then every module as a
/// value, wired to one another only through the registries and capabilities of the platform.
struct AppDependencies: Sendable {
    let config: PlatformConfig
    let database: Database
    let http: HTTPClient
    let events: EventBus
    let tokens: TokenService
    let passwords: PasswordHasher
    let access: any AccessResolver
    let rbacCache: RBACCache
    let rateLimiter: RateLimiter
    let runtimeSettings: RuntimeSettings
    let providers: ProviderRegistry
    let tenants: any TenantDirectory
    /// Task handlers every module contributes, run by the workers of `serve` and `worker`.
    let taskHandlers: TaskHandlerRegistry
    /// Fields modules add to their task types' answers.
    let taskViews: TaskViewExtensions
    /// The platform's artifact store: what tasks produced, recorded by any module.
    let artifacts: any ArtifactRecorder
    /// Prometheus metrics and the usage counted on the request path.
    let telemetry: Telemetry

    let auth: AuthService
    let apiKeys: APIKeyService
    let tenancy: TenancyModule
    let tasks: TasksModule
    let workflows: WorkflowsModule
    let webhooks: WebhooksModule
    let files: FilesModule
    let content: ContentModule
    let settings: SettingsModule
    let media: MediaModule
    let annotation: AnnotationModule
    let chat: ChatModule
    let metrics: MetricsModule
    let production: ProductionModule
    let analysis: AnalysisModule
    let operators: OperatorsModule
    let social: SocialModule

    static func make(config: PlatformConfig, database: Database, http: HTTPClient = .shared) async throws -> AppDependencies {
        let passwords = try PasswordHasher(parameters: .init(
            memoryKiB: config.passwords.argon2MemoryKiB, iterations: config.passwords.argon2Iterations,
            parallelism: config.passwords.argon2Parallelism))
        let telemetry = Telemetry()
        database.observePool(.init(waiting: { telemetry.connectionWait(started: $0) }, acquired: { telemetry.connectionAcquired(after: $0) }))
        let cache = RBACCache()
        let access = TenancyAccessResolver(cache: cache)
        let events = EventBus(database: database, logger: Logger(label: "platform.events"))
        let tokens = try await TokenService.make(config.jwt)
        let tenants = TenantCodeDirectory(database: database)
        let runtimeSettings = RuntimeSettings(database: database, bus: events, logger: Logger(label: "platform.settings"))
        let providerConfiguration: ProviderConfiguration
        do {
            providerConfiguration = try ProviderConfiguration.fromEnvironment(config.providerEnvironment)
        } catch let error as ProviderConfiguration.Invalid {
            throw ConfigurationError(error.description)
        }
        let aiModels = AIModelDirectory(database: database, sealer: SecretSealer(config: config), targets: OutboundTargetPolicy(allowed: config.webhooks.allowedHosts))
        let providers = ProviderRegistry(
            configuration: providerConfiguration, client: http, usage: ModelUsageMeter(telemetry: telemetry),
            credentials: TenantSecretCredentials(database: database, sealer: SecretSealer(config: config)), registered: aiModels)

        let webhooks = WebhooksModule(database: database, config: config.webhooks, outcomes: { telemetry.webhookDelivery(outcome: $0) })
        let files = FilesModule(database: database, storage: LocalDiskBlobStorage(root: config.storageDirectory), limits: config.files)
        var handlers = TaskHandlerRegistry()
        TasksModule.register(handlers: &handlers)
        webhooks.register(handlers: &handlers)
        let operators = OperatorsModule(
            database: database, providers: providers, targets: OutboundTargetPolicy(allowed: config.webhooks.allowedHosts),
            settings: OperatorSettings(
                cliExecutables: config.operators.cliExecutables, mcpStdioCommands: config.operators.mcpStdioCommands,
                cliMaxSeconds: config.operators.cliMaxSeconds, cliMaxOutputBytes: config.operators.cliMaxOutputBytes),
            storage: LocalDiskBlobStorage(root: config.storageDirectory), assets: AssetFileStore(), artifacts: ArtifactStore())
        let workflows = WorkflowsModule(
            database: database, bus: events, providers: providers, targets: OutboundTargetPolicy(allowed: config.webhooks.allowedHosts),
            sealer: SecretSealer(config: config), taskTypes: handlers.publicTaskTypes, publicBaseURL: config.workflows.publicBaseURL,
            extraKinds: operators.nodeKinds, graphChecks: operators.graphChecks, syncWait: .seconds(config.workflows.syncWaitSeconds),
            schedulerInterval: .milliseconds(config.workflows.schedulerIntervalMilliseconds))
        workflows.register(handlers: &handlers)
        let media = MediaModule(
            database: database, storage: LocalDiskBlobStorage(root: config.storageDirectory), files: files.directory, artifacts: ArtifactStore(),
            targets: OutboundTargetPolicy(allowed: config.webhooks.allowedHosts), limits: config.files)
        media.register(handlers: &handlers)
        let annotation = AnnotationModule(
            database: database, storageDirectory: config.storageDirectory, settings: config.annotation,
            storage: LocalDiskBlobStorage(root: config.storageDirectory), artifacts: ArtifactStore(),
            worker: .init(concurrency: config.tasks.serveWorkerConcurrency, pollIntervalSeconds: Double(config.tasks.pollIntervalMilliseconds) / 1000))
        annotation.register(handlers: &handlers)
        let production = ProductionModule(
            database: database, registry: workflows.registryAccess, publicBaseURL: config.workflows.publicBaseURL,
            refusedTaskTypes: handlers.reservedTaskTypes.union(handlers.internalTaskTypes))
        production.register(handlers: &handlers)
        let analysis = AnalysisModule(
            database: database, settings: config.analysis, http: http,
            credentials: TenantSecretCredentials(database: database, sealer: SecretSealer(config: config)), assets: media.assetCatalog,
            files: files.directory, storageDirectory: config.storageDirectory, tenantQuotaBytes: config.files.tenantQuotaBytes, artifacts: ArtifactStore())
        analysis.register(handlers: &handlers)
        let social = SocialModule(
            database: database, config: config.social, sealer: SecretSealer(config: config),
            targets: OutboundTargetPolicy(allowed: config.webhooks.allowedHosts), providers: providers, preferences: TenantSettingPreferences())
        social.register(handlers: &handlers)
        var taskViews = TaskViewExtensions()
        workflows.register(taskViews: &taskViews)
        production.register(taskViews: &taskViews)
        social.register(taskViews: &taskViews)

        return AppDependencies(
            config: config, database: database, http: http, events: events, tokens: tokens, passwords: passwords, access: access,
            rbacCache: cache, rateLimiter: RateLimiter(), runtimeSettings: runtimeSettings, providers: providers, tenants: tenants,
            taskHandlers: handlers, taskViews: taskViews, artifacts: ArtifactStore(), telemetry: telemetry,
            auth: AuthService(database: database, tokens: tokens, passwords: passwords, config: config, access: access),
            apiKeys: APIKeyService(database: database, access: access, environment: config.apiKeyEnvironment),
            tenancy: TenancyModule(database: database, cache: cache, credentials: AuthCredentialAdministration(passwords: passwords)),
            tasks: TasksModule(database: database, bus: events, handlers: handlers, engine: config.tasks.engine, tenants: tenants, views: taskViews),
            workflows: workflows, webhooks: webhooks, files: files,
            content: ContentModule(database: database, tenants: tenants),
            settings: SettingsModule(
                database: database, runtime: runtimeSettings, config: config, providers: providers, integrations: [webhooks, files, social.integrations], tenants: tenants),
            media: media,
            annotation: annotation,
            chat: ChatModule(database: database, providers: providers, directory: aiModels),
            metrics: MetricsModule(database: database, files: files.directory, prices: config.metrics.prices, catalog: providerConfiguration.catalog),
            production: production,
            analysis: analysis,
            operators: operators,
            social: social)
    }

    /// A task worker over this process's pool and bus.
    func taskWorker(concurrency: Int, logger: Logger, id: String? = nil) -> TaskWorker {
        TaskWorker(
            database: database, bus: events, handlers: taskHandlers, settings: config.tasks.worker(concurrency: concurrency),
            logger: logger, id: id, observer: { [telemetry] type, outcome, duration in telemetry.taskFinished(type: type, outcome: outcome, duration: duration) })
    }

    /// What runs beside the HTTP server in `serve`, and alone in `worker`: listeners, relays, schedulers.
    func backgroundServices(logger: Logger) -> [any Service] {
        [
            database,
            RBACChangeListener(database: database, cache: rbacCache, logger: logger),
            events,
            EventOutbox(
                database: database, bus: events,
                consumers: [webhooks.eventConsumer, workflows.eventConsumer(logger: Logger(label: "platform.workflows")), annotation.eventConsumer, production.eventConsumer],
                logger: Logger(label: "platform.events")),
            runtimeSettings,
            EventLogJanitor(database: database, retentionDays: config.eventLogRetentionDays, logger: Logger(label: "platform.events")),
            workflows.scheduler(logger: Logger(label: "platform.workflows")),
            analysis.scheduler(logger: Logger(label: "platform.analysis")),
            BlobSweeper(
                database: database, storage: LocalDiskBlobStorage(root: config.storageDirectory), graceSeconds: config.files.sweepGraceSeconds,
                interval: .seconds(config.files.sweepIntervalSeconds), logger: Logger(label: "platform.storage")),
            // After the database: shut down before it, so its last flush still has the pool.
            UsageFlusher(
                database: database, aggregator: telemetry.usage, interval: .seconds(config.metrics.flushSeconds),
                retentionDays: config.metrics.retentionDays, logger: Logger(label: "platform.metrics")),
        ] + metricsListener()
    }

    var metricsExposition: MetricsExposition { MetricsExposition(telemetry: telemetry, database: database, events: events) }

    /// `/metrics` on its own port without a token, when `METRICS_PORT` is set.
    func metricsListener() -> [any Service] {
        guard let port = config.metrics.port else { return [] }
        let router = Router(context: AppRequestContext.self)
        PrometheusController(exposition: metricsExposition, token: nil).register(in: RouteRegistry(router: router, table: RouteTable()))
        return [Application(router: router, configuration: .init(address: .hostname(config.metrics.host, port: port), serverName: "platform-metrics"))]
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
        services: services + dependencies.backgroundServices(logger: logger) + (dependencies.config.tasks.serveWorkerConcurrency > 0
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
    router.add(middleware: TelemetryMiddleware(telemetry: dependencies.telemetry))
    let identifier = RateLimitIdentifier(tokens: dependencies.tokens, database: dependencies.database)
    router.add(middleware: RateLimitMiddleware(
        limiter: dependencies.rateLimiter, policy: RateLimitPolicy(
            defaultPerMinute: dependencies.config.rateLimit.requestsPerMinute, authPerMinute: dependencies.config.rateLimit.authRequestsPerMinute,
            planPerMinute: dependencies.config.rateLimit.planRequestsPerMinute),
        plans: TenantPlanCache(tenants: dependencies.tenants), identify: { await identifier.identify($0) }))
    router.add(middleware: ErrorEnvelopeMiddleware(routes: table))
    router.add(middleware: AuthenticationMiddleware(auth: dependencies.auth, keys: dependencies.apiKeys, selfAuthenticated: ["/metrics"]))
    router.add(middleware: dependencies.annotation.requestLogMiddleware)
    let registry = RouteRegistry(router: router, table: table)
    registerRoutes(in: registry, dependencies)
    return router
}

/// Every module's routes. The docs controller reads the table, so it sees them all.
func registerRoutes(in registry: RouteRegistry, _ dependencies: AppDependencies) {
    HealthController(
        database: dependencies.database, storageDirectory: dependencies.config.storageDirectory, reporter: dependencies.annotation.healthReporter)
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
    dependencies.content.register(in: registry)
    dependencies.settings.register(in: registry)
    dependencies.media.register(in: registry)
    dependencies.annotation.register(in: registry)
    dependencies.chat.register(in: registry)
    dependencies.metrics.register(in: registry)
    dependencies.production.register(in: registry)
    dependencies.analysis.register(in: registry)
    dependencies.operators.register(in: registry)
    dependencies.social.register(in: registry)
    if let token = dependencies.config.metrics.token {
        PrometheusController(exposition: dependencies.metricsExposition, token: token).register(in: registry)
    }
    APIDocsController(
        table: registry.table, title: AppInfo.title, version: AppInfo.version, tagDescriptions: APITags.descriptions,
        assetsDirectory: dependencies.config.http.docsAssetsDirectory)
        .register(in: registry)
}
