import ArgumentParser
import Auth
import Foundation
import Hummingbird
import Logging
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import ServiceLifecycle
import TaskEngine
import Webhooks

@main
struct PlatformCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "platform",
        abstract: "The multi-tenant platform backend.",
        subcommands: [Serve.self, Worker.self, Migrate.self, Bootstrap.self, OpenAPI.self, LocalDatabase.self],
        defaultSubcommand: Serve.self)
}

/// Loads configuration and sets up logging; a configuration problem ends the process with one line.
func loadConfig() async throws -> PlatformConfig {
    do {
        let config = try await PlatformConfig.load()
        LogSetup.bootstrap(format: config.logFormat, level: config.logLevel)
        return config
    } catch let error as ConfigurationError {
        throw ValidationError("configuration: \(error.message)")
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the API. With no DATABASE_URL, starts (or reuses) a private PostgreSQL under the data directory.")

    @Option(help: "Listen host (overrides HTTP_HOST).") var host: String?
    @Option(help: "Listen port (overrides HTTP_PORT).") var port: Int?
    @Flag(help: "Do not apply migrations at start-up.") var noMigrate = false

    func run() async throws {
        var config = try await loadConfig()
        if let host { config.http.host = host }
        if let port { config.http.port = port }
        let logger = Logger(label: "platform")
        var services: [any Service] = []
        let local = try await useLocalClusterIfUnconfigured(&config, logger: logger)
        if let local, local.started { services.append(LocalPostgresService(cluster: local.cluster)) }
        guard let url = config.database.url else { throw ValidationError("configuration: DATABASE_URL is required") }

        let paths = try ProjectPaths.locate()
        let migrator = MigrationRunner(migrationsDirectory: paths.migrations, policiesDirectory: paths.policies, logger: logger)
        if !noMigrate, let owner = config.database.migrationURL {
            let report = try await migrator.run(url: owner)
            logger.info("migrations done", metadata: ["applied": .stringConvertible(report.applied.count), "already_applied": .stringConvertible(report.alreadyApplied)])
        } else {
            logger.notice("not migrating at start-up (\(noMigrate ? "--no-migrate" : "DATABASE_MIGRATION_URL is not set"))")
        }

        let database = Database(url: url, maxConnections: config.database.poolSize, logger: logger)
        let dependencies: AppDependencies
        do {
            dependencies = try await AppDependencies.make(config: config, database: database)
        } catch let error as ConfigurationError {
            throw ValidationError("configuration: \(error.message)")
        }
        if local != nil {
            try await seedDemoAdmin(dependencies, url: url, logger: logger)
        }
        await LocalDiskBlobStorage(root: config.storageDirectory).removeStaleUploads()
        let app = buildApplication(dependencies, services: services, logger: logger)
        try await app.runService()
    }

    /// First local run: a demo tenant and its administrator, whose password is printed once
    /// and kept in the data directory.
    func seedDemoAdmin(_ dependencies: AppDependencies, url: DatabaseURL, logger: Logger) async throws {
        // A pool of its own: the application's pool is run by the application, once.
        let database = Database(url: url, maxConnections: 2, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await database.run() }
            defer { group.cancelAll() }
            let bootstrapper = Bootstrapper(database: database, passwords: dependencies.passwords)
            guard try await !bootstrapper.hasUsers() else { return }
            let result = try await bootstrapper.createAdmin(
                email: "admin@example.com", username: "admin", password: nil, tenantCode: "demo", tenantName: "Demo")
            let file = URL(fileURLWithPath: dependencies.config.dataDirectory).appendingPathComponent("admin-credentials.txt")
            let text = "username: admin\npassword: \(result.generatedPassword ?? "")\ntenant: demo\n"
            try text.write(to: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
            logger.notice("created the demo tenant 'demo' and its administrator 'admin' (password: \(result.generatedPassword ?? "") — also in \(file.path))")
        }
    }
}

/// With no DATABASE_URL: the private cluster under the data directory, and (unless
/// configured) a JWT secret kept beside it.
func useLocalClusterIfUnconfigured(_ config: inout PlatformConfig, logger: Logger) async throws -> (cluster: LocalPostgres, started: Bool)? {
    guard config.database.url == nil else { return nil }
    let dataDirectory = URL(fileURLWithPath: config.dataDirectory)
    let local = LocalPostgres(
        directory: dataDirectory.appendingPathComponent("postgres"),
        port: Int(ProcessInfo.processInfo.environment["PLATFORM_LOCAL_PG_PORT"] ?? "") ?? 55432,
        ephemeral: false, logger: logger)
    let cluster = try await local.start()
    logger.info("using the local PostgreSQL cluster", metadata: ["url": .string(cluster.runtime.redacted)])
    config.database.url = cluster.runtime
    config.database.migrationURL = cluster.owner
    if config.jwt.secret == nil && config.jwt.privateKeyFile == nil {
        let file = dataDirectory.appendingPathComponent("jwt-secret")
        if let stored = try? String(contentsOf: file, encoding: .utf8), stored.utf8.count >= 32 {
            config.jwt.secret = stored
        } else {
            let secret = (0..<48).map { _ in String("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".randomElement() ?? "x") }.joined()
            try secret.write(to: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
            config.jwt.secret = secret
        }
    }
    return (local, cluster.started)
}

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run task workers only (no HTTP): claims and runs queued tasks from DATABASE_URL until stopped.")

    @Option(help: "Handler slots (overrides TASKS_WORKER_CONCURRENCY).") var concurrency: Int?
    @Option(help: "Worker id shown on the tasks it holds (default: host:pid:random).") var id: String?

    func run() async throws {
        let config = try await loadConfig()
        guard let url = config.database.url else { throw ValidationError("configuration: DATABASE_URL is required") }
        if let concurrency, !(1...256).contains(concurrency) { throw ValidationError("--concurrency must be from 1 to 256") }
        let logger = Logger(label: "platform.worker")
        let database = Database(url: url, maxConnections: min(config.database.poolSize, (concurrency ?? config.tasks.workerConcurrency) * 2 + 2), logger: logger)
        // The same assembly as serve, without the HTTP server. A worker signs and checks no
        // tokens, so it needs no JWT key of its own.
        var workerConfig = config
        if workerConfig.jwt.secret == nil && workerConfig.jwt.privateKeyFile == nil {
            workerConfig.jwt.secret = (0..<4).map { _ in UUID().uuidString }.joined()
        }
        let dependencies = try await AppDependencies.make(config: workerConfig, database: database)
        let worker = dependencies.taskWorker(concurrency: concurrency ?? config.tasks.workerConcurrency, logger: logger, id: id)
        logger.info("worker started", metadata: ["worker_id": .string(worker.id), "task_types": .string(dependencies.taskHandlers.taskTypes.joined(separator: ","))])
        // A worker has no HTTP server: its own listeners stay (the RBAC cache is unused but cheap).
        let group = ServiceGroup(
            configuration: .init(
                services: (dependencies.backgroundServices(logger: logger) + [worker]).map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

struct Bootstrap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the first platform administrator and their tenant. The password comes from PLATFORM_ADMIN_PASSWORD, or is generated and printed.")

    @Option(help: "The administrator's e-mail address.") var adminEmail: String
    @Option(help: "Tenant code (created if missing).") var tenant: String
    @Option(help: "Tenant display name.") var tenantName: String?
    @Option(help: "Username (default: the part of the e-mail before @).") var username: String?

    func run() async throws {
        var config = try await loadConfig()
        let logger = Logger(label: "platform.bootstrap")
        _ = try await useLocalClusterIfUnconfigured(&config, logger: logger)
        guard let url = config.database.url else { throw ValidationError("configuration: DATABASE_URL is required") }
        if let owner = config.database.migrationURL {
            let paths = try ProjectPaths.locate()
            _ = try await MigrationRunner(migrationsDirectory: paths.migrations, policiesDirectory: paths.policies, logger: logger).run(url: owner)
        }
        let database = Database(url: url, maxConnections: 2, logger: logger)
        let passwords = try PasswordHasher(parameters: .init(
            memoryKiB: config.passwords.argon2MemoryKiB, iterations: config.passwords.argon2Iterations, parallelism: config.passwords.argon2Parallelism))
        let password = ProcessInfo.processInfo.environment["PLATFORM_ADMIN_PASSWORD"]
        let result = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await database.run() }
            defer { group.cancelAll() }
            do {
                return try await Bootstrapper(database: database, passwords: passwords).createAdmin(
                    email: adminEmail, username: username, password: password, tenantCode: tenant, tenantName: tenantName)
            } catch let error as APIError {
                let fields = error.details?["fields"].map { " \($0)" } ?? ""
                throw ValidationError("bootstrap: \(error.message)\(fields)")
            }
        }
        print("platform administrator \(adminEmail) \(result.createdUser ? "created" : "updated") in tenant \(tenant)")
        if let generated = result.generatedPassword { print("password: \(generated)") }
    }
}

/// Stops the private cluster after everything else has shut down (services stop in reverse order).
struct LocalPostgresService: Service {
    let cluster: LocalPostgres

    func run() async throws {
        try? await gracefulShutdown()
        try cluster.stop()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending migrations and re-apply the policies, as the owner role (DATABASE_MIGRATION_URL, else DATABASE_URL).")

    func run() async throws {
        let config = try await loadConfig()
        guard let url = config.database.migrationURL ?? config.database.url else {
            throw ValidationError("configuration: DATABASE_MIGRATION_URL (or DATABASE_URL) is required to migrate")
        }
        let paths = try ProjectPaths.locate()
        let logger = Logger(label: "platform.migrate")
        do {
            let report = try await MigrationRunner(migrationsDirectory: paths.migrations, policiesDirectory: paths.policies, logger: logger).run(url: url)
            print("applied \(report.applied.count) migration(s)\(report.applied.isEmpty ? "" : ": " + report.applied.joined(separator: ", ")); \(report.alreadyApplied) already applied; policies: \(report.policies.joined(separator: ", "))")
        } catch let error as MigrationError {
            throw ValidationError("migrate: \(error.description)")
        }
    }
}

struct OpenAPI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "openapi", abstract: "Print the OpenAPI 3.1 document.")

    func run() async throws {
        let config = try await loadConfig()
        // The document needs the routes, not a connection: the pool below is never started.
        let url = config.database.url ?? DatabaseURL(host: "127.0.0.1", username: "unused", password: nil, database: "unused")
        var documentConfig = config
        documentConfig.jwt.secret = documentConfig.jwt.secret ?? String(repeating: "x", count: 32)
        let table = RouteTable()
        let database = Database(url: url, maxConnections: 1, logger: Logger(label: "platform.openapi"))
        _ = buildRouter(try await AppDependencies.make(config: documentConfig, database: database), table: table)
        let data = try APIDocsController(table: table, title: AppInfo.title, version: AppInfo.version, tagDescriptions: APITags.descriptions).documentData()
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}

struct LocalDatabase: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local-db", abstract: "Start or stop a private PostgreSQL cluster (used by the test command).",
        subcommands: [Start.self, Stop.self])

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start the cluster and print its URLs as shell variables.")
        @Option(help: "Cluster folder.") var directory: String
        @Option(help: "TCP port on 127.0.0.1.") var port: Int = 55432
        @Flag(help: "Turn off fsync (throwaway clusters).") var ephemeral = false
        @Option(name: .customLong("setting"), help: "A server setting, name=value (repeatable).") var settings: [String] = []

        func run() async throws {
            // Standard output carries only the variables, for `eval`.
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
            var cluster = LocalPostgres(directory: URL(fileURLWithPath: directory), port: port, ephemeral: ephemeral, logger: Logger(label: "platform.local-db"))
            cluster.settings = settings
            let urls = try await cluster.start()
            print("DATABASE_URL='\(urls.runtime.connectionString)'")
            print("DATABASE_MIGRATION_URL='\(urls.owner.connectionString)'")
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the cluster.")
        @Option(help: "Cluster folder.") var directory: String

        func run() async throws {
            try LocalPostgres(directory: URL(fileURLWithPath: directory), port: 0, ephemeral: false, logger: Logger(label: "platform.local-db")).stop()
        }
    }
}
