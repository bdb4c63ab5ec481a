import Foundation
import Hummingbird
import PlatformDatabase
import PlatformSupport

/// Liveness (`/health`), readiness with diagnostics (`/api/v1/health?detailed=true`) and
/// VideoAnnotator's system report (`/api/v1/system/health`).
public struct HealthController: Sendable {
    public static let apiVersion = "1.0.0"

    let database: Database
    let storageDirectory: String
    let reporter: (any SystemHealthReporter)?
    let started = Date()

    /// - Parameter reporter: adds `workers` and `services` to `/api/v1/system/health` (the
    ///   annotation module's job workers).
    public init(database: Database, storageDirectory: String, reporter: (any SystemHealthReporter)? = nil) {
        self.database = database
        self.storageDirectory = storageDirectory
        self.reporter = reporter
    }

    public struct Liveness: Codable, Sendable, ResponseEncodable {
        public var status: String
    }

    public struct Health: Codable, Sendable, ResponseEncodable {
        public var status: String
        public var version: String
        public var timestamp: Date
        public var uptimeSeconds: Int
        public var details: Details?
    }

    public struct Details: Codable, Sendable {
        public var database: DatabaseCheck
        public var storage: StorageCheck
        public var pool: PoolStats
    }

    public struct DatabaseCheck: Codable, Sendable {
        public var status: String
        public var message: String
        public var latencyMs: Double?
    }

    public struct StorageCheck: Codable, Sendable {
        public var status: String
        public var path: String
        public var freeGb: Double?
        public var usedGb: Double?
        public var totalGb: Double?
        public var percentUsed: Double?
    }

    public struct PoolStats: Codable, Sendable {
        public var maxConnections: Int
        public var inUse: Int
    }

    public struct SystemHealth: Codable, Sendable, ResponseEncodable {
        public var status: String
        public var timestamp: Date
        public var apiVersion: String
        public var system: SystemInfo
        public var database: SystemDatabase
        public var uptimeSeconds: Int
        /// The job workers (VideoAnnotator's `workers` block), when a reporter is installed.
        public var workers: JSONValue?
        /// Each service's status (`services.database.status`, ...).
        public var services: [String: JSONValue]
        /// `security.auth_required`: the Video Annotation Viewer sends a token when it is true.
        public var security: Security
    }

    public struct Security: Codable, Sendable {
        public var authRequired: Bool
        public var authMethods: [String]
    }

    public struct SystemInfo: Codable, Sendable {
        public var platform: String
        public var cpuCount: Int
        public var memory: Memory
        public var disk: Disk
    }

    public struct Memory: Codable, Sendable {
        public var total: Int64
        public var available: Int64?
        public var used: Int64?
        public var percent: Double?
    }

    public struct Disk: Codable, Sendable {
        public var total: Int64?
        public var used: Int64?
        public var free: Int64?
        public var percent: Double?
    }

    public struct SystemDatabase: Codable, Sendable {
        public var status: String
        public var message: String
        public var latencyMs: Double?
    }

    public struct DatabaseInfo: Codable, Sendable, ResponseEncodable {
        public var status: String
        /// VideoAnnotator's fields: `backend_type`, `connection_info`, `statistics` (the caller's
        /// tenant's jobs, from the reporter) and `schema_version`.
        public var backendType: String
        public var connectionInfo: ConnectionInfo
        public var statistics: JSONValue
        public var schemaVersion: String?
        public var serverVersion: String
        public var database: String
        public var sizeBytes: Int64
        public var latencyMs: Double
        public var pool: PoolStats
        public var migrations: Migrations
        public var tables: [Table]
    }

    public struct ConnectionInfo: Codable, Sendable {
        public var database: String
        public var serverVersion: String
        public var databaseSizeMb: Double
    }

    public struct Migrations: Codable, Sendable {
        public var applied: Int
        public var latest: String?
    }

    public struct Table: Codable, Sendable {
        public var name: String
        public var rowsEstimate: Int64
        public var sizeBytes: Int64
    }

