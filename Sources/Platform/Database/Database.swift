import Foundation
import Logging
import PlatformSupport
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The runtime's way to the data. Tenant work goes through `withTenant`, which pins the
/// tenant, user and data scope for one transaction; work with no tenant goes through the
/// explicitly named `withPlatformScope`. Runs the connection pool as a service.
public final class Database: Service, Sendable {
    public let client: PostgresClient
    public let logger: Logger
    public let maxConnections: Int
    let url: DatabaseURL
    private let inFlight = Atomic<Int>(0)
    private let poolObserver = Mutex<PoolObserver?>(nil)

    /// Told when a transaction starts and stops waiting for a pooled connection, and how long
    /// the wait (with BEGIN) took: the pool's saturation, for metrics.
    public struct PoolObserver: Sendable {
        public var waiting: @Sendable (_ started: Bool) -> Void
        public var acquired: @Sendable (Duration) -> Void

        public init(waiting: @escaping @Sendable (Bool) -> Void, acquired: @escaping @Sendable (Duration) -> Void) {
            self.waiting = waiting
            self.acquired = acquired
        }
    }

    public func observePool(_ observer: PoolObserver) {
        poolObserver.withLock { $0 = observer }
    }

    public init(url: DatabaseURL, maxConnections: Int, logger: Logger) {
        self.client = PostgresClient(configuration: url.clientConfiguration(maxConnections: maxConnections), backgroundLogger: logger)
        self.url = url
        self.logger = logger
        self.maxConnections = maxConnections
    }

    public func run() async throws {
        await client.run()
    }

    /// Connections currently lent out by this process.
    public var connectionsInUse: Int { inFlight.load(ordering: .relaxed) }

    /// Runs `body` in a transaction that sees only `scope`'s tenant. The settings are
    /// transaction-local, so the pooled connection carries nothing over to its next user.
    public func withTenant<Result: Sendable>(
        _ scope: TenantScope,
        _ body: (DatabaseTransaction) async throws -> Result
    ) async throws -> Result {
        try await transaction { connection in
            try await connection.query(
                """
                SELECT set_config('app.scope', 'tenant', true),
                       set_config('app.tenant_id', \(scope.tenantID.uuidString.lowercased()), true),
                       set_config('app.user_id', \(scope.userID?.uuidString.lowercased() ?? ""), true),
                       set_config('app.data_scope', \(scope.dataScope.rawValue), true),
                       set_config('app.role_ids', \(scope.roleIDs.map { $0.uuidString.lowercased() }.joined(separator: ",")), true)
                """,
                logger: logger)
            return try await body(DatabaseTransaction(connection: connection, logger: logger))
        }
    }

    /// Platform-level work that belongs to no tenant (login lookup, tenant administration,
    /// background maintenance). Policies admit it through `app.scope = 'platform'`; every call
    /// site of this method is a place where tenant isolation is deliberately widened.
    public func withPlatformScope<Result: Sendable>(
        _ body: (DatabaseTransaction) async throws -> Result
    ) async throws -> Result {
        try await transaction { connection in
            try await connection.query("SELECT set_config('app.scope', 'platform', true)", logger: logger)
            return try await body(DatabaseTransaction(connection: connection, logger: logger))
        }
    }

    /// One statement outside any transaction, for the SQL functions in `policies/` that scope
    /// themselves (set their `app.*` settings transaction-locally and restore them): a single
    /// round trip where a scoped transaction would take four.
    public func selfScopedStatement<each T: PostgresDecodable>(_ query: PostgresQuery, as types: (repeat each T).Type) async throws -> (repeat each T)? {
        let rows = try await client.withConnection { connection in
            try await connection.query(query, logger: logger).collect()
        }
        return try rows.first?.decode((repeat each T).self)
    }

