import Foundation
import Logging
import PlatformDatabase
import PlatformSupport
import PostgresNIO

/// Databases for tests, on the cluster the test command starts. Each suite gets its own
/// database cloned from a template migrated once per test process, so suites run in parallel.
///
/// Needs `TEST_DATABASE_URL` (runtime role) and `TEST_DATABASE_MIGRATION_URL` (owner role
/// with CREATEDB), which `scripts/test` exports.
public actor TestDatabases {
    public static let shared = TestDatabases()

    public struct Handle: Sendable {
        public let name: String
        public let runtime: DatabaseURL
        public let owner: DatabaseURL
    }

    public struct MissingEnvironment: Error, CustomStringConvertible {
        public var description: String
    }

    private var template: Task<String, any Error>?
    private var creations: Task<Void, Never>?
    private let logger = Logger(label: "tests.database")

    public static func urls() throws -> (runtime: DatabaseURL, owner: DatabaseURL) {
        let environment = ProcessInfo.processInfo.environment
        guard let runtime = environment["TEST_DATABASE_URL"], let owner = environment["TEST_DATABASE_MIGRATION_URL"] else {
            throw MissingEnvironment(description: "TEST_DATABASE_URL and TEST_DATABASE_MIGRATION_URL are not set: run the suite with scripts/test")
        }
        return (try DatabaseURL(parsing: runtime), try DatabaseURL(parsing: owner))
    }

    /// The repository's migrations/ and policies/.
    public static var projectPaths: ProjectPaths {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return ProjectPaths(migrations: root.appendingPathComponent("migrations"), policies: root.appendingPathComponent("policies"))
    }

    /// A fresh, fully migrated database.
    public func migrated(_ label: String) async throws -> Handle {
        let template = try await ensureTemplate()
        return try await create(label, template: template)
    }

    /// A fresh database with nothing in it.
    public func empty(_ label: String) async throws -> Handle {
        try await create(label, template: "template0")
    }

    public func drop(_ handle: Handle) async {
        guard let (_, owner) = try? Self.urls() else { return }
        let logger = self.logger
        _ = try? await owner.replacing(database: "postgres").withSingleConnection(logger: logger) { connection in
            _ = try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(handle.name) WITH (FORCE)"), logger: logger)
        }
    }

    /// Migrated once per process; concurrent first callers share the one migration.
    private func ensureTemplate() async throws -> String {
        if let template { return try await template.value }
        let name = "tpl_\(Self.suffix())"
        let task = Task { () async throws -> String in
            let handle = try await self.create(name, template: "template0", exactName: true)
            let paths = Self.projectPaths
            _ = try await MigrationRunner(migrationsDirectory: paths.migrations, policiesDirectory: paths.policies, logger: self.logger)
                .run(url: handle.owner)
            return name
        }
        template = task
        return try await task.value
    }

    private func create(_ label: String, template: String, exactName: Bool = false) async throws -> Handle {
        let (runtime, owner) = try Self.urls()
        let cleaned = label.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let name = exactName ? label : "t_\(String(cleaned.prefix(30)))_\(Self.suffix())"
        let logger = self.logger
        // CREATE DATABASE refuses a template another copy is reading, and actor methods
        // interleave at their awaits: creations are chained one after another explicitly.
        let previous = creations
        let creation = Task { () async throws -> Void in
            await previous?.value
            try await owner.replacing(database: "postgres").withSingleConnection(logger: logger) { connection in
                _ = try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE \(template)"), logger: logger)
            }
        }
        creations = Task { _ = try? await creation.value }
        try await creation.value
        return Handle(name: name, runtime: runtime.replacing(database: name), owner: owner.replacing(database: name))
    }

    static func suffix() -> String {
        String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12))
    }
}

/// Runs `body` with a `Database` on a fresh migrated database, then drops it. The pool is
/// running unless `runPool` is false (an application under test runs it as its service).
public func withTestDatabase<Result: Sendable>(
    _ label: String = #function, maxConnections: Int = 4, runPool: Bool = true,
    _ body: @Sendable (Database, TestDatabases.Handle) async throws -> Result
) async throws -> Result {
    let handle = try await TestDatabases.shared.migrated(label)
    let database = Database(url: handle.runtime, maxConnections: maxConnections, logger: Logger(label: "tests.pool"))
    do {
        let result = try await withThrowingTaskGroup(of: Void.self) { group in
            if runPool { group.addTask { try await database.run() } }
            defer { group.cancelAll() }
            return try await body(database, handle)
        }
        await TestDatabases.shared.drop(handle)
        return result
    } catch {
        await TestDatabases.shared.drop(handle)
        throw error
    }
}