    struct HealthQuery: QueryInput {
        var detailed: Bool?
        static let parameterDocs: [String: QueryParameterDoc] = ["detailed": .init("Include diagnostics", default: false)]
    }

    public func register(in registry: RouteRegistry) {
        let routes = registry.group("", tag: "health")
        routes.get(
            "/api/v1/system/database", "Database version, size, pool, migrations and table statistics", .permission("platform:system:database"),
            responses: [.error(.serviceUnavailable, "Database unreachable")], use: databaseInfo)
        routes.get("/health", "Liveness: the process is up (does not touch the database)", .public, use: liveness)
        routes.get(
            "/api/v1/health", "Readiness, with ?detailed=true for database, storage and pool diagnostics", .public, query: HealthQuery.self,
            responses: [.json(.ok, Health.self, "Healthy"), .json(.serviceUnavailable, Health.self, "A critical part is down")], use: health)
        routes.get(
            "/api/v1/system/health", "System resources, database status and uptime", .public,
            responses: [.json(.ok, SystemHealth.self, "Healthy"), .json(.serviceUnavailable, SystemHealth.self, "Database unreachable")],
            use: systemHealth)
    }

    func liveness(_ request: Request, _ context: AppRequestContext) async throws -> Liveness {
        Liveness(status: "ok")
    }

    func health(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let detailed = try request.query(HealthQuery.self).detailed ?? false
        let databaseCheck = await checkDatabase()
        let healthy = databaseCheck.status == "ok"
        let body = Health(
            status: healthy ? "ok" : "unhealthy", version: Self.apiVersion, timestamp: Date(),
            uptimeSeconds: Int(Date().timeIntervalSince(started)),
            details: detailed
                ? Details(
                    database: databaseCheck, storage: checkStorage(),
                    pool: PoolStats(maxConnections: database.maxConnections, inUse: database.connectionsInUse))
                : nil)
        return try Self.json(body, status: healthy ? .ok : .serviceUnavailable)
    }

    func systemHealth(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let check = await checkDatabase()
        let disk = Self.diskUsage(storageDirectory)
        let memory = Self.memory()
        let body = SystemHealth(
            status: check.status == "ok" ? "healthy" : "unhealthy", timestamp: Date(), apiVersion: Self.apiVersion,
            system: SystemInfo(
                platform: ProcessInfo.processInfo.operatingSystemVersionString,
                cpuCount: ProcessInfo.processInfo.activeProcessorCount, memory: memory,
                disk: Disk(
                    total: disk?.total, used: disk.map { $0.total - $0.free }, free: disk?.free,
                    percent: disk.map { Self.round(Double($0.total - $0.free) / Double(max($0.total, 1)) * 100) })),
            database: SystemDatabase(
                status: check.status == "ok" ? "healthy" : "unhealthy", message: check.message, latencyMs: check.latencyMs),
            uptimeSeconds: Int(Date().timeIntervalSince(started)),
            workers: await reporter?.workers(for: context.principal?.tenantScope),
            services: [
                "database": ["status": .string(check.status == "ok" ? "healthy" : "unhealthy"), "message": .string(check.message)],
                "storage": ["status": .string(disk == nil ? "unhealthy" : "healthy")],
            ].merging(await reporter?.services() ?? [:]) { first, _ in first },
            security: Security(authRequired: true, authMethods: ["bearer_jwt", "bearer_api_key", "x_api_key"]))
        return try Self.json(body, status: check.status == "ok" ? .ok : .serviceUnavailable)
    }