    /// A connection of its own, outside the pool, for work that holds one for long (LISTEN):
    /// listeners never take connections away from requests.
    public func withDedicatedConnection<Result: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        try await url.withSingleConnection(logger: logger, body)
    }

    /// Round-trip time of `SELECT 1`.
    public func ping() async throws -> Duration {
        let clock = ContinuousClock()
        let started = clock.now
        try await client.withConnection { connection in
            try await connection.query("SELECT 1", logger: self.logger)
        }
        return clock.now - started
    }

    private func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        inFlight.add(1, ordering: .relaxed)
        defer { inFlight.subtract(1, ordering: .relaxed) }
        let wait = poolObserver.withLock { $0 }.map { PoolWait(observer: $0) }
        defer { wait?.end(acquired: false) }
        do {
            return try await client.withTransaction(logger: logger) { connection in
                wait?.end(acquired: true)
                return try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            // Hand back what actually went wrong (an APIError from the closure, a constraint
            // violation at commit) rather than the wrapper; the rollback has already happened.
            throw error.closureError ?? error.commitError ?? error.beginError ?? error.rollbackError ?? error
        }
    }
}

/// A connection inside a scoped transaction; repositories run their SQL through it.
public struct DatabaseTransaction: Sendable {
    public let connection: PostgresConnection
    public let logger: Logger

    @discardableResult
    public func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> PostgresRowSequence {
        try await connection.query(query, logger: logger, file: file, line: line)
    }

    /// Runs a statement and returns how many rows it touched (or returned).
    @discardableResult
    public func execute(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> Int {
        var count = 0
        for try await _ in try await connection.query(query, logger: logger, file: file, line: line) { count += 1 }
        return count
    }

    /// The first row decoded as `T`, or nil.
    public func first<each T: PostgresDecodable>(_ query: PostgresQuery, as types: (repeat each T).Type, file: String = #fileID, line: Int = #line) async throws -> (repeat each T)? {
        for try await row in try await connection.query(query, logger: logger, file: file, line: line).decode((repeat each T).self) {
            return row
        }
        return nil
    }

    /// All rows decoded as `T`.
    public func all<each T: PostgresDecodable>(_ query: PostgresQuery, as types: (repeat each T).Type, file: String = #fileID, line: Int = #line) async throws -> [(repeat each T)] {
        var rows: [(repeat each T)] = []
        for try await row in try await connection.query(query, logger: logger, file: file, line: line).decode((repeat each T).self) {
            rows.append(row)
        }
        return rows
    }
}

/// Maps database errors a client can cause to API errors; anything else stays a 500.
public enum DatabaseErrors {
    public static func sqlState(_ error: PSQLError) -> String? {
        error.serverInfo?[.sqlState]
    }

    public static func apiError(for error: PSQLError) -> APIError? {
        switch error.code {
        case .connectionError, .serverClosedConnection, .poolClosed, .clientClosedConnection:
            return .serviceUnavailable
        case .server:
            switch sqlState(error) {
            case "23505": return .conflict("A record with the same unique value already exists", code: "ALREADY_EXISTS")
            case "23503": return .conflict("The record refers to, or is referred to by, another record", code: "REFERENCE_CONFLICT")
            case "23514", "23502": return .validation([:], message: "A value is outside what the field accepts")
            case "22003": return .validation([:], message: "A number is out of range")
            case "22001": return .validation([:], message: "A text value is too long")
            case "22021", "22P05": return .validation([:], message: "Text must not contain NUL characters or invalid UTF-8")
            case "22P02", "22007", "22008": return .validation([:], message: "A value has the wrong format")
            case "40001", "40P01": return APIError(.serviceUnavailable, code: "RETRY", message: "A concurrent change interfered; retry the request")
            case "57014": return APIError(.serviceUnavailable, code: "TIMEOUT", message: "The database took too long to answer")
            case "53300": return .serviceUnavailable
            default: return nil
            }
        default:
            return nil
        }
    }
}

/// One transaction's wait for a connection, reported once whichever way it ends.
final class PoolWait: Sendable {
    let observer: Database.PoolObserver
    let asked = ContinuousClock.now
    let ended = Mutex(false)

    init(observer: Database.PoolObserver) {
        self.observer = observer
        observer.waiting(true)
    }

    func end(acquired: Bool) {
        guard ended.withLock({ ended in defer { ended = true }; return !ended }) else { return }
        observer.waiting(false)
        if acquired { observer.acquired(ContinuousClock.now - asked) }
    }
}
