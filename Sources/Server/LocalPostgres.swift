import Crypto
import Foundation
import Logging
import PlatformDatabase
import PlatformServices
import PlatformSupport
import PostgresNIO

/// A private PostgreSQL cluster under the data directory, for a newcomer's first `serve` and
/// for the test command. Created on first use, reused afterwards. When run as root the server
/// runs as the `postgres` user, since PostgreSQL refuses root.
struct LocalPostgres {
    struct Credentials: Codable {
        var superuserPassword: String
        var ownerPassword: String
        var runtimePassword: String
    }

    static let ownerRole = "platform_owner"
    static let runtimeRole = "platform_app"
    static let databaseName = "platform"

    let directory: URL
    let port: Int
    /// Trades durability for speed (fsync off): for throwaway test clusters.
    let ephemeral: Bool
    let logger: Logger
    /// Extra server settings (`name=value`), applied when this call starts the server.
    var settings: [String] = []

    var clusterDirectory: URL { directory.appendingPathComponent("cluster") }
    var credentialsFile: URL { directory.appendingPathComponent("credentials.json") }
    var logFile: URL { directory.appendingPathComponent("postgres.log") }

    /// Starts the cluster if it is not running; returns the runtime and owner URLs and
    /// whether this call started it.
    func start() async throws -> (runtime: DatabaseURL, owner: DatabaseURL, started: Bool) {
        let binaries = try Self.binaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let credentials = try loadOrCreateCredentials()
        let postgresUser = try Self.isRoot() ? "postgres" : nil
        if let postgresUser {
            try run("/bin/chown", [postgresUser, directory.path])
            if try run("/usr/bin/test", ["-w", directory.path], as: postgresUser, allowFailure: true) != 0 {
                throw ConfigurationError(
                    "PLATFORM_DATA_DIR: the postgres user cannot reach \(directory.path) (a parent folder is private); set PLATFORM_DATA_DIR to a folder such as /var/lib/platform")
            }
        }

        if !FileManager.default.fileExists(atPath: clusterDirectory.appendingPathComponent("PG_VERSION").path) {
            logger.info("creating a local PostgreSQL cluster", metadata: ["path": .string(clusterDirectory.path)])
            let passwordFile = directory.appendingPathComponent("initdb.pw")
            try Data(credentials.superuserPassword.utf8).write(to: passwordFile)
            defer { try? FileManager.default.removeItem(at: passwordFile) }
            if let postgresUser { try run("/bin/chown", [postgresUser, passwordFile.path]) }
            try run(
                binaries.appendingPathComponent("initdb").path,
                ["-D", clusterDirectory.path, "-U", "postgres", "--auth=scram-sha-256", "--pwfile=\(passwordFile.path)",
                 "-E", "UTF8", "--locale=C"],
                as: postgresUser)
        }

        var started = false
        if try run(binaries.appendingPathComponent("pg_ctl").path, ["status", "-D", clusterDirectory.path], as: postgresUser, allowFailure: true) != 0 {
            var options = "-p \(port) -c listen_addresses=127.0.0.1 -k \(clusterDirectory.path) -c max_connections=300"
            if ephemeral { options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off" }
            for setting in settings where setting.wholeMatch(of: /[a-z_.]+=[A-Za-z0-9_.,-]+/) != nil { options += " -c \(setting)" }
            try run(
                binaries.appendingPathComponent("pg_ctl").path,
                ["start", "-D", clusterDirectory.path, "-l", logFile.path, "-w", "-t", "60", "-o", options],
                as: postgresUser)
            started = true
        }

        let host = "127.0.0.1"
        let superuser = DatabaseURL(host: host, port: port, username: "postgres", password: credentials.superuserPassword, database: "postgres", sslMode: .disable)
        try await provision(superuser: superuser, credentials: credentials)
        return (
            DatabaseURL(host: host, port: port, username: Self.runtimeRole, password: credentials.runtimePassword, database: Self.databaseName, sslMode: .disable),
            DatabaseURL(host: host, port: port, username: Self.ownerRole, password: credentials.ownerPassword, database: Self.databaseName, sslMode: .disable),
            started
        )
    }

    func stop() throws {
        let binaries = try Self.binaryDirectory()
        try run(
            binaries.appendingPathComponent("pg_ctl").path, ["stop", "-D", clusterDirectory.path, "-m", "fast", "-w"],
            as: try Self.isRoot() ? "postgres" : nil, allowFailure: true)
    }

    /// Roles and database, idempotently: the owner migrates (and may create test databases),
    /// the runtime login role is a member of `platform_runtime` and nothing more.
    func provision(superuser: DatabaseURL, credentials: Credentials) async throws {
        try await superuser.withSingleConnection(logger: logger) { connection in
                let statements = [
                    """
                    DO $$ BEGIN
                      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'platform_runtime') THEN
                        CREATE ROLE platform_runtime NOLOGIN NOBYPASSRLS;
                      END IF;
                      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(Self.ownerRole)') THEN
                        CREATE ROLE \(Self.ownerRole) LOGIN CREATEDB CREATEROLE PASSWORD '\(credentials.ownerPassword)';
                      END IF;
                      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(Self.runtimeRole)') THEN
                        CREATE ROLE \(Self.runtimeRole) LOGIN NOBYPASSRLS PASSWORD '\(credentials.runtimePassword)';
                      END IF;
                    END $$
                    """,
                    "GRANT platform_runtime TO \(Self.runtimeRole)",
                ]
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                let exists = try await connection.query(
                    "SELECT 1 FROM pg_database WHERE datname = \(Self.databaseName)", logger: logger
                ).collect().count > 0
                if !exists {
                    try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(Self.databaseName) OWNER \(Self.ownerRole)"), logger: logger)
                }
        }
    }

    func loadOrCreateCredentials() throws -> Credentials {
        if let data = try? Data(contentsOf: credentialsFile) {
            return try JSONDecoder().decode(Credentials.self, from: data)
        }
        func secret() -> String {
            SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
        }
        let credentials = Credentials(superuserPassword: secret(), ownerPassword: secret(), runtimePassword: secret())
        try JSONEncoder().encode(credentials).write(to: credentialsFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: credentialsFile.path)
        return credentials
    }

    /// `PG_BIN_DIR`, else the newest `/usr/lib/postgresql/*/bin`, else the directory of `initdb` on PATH.
    static func binaryDirectory() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        if let configured = environment["PG_BIN_DIR"], !configured.isEmpty { return URL(fileURLWithPath: configured) }
        let root = "/usr/lib/postgresql"
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: root) {
            let newest = versions.compactMap { Int($0) }.sorted().last
            if let newest, FileManager.default.fileExists(atPath: "\(root)/\(newest)/bin/initdb") {
                return URL(fileURLWithPath: "\(root)/\(newest)/bin")
            }
        }
        for directory in (environment["PATH"] ?? "").split(separator: ":") where FileManager.default.fileExists(atPath: "\(directory)/initdb") {
            return URL(fileURLWithPath: String(directory))
        }
        throw ConfigurationError("DATABASE_URL is not set and no PostgreSQL server binaries (initdb, pg_ctl) were found; install postgresql or set PG_BIN_DIR")
    }

    static func isRoot() throws -> Bool {
        getuid() == 0
    }

    /// Runs a command to completion with its output in a temporary file. Uses posix_spawn and
    /// waitpid rather than Foundation's Process, whose exit detection waits for descriptors that
    /// the daemon `pg_ctl start` leaves behind.
    @discardableResult
    func run(_ executable: String, _ arguments: [String], as user: String? = nil, allowFailure: Bool = false) throws -> Int32 {
        let argv = user.map { ["/usr/sbin/runuser", "-u", $0, "--", executable] + arguments } ?? [executable] + arguments
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("platform-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else {
            throw ConfigurationError("cannot start \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        if exitCode != 0 && !allowFailure {
            let text = ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            throw ConfigurationError("\(URL(fileURLWithPath: executable).lastPathComponent) failed: \(text.split(separator: "\n").suffix(3).joined(separator: " / "))")
        }
        return exitCode
    }
}