    func databaseInfo(_ request: Request, _ context: AuthenticatedContext) async throws -> DatabaseInfo {
        let latency = try await database.ping()
        let jobs = await reporter?.statistics(for: context.tenant) ?? [:]
        return try await database.withPlatformScope { tx in
            let statistics = DatabaseStatisticsStore()
            let server = try await statistics.server(in: tx)
            let migrations = try await statistics.migrations(in: tx)
            let tables = try await statistics.tables(in: tx)
            let size = server?.sizeBytes ?? 0
            return DatabaseInfo(
                status: "healthy", backendType: "postgresql",
                connectionInfo: ConnectionInfo(
                    database: server?.database ?? "", serverVersion: server?.serverVersion ?? "",
                    databaseSizeMb: Self.round(Double(size) / 1_048_576)),
                statistics: jobs, schemaVersion: migrations?.latest,
                serverVersion: server?.serverVersion ?? "", database: server?.database ?? "", sizeBytes: size,
                latencyMs: Self.round(Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15),
                pool: PoolStats(maxConnections: database.maxConnections, inUse: database.connectionsInUse),
                migrations: Migrations(applied: migrations?.applied ?? 0, latest: migrations?.latest),
                tables: tables.map { Table(name: $0.name, rowsEstimate: $0.rowsEstimate, sizeBytes: $0.sizeBytes) })
        }
    }

    func checkDatabase() async -> DatabaseCheck {
        do {
            let latency = try await withDeadline(.seconds(3)) { try await database.ping() }
            let millis = Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15
            return DatabaseCheck(status: "ok", message: "Database is accessible", latencyMs: Self.round(millis))
        } catch {
            return DatabaseCheck(status: "error", message: "Database is not reachable", latencyMs: nil)
        }
    }

    func checkStorage() -> StorageCheck {
        guard let disk = Self.diskUsage(storageDirectory) else {
            return StorageCheck(status: "error", path: storageDirectory)
        }
        let gb = 1_073_741_824.0
        let used = disk.total - disk.free
        return StorageCheck(
            status: Double(disk.free) / Double(max(disk.total, 1)) < 0.02 ? "warning" : "ok", path: storageDirectory,
            freeGb: Self.round(Double(disk.free) / gb), usedGb: Self.round(Double(used) / gb),
            totalGb: Self.round(Double(disk.total) / gb),
            percentUsed: Self.round(Double(used) / Double(max(disk.total, 1)) * 100))
    }

    /// Free and total bytes of the file system holding `path` (or its nearest existing parent).
    static func diskUsage(_ path: String) -> (total: Int64, free: Int64)? {
        var candidate = URL(fileURLWithPath: path).standardizedFileURL
        while !FileManager.default.fileExists(atPath: candidate.path) && candidate.path != "/" {
            candidate.deleteLastPathComponent()
        }
        guard let attributes = try? FileManager.default.attributesOfFileSystem(forPath: candidate.path),
            let total = (attributes[.systemSize] as? NSNumber)?.int64Value,
            let free = (attributes[.systemFreeSize] as? NSNumber)?.int64Value
        else { return nil }
        return (total, free)
    }

    static func memory() -> Memory {
        let total = Int64(ProcessInfo.processInfo.physicalMemory)
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else {
            return Memory(total: total)
        }
        var available: Int64?
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            available = line.split(separator: " ").dropFirst().first.flatMap { Int64($0) }.map { $0 * 1024 }
        }
        guard let available else { return Memory(total: total) }
        return Memory(
            total: total, available: available, used: total - available,
            percent: round(Double(total - available) / Double(max(total, 1)) * 100))
    }

    static func round(_ value: Double) -> Double { (value * 100).rounded() / 100 }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        let data = try PlatformJSON.makeEncoder().encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: .init(bytes: data)))
    }
}

/// Runs `body`, failing with `CancellationError` when it takes longer than `timeout`.
public func withDeadline<Result: Sendable>(
    _ timeout: Duration, _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw CancellationError()
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        return first
    }
}

/// What a module adds to `/api/v1/system/health`: its workers and services.
public protocol SystemHealthReporter: Sendable {
    /// The workers block; `scope` is the caller's tenant when the request carried credentials
    /// (only then are job ids listed).
    func workers(for scope: TenantScope?) async -> JSONValue
    func services() async -> [String: JSONValue]
    /// The tenant's job counts for `/api/v1/system/database` (VideoAnnotator's `statistics`).
    func statistics(for scope: TenantScope) async -> JSONValue
}
