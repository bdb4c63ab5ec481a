import Crypto
import Foundation
import Logging
import PostgresNIO

/// A migration that cannot be applied, with a message that says what to do.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Applies `migrations/NNNN_name.sql` in order, each in its own transaction, recording a
/// SHA-256 checksum; then re-applies `policies/*.sql`. Concurrent runners are serialised by
/// an advisory lock, so any number of processes may start at once.
public struct MigrationRunner: Sendable {
    public struct Migration: Sendable, Equatable {
        public var version: Int
        public var name: String
        public var sql: String
        public var checksum: String
    }

    public struct Report: Sendable, Equatable {
        public var applied: [String]
        public var alreadyApplied: Int
        public var policies: [String]
    }

    /// Arbitrary constant: the advisory lock key of the migrator.
    static let lockKey: Int64 = 7_262_010_001

    public var migrationsDirectory: URL
    public var policiesDirectory: URL
    public var logger: Logger

    public init(migrationsDirectory: URL, policiesDirectory: URL, logger: Logger) {
        self.migrationsDirectory = migrationsDirectory
        self.policiesDirectory = policiesDirectory
        self.logger = logger
    }

    /// Reads and checks the migration files: names must be `NNNN_name.sql`, versions unique.
    public func loadMigrations() throws -> [Migration] {
        let files = try sqlFiles(in: migrationsDirectory)
        var migrations: [Migration] = []
        for file in files {
            let name = file.lastPathComponent
            guard let match = name.wholeMatch(of: /(\d{4})_([a-z0-9_]+)\.sql/), let version = Int(match.1) else {
                throw MigrationError("migrations/\(name): file names must look like 0001_create_users.sql")
            }
            if let clash = migrations.first(where: { $0.version == version }) {
                throw MigrationError("migrations/\(name) and migrations/\(clash.name) share version \(version)")
            }
            let data = try Data(contentsOf: file)
            guard let sql = String(data: data, encoding: .utf8) else { throw MigrationError("migrations/\(name) is not UTF-8 text") }
            migrations.append(Migration(version: version, name: name, sql: sql, checksum: Self.checksum(data)))
        }
        return migrations.sorted { $0.version < $1.version }
    }

    public func loadPolicies() throws -> [(name: String, sql: String)] {
        try sqlFiles(in: policiesDirectory).map { file in
            guard let sql = String(data: try Data(contentsOf: file), encoding: .utf8) else {
                throw MigrationError("policies/\(file.lastPathComponent) is not UTF-8 text")
            }
            return (file.lastPathComponent, sql)
        }
    }

    func sqlFiles(in directory: URL) throws -> [URL] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            throw MigrationError("cannot read the directory \(directory.path)")
        }
        return names.filter { $0.hasSuffix(".sql") }.sorted().map { directory.appendingPathComponent($0) }
    }

    static func checksum(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Migrates the database `url` points at, connecting as its owner.
    public func run(url: DatabaseURL) async throws -> Report {
        let migrations = try loadMigrations()
        let policies = try loadPolicies()
        return try await url.withSingleConnection(logger: logger) { connection in
            try await self.run(migrations: migrations, policies: policies, on: connection)
        }
    }

    func run(migrations: [Migration], policies: [(name: String, sql: String)], on connection: PostgresConnection) async throws -> Report {
        try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
        // Migrations and policies are platform-level work: the owner is under the forced
        // policies too, so its data steps (the RBAC catalog) run in the platform scope.
        try await connection.query("SELECT set_config('app.scope', 'platform', false)", logger: logger)
        do {
            let report = try await migrateLocked(migrations: migrations, policies: policies, on: connection)
            try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            return report
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            throw error
        }
    }

    private func migrateLocked(migrations: [Migration], policies: [(name: String, sql: String)], on connection: PostgresConnection) async throws -> Report {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        var recorded: [Int: (name: String, checksum: String)] = [:]
        for try await (version, name, checksum) in try await connection.query(
            "SELECT version, name, checksum FROM schema_migrations", logger: logger
        ).decode((Int, String, String).self) {
            recorded[version] = (name, checksum)
        }
        let known = Set(migrations.map(\.version))
        if let unknown = recorded.keys.sorted().first(where: { !known.contains($0) }), let entry = recorded[unknown] {
            throw MigrationError(
                "the database has migration \(entry.name) applied, which this build does not have; refusing to run older code against a newer schema")
        }
        var applied: [String] = []
        for migration in migrations {
            if let entry = recorded[migration.version] {
                guard entry.checksum == migration.checksum else {
                    throw MigrationError(
                        "migrations/\(migration.name) was edited after it was applied (recorded sha256 \(entry.checksum.prefix(12)), file has \(migration.checksum.prefix(12))); restore it and add a new migration instead")
                }
                continue
            }
            logger.info("applying migration", metadata: ["migration": .string(migration.name)])
            try await connection.query("BEGIN", logger: logger)
            do {
                for statement in SQLScript.statements(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            } catch {
                throw MigrationError("migrations/\(migration.name) failed: \(Self.describe(error))")
            }
            try await connection.query(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                logger: logger)
            try await connection.query("COMMIT", logger: logger)
            applied.append(migration.name)
        }
        for policy in policies {
            try await connection.query("BEGIN", logger: logger)
            do {
                for statement in SQLScript.statements(policy.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            } catch {
                throw MigrationError("policies/\(policy.name) failed: \(Self.describe(error))")
            }
            try await connection.query("COMMIT", logger: logger)
        }
        return Report(applied: applied, alreadyApplied: migrations.count - applied.count, policies: policies.map(\.name))
    }

    /// The server's message, for the operator running the migration.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError, let message = error.serverInfo?[.message] {
            return message + (error.serverInfo?[.position].map { " (at character \($0))" } ?? "")
        }
        return String(describing: error)
    }

    /// Lists migrations this build has that the database has not applied yet.
    public func pending(on database: Database) async throws -> [String] {
        let migrations = try loadMigrations()
        let applied = try await database.withPlatformScope { tx in
            let exists = try await tx.first("SELECT to_regclass('schema_migrations') IS NOT NULL", as: Bool.self) ?? false
            guard exists else { return [Int]() }
            return try await tx.all("SELECT version FROM schema_migrations", as: Int.self)
        }
        let done = Set(applied)
        return migrations.filter { !done.contains($0.version) }.map(\.name)
    }
}
