import Foundation
import NIOCore
import PlatformDatabase
import PlatformSupport

/// A verified connection as written.
struct ConnectionFields: Sendable {
    var platform: SocialNetwork
    var identity: SocialIdentity
    var sealedCredentials: ByteBuffer
    var tokenExpiresAt: Date?
    var platformAccountID: UUID?
    var connectedBy: UUID?
}

/// Every statement on `social_connections`.
struct SocialConnectionStore: Sendable {
    static let columns = """
        c.id, c.platform, c.account, c.remote_account_id, c.display_name, c.followers, c.token_expires_at, c.platform_account_id,
        c.checked_at, c.last_error, c.created_at, c.updated_at
        """

    func find(_ platform: SocialNetwork, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredConnection? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM social_connections c WHERE c.tenant_id = \(tenantID) AND c.platform = \(platform.rawValue)",
            decoding: StoredConnection.self)
    }

    func all(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [StoredConnection] {
        try await tx.rows(
            "SELECT \(unescaped: Self.columns) FROM social_connections c WHERE c.tenant_id = \(tenantID) ORDER BY c.platform",
            decoding: StoredConnection.self)
    }

    /// The sealed credentials; `locking` holds the row until the transaction ends (one refresh at a time).
    func sealed(_ platform: SocialNetwork, tenantID: UUID, locking: Bool, in tx: DatabaseTransaction) async throws -> ByteBuffer? {
        try await tx.value(
            """
            SELECT c.sealed_credentials FROM social_connections c WHERE c.tenant_id = \(tenantID) AND c.platform = \(platform.rawValue)
            \(unescaped: locking ? "FOR UPDATE" : "")
            """, as: ByteBuffer.self)
    }

    /// Connects (or reconnects) the tenant's account on the network.
    func upsert(_ fields: ConnectionFields, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredConnection? {
        try await tx.row(
            """
            INSERT INTO social_connections AS c (tenant_id, id, platform, account, remote_account_id, display_name, followers, sealed_credentials,
                                                 token_expires_at, platform_account_id, connected_by)
            VALUES (\(tenantID), \(UUID.v7()), \(fields.platform.rawValue), \(fields.identity.account), \(fields.identity.remoteID),
                    \(fields.identity.displayName), \(fields.identity.followers), \(fields.sealedCredentials), \(fields.tokenExpiresAt),
                    \(fields.platformAccountID), \(fields.connectedBy))
            ON CONFLICT (tenant_id, platform) DO UPDATE SET
                account = EXCLUDED.account, remote_account_id = EXCLUDED.remote_account_id, display_name = EXCLUDED.display_name,
                followers = EXCLUDED.followers, sealed_credentials = EXCLUDED.sealed_credentials, token_expires_at = EXCLUDED.token_expires_at,
                platform_account_id = EXCLUDED.platform_account_id, connected_by = EXCLUDED.connected_by, checked_at = now(), last_error = NULL,
                updated_at = now()
            RETURNING \(unescaped: Self.columns)
            """, decoding: StoredConnection.self)
    }

    func updateCredentials(_ platform: SocialNetwork, sealed: ByteBuffer, expiresAt: Date?, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE social_connections AS c SET sealed_credentials = \(sealed), token_expires_at = \(expiresAt), updated_at = now()
            WHERE c.tenant_id = \(tenantID) AND c.platform = \(platform.rawValue)
            """)
    }

    /// Records a fresh profile read (its followers and handle), or why it failed.
    func recordCheck(_ platform: SocialNetwork, identity: SocialIdentity?, error: String?, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE social_connections AS c SET
                account = coalesce(\(identity?.account), c.account), followers = CASE WHEN \(identity != nil) THEN \(identity?.followers) ELSE c.followers END,
                display_name = coalesce(\(identity?.displayName), c.display_name),
                checked_at = CASE WHEN \(identity != nil) THEN now() ELSE c.checked_at END, last_error = \(error.map { String($0.prefix(2000)) })
            WHERE c.tenant_id = \(tenantID) AND c.platform = \(platform.rawValue)
            """)
    }

    func usesAccount(_ accountID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value("SELECT 1 FROM social_connections WHERE tenant_id = \(tenantID) AND platform_account_id = \(accountID)", as: Int.self) != nil
    }
}
