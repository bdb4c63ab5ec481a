import Foundation
import Logging
import PlatformDatabase
import PlatformSupport
import PlatformTesting
import PostgresNIO
import Testing

@Suite("Migrations")
struct MigrationTests {
    let logger = Logger(label: "tests.migrations")

    func runner(migrations: URL? = nil) -> MigrationRunner {
        let paths = TestDatabases.projectPaths
        return MigrationRunner(migrationsDirectory: migrations ?? paths.migrations, policiesDirectory: paths.policies, logger: logger)
    }

    @Test("apply to an empty database, then re-running is a no-op")
    func appliesThenNoOp() async throws {
        let handle = try await TestDatabases.shared.empty("migrate_empty")
        defer { Task { await TestDatabases.shared.drop(handle) } }
        let first = try await runner().run(url: handle.owner)
        #expect(first.applied.first == "0001_foundation.sql")
        #expect(first.alreadyApplied == 0)
        let second = try await runner().run(url: handle.owner)
        #expect(second.applied.isEmpty)
        #expect(second.alreadyApplied == first.applied.count)
        let tables = try await handle.owner.withSingleConnection(logger: logger) { connection in
            try await connection.query("SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('tenants', 'users', 'tenant_memberships')", logger: logger)
                .collect().first?.decode(Int.self) ?? 0
        }
        #expect(tables == 3)
    }

    @Test("an edited, already-applied migration is refused with a clear message")
    func editedMigrationRefused() async throws {
        let handle = try await TestDatabases.shared.empty("migrate_edited")
        defer { Task { await TestDatabases.shared.drop(handle) } }
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: TestDatabases.projectPaths.migrations, to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        _ = try await runner(migrations: copy).run(url: handle.owner)

        let file = copy.appendingPathComponent("0001_foundation.sql")
        let edited = try String(contentsOf: file, encoding: .utf8) + "\n-- an innocent-looking edit\n"
        try edited.write(to: file, atomically: true, encoding: .utf8)
        let error = await #expect(throws: MigrationError.self) { try await runner(migrations: copy).run(url: handle.owner) }
        #expect(error?.description.contains("0001_foundation.sql was edited after it was applied") == true)
    }

    @Test("a badly named migration file is refused")
    func badNameRefused() throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: copy) }
        try "SELECT 1;".write(to: copy.appendingPathComponent("2-oops.sql"), atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.self) { try runner(migrations: copy).loadMigrations() }
    }

    @Test("concurrent migrators are serialised: each migration is applied exactly once")
    func concurrentRunners() async throws {
        let handle = try await TestDatabases.shared.empty("migrate_concurrent")
        defer { Task { await TestDatabases.shared.drop(handle) } }
        let reports = try await withThrowingTaskGroup(of: MigrationRunner.Report.self) { group in
            for _ in 0..<4 { group.addTask { try await runner().run(url: handle.owner) } }
            var reports: [MigrationRunner.Report] = []
            for try await report in group { reports.append(report) }
            return reports
        }
        #expect(reports.map(\.applied.count).reduce(0, +) == reports[0].applied.count + reports[0].alreadyApplied)
        #expect(reports.filter { !$0.applied.isEmpty }.count == 1)
    }
}

@Suite("SQL script splitting")
struct SQLScriptTests {
    @Test func splitsRespectingQuotesAndDollarQuoting() {
        let script = """
            -- comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'semi;colon');
            /* block; comment */
            CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;
            DO $body$ BEGIN PERFORM 1; END $body$;
            SELECT "odd;name" FROM a;
            -- trailing comment
            """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 4)
        #expect(statements[0].hasSuffix("DEFAULT 'semi;colon')"))
        #expect(statements[1].contains("$$ SELECT 1; $$"))
        #expect(statements[2].contains("PERFORM 1; END $body$"))
        #expect(statements[3] == #"SELECT "odd;name" FROM a"#)
    }
}
