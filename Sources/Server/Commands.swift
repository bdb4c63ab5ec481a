import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Platform
import ServiceLifecycle

@main
struct PlatformCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "platform",
        abstract: "The multi-tenant platform backend.",
        subcommands: [Serve.self, Migrate.self, OpenAPI.self, LocalDatabase.self],
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

        if config.database.url == nil {
            let local = LocalPostgres(
                directory: URL(fileURLWithPath: config.dataDirectory).appendingPathComponent("postgres"),
                port: Int(ProcessInfo.processInfo.environment["PLATFORM_LOCAL_PG_PORT"] ?? "") ?? 55432,
                ephemeral: false, logger: logger)
            let cluster = try await local.start()
            logger.info("using the local PostgreSQL cluster", metadata: ["url": .string(cluster.runtime.redacted)])
            config.database.url = cluster.runtime
            config.database.migrationURL = cluster.owner
            if cluster.started { services.append(LocalPostgresService(cluster: local)) }
        }
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
        let app = buildApplication(AppDependencies(config: config, database: database), services: services, logger: logger)
        try await app.runService()
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
        let table = RouteTable()
        let database = Database(url: url, maxConnections: 1, logger: Logger(label: "platform.openapi"))
        _ = buildRouter(AppDependencies(config: config, database: database), table: table)
        let data = try APIDocsController(table: table, title: AppInfo.title, version: AppInfo.version).documentData()
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

        func run() async throws {
            // Standard output carries only the variables, for `eval`.
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
            let cluster = LocalPostgres(directory: URL(fileURLWithPath: directory), port: port, ephemeral: ephemeral, logger: Logger(label: "platform.local-db"))
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
