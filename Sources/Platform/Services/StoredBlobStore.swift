import Foundation
import PlatformDatabase

/// Every statement on `stored_blobs`, the reference counts of content-addressed blobs. The
/// counts themselves are kept by triggers on the tables that hold blobs (migration 0010).
public struct StoredBlobStore: Sendable {
    public struct Candidate: Decodable, Sendable {
        public var tenantId: UUID
        public var sha256: String
    }

    public init() {}

    /// Unreferenced blobs past the grace period, locked for this transaction (others skip them).
    func unreferenced(graceSeconds: Int, limit: Int, in tx: DatabaseTransaction) async throws -> [Candidate] {
        try await tx.rows(
            """
            SELECT tenant_id, sha256 FROM stored_blobs
            WHERE ref_count = 0 AND unreferenced_since < now() - \(graceSeconds) * interval '1 second'
            ORDER BY unreferenced_since LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """, decoding: Candidate.self)
    }

    func forget(_ candidate: Candidate, in tx: DatabaseTransaction) async throws {
        try await tx.run("DELETE FROM stored_blobs WHERE tenant_id = \(candidate.tenantId) AND sha256 = \(candidate.sha256) AND ref_count = 0")
    }

    /// Which of `hashes` the tenant has a row for (referenced now, or recently).
    func known(_ hashes: [String], tenantID: UUID, in tx: DatabaseTransaction) async throws -> Set<String> {
        Set(try await tx.rows("SELECT sha256 FROM stored_blobs WHERE tenant_id = \(tenantID) AND sha256 = ANY(\(hashes))", decoding: Row.self).map(\.sha256))
    }

    struct Row: Decodable { var sha256: String }

    /// A blob's reference count (nil: no row), for tests and reports.
    public func referenceCount(tenantID: UUID, sha256: String, in tx: DatabaseTransaction) async throws -> Int? {
        try await tx.value("SELECT ref_count FROM stored_blobs WHERE tenant_id = \(tenantID) AND sha256 = \(sha256)", as: Int.self)
    }
}
