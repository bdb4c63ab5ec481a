import Foundation

/// Where the SQL the platform applies lives: `PLATFORM_MIGRATIONS_DIR` / `PLATFORM_POLICIES_DIR`,
/// else the nearest `migrations/` and `policies/` above the working directory or the executable.
public struct ProjectPaths: Sendable {
    public var migrations: URL
    public var policies: URL

    public init(migrations: URL, policies: URL) {
        self.migrations = migrations
        self.policies = policies
    }

    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ProjectPaths {
        if let migrations = environment["PLATFORM_MIGRATIONS_DIR"], let policies = environment["PLATFORM_POLICIES_DIR"] {
            return ProjectPaths(migrations: URL(fileURLWithPath: migrations), policies: URL(fileURLWithPath: policies))
        }
        let starts = [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
            URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent(),
        ]
        for start in starts {
            var directory = start.standardizedFileURL
            while true {
                let migrations = directory.appendingPathComponent("migrations")
                let policies = directory.appendingPathComponent("policies")
                if FileManager.default.fileExists(atPath: migrations.path) && FileManager.default.fileExists(atPath: policies.path) {
                    return ProjectPaths(migrations: migrations, policies: policies)
                }
                if directory.path == "/" { break }
                directory.deleteLastPathComponent()
            }
        }
        throw ConfigurationError(
            "PLATFORM_MIGRATIONS_DIR and PLATFORM_POLICIES_DIR are not set and no migrations/ and policies/ folders were found above \(starts[0].path)")
    }
}
