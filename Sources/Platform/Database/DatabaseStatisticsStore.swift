import Foundation

/// What the database says about itself, for the administrators' database report.
public struct DatabaseStatisticsStore: Sendable {
    public struct Server: Decodable, Sendable {
        public var serverVersion: String
        public var database: String
        public var sizeBytes: Int64
    }

    public struct MigrationState: Decodable, Sendable {
        public var applied: Int
        public var latest: String?
    }

    public struct TableStatistics: Decodable, Sendable {
        public var name: String
        public var rowsEstimate: Int64
        public var sizeBytes: Int64
    }

    public init() {}

    public func server(in tx: DatabaseTransaction) async throws -> Server? {
        try await tx.row(
            "SELECT current_setting('server_version') AS server_version, current_database() AS database, pg_database_size(current_database()) AS size_bytes",
            decoding: Server.self)
    }

    public func migrations(in tx: DatabaseTransaction) async throws -> MigrationState? {
        try await tx.row("SELECT count(*)::int AS applied, max(name) AS latest FROM schema_migrations", decoding: MigrationState.self)
    }

    public func tables(in tx: DatabaseTransaction) async throws -> [TableStatistics] {
        try await tx.rows(
            """
            SELECT relname::text AS name, n_live_tup AS rows_estimate, pg_total_relation_size(relid) AS size_bytes FROM pg_stat_user_tables
            WHERE schemaname = 'public' ORDER BY relname
            """, decoding: TableStatistics.self)
    }
}
