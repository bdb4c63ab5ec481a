import AsyncHTTPClient
import Auth
import Foundation
import Hummingbird
import Logging
import Platform
import ServiceLifecycle
import Tenancy

/// What the routes need, built once per process.
struct AppDependencies: Sendable {
    let config: PlatformConfig
    let database: Database
    let tokens: TokenService
    let passwords: PasswordHasher
    let access: any AccessResolver
    let http: HTTPClient

    static func make(config: PlatformConfig, database: Database, http: HTTPClient = .shared) async throws -> AppDependencies {
        let passwords = try PasswordHasher(parameters: .init(
            memoryKiB: config.passwords.argon2MemoryKiB, iterations: config.passwords.argon2Iterations,
            parallelism: config.passwords.argon2Parallelism))
        return AppDependencies(
            config: config, database: database, tokens: try await TokenService.make(config.jwt), passwords: passwords,
            access: MembershipAccessResolver(), http: http)
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
        services: services + [dependencies.database],
        logger: logger)
    app.logger.logLevel = dependencies.config.logLevel
    return app
}

/// Middleware in pipeline order, then every module's routes through the registry.
func buildRouter(_ dependencies: AppDependencies, table: RouteTable = RouteTable()) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestIDMiddleware<AppRequestContext> { context, id in context.requestID = id })
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
    AuthController(
        auth: dependencies.auth, keys: dependencies.apiKeys, tokens: dependencies.tokens,
        github: dependencies.config.github, http: dependencies.http
    ).register(in: registry)
    APIDocsController(table: registry.table, title: AppInfo.title, version: AppInfo.version)
        .register(in: registry)
}
