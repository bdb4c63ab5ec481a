import Foundation
import PlatformDatabase
import PlatformSupport

/// Which posts a list shows: with a network, the posts going there (and its status); without,
/// all (and the post's summary status).
struct SocialPostFilter: Sendable {
    var tenantID: UUID
    var platform: SocialNetwork?
    var status: String?

    var condition: SQL {
        """
        p.tenant_id = \(tenantID) AND p.deleted_at IS NULL
        AND (\(platform?.rawValue)::text IS NULL OR EXISTS (
            SELECT 1 FROM social_post_targets d WHERE d.tenant_id = p.tenant_id AND d.post_id = p.id AND d.platform = \(platform?.rawValue)
              AND (\(status)::text IS NULL OR d.status = \(status))))
        AND (\(platform?.rawValue)::text IS NOT NULL OR \(status)::text IS NULL OR p.status = \(status))
        """
    }
}

/// Every statement on `social_posts` and `social_post_targets`.
struct SocialPostStore: Sendable {
    static let columns = "p.id, p.content, p.images, p.hashtags, p.scheduled_at, p.status, p.created_at, p.updated_at, p.deleted_at"
    static let deliveryColumns = """
        d.post_id, d.platform, d.content, d.status, d.remote_id, d.remote_url, d.error, d.attempts, d.quota_counted, d.published_at, d.updated_at
        """

    func insertPost(
        id: UUID, content: String, images: [String], hashtags: [String], scheduledAt: Date?, tenantID: UUID, ownerID: UUID?, in tx: DatabaseTransaction
    ) async throws -> StoredPost? {
        try await tx.row(
            """
            INSERT INTO social_posts AS p (tenant_id, id, owner_id, content, images, hashtags, scheduled_at)
            VALUES (\(tenantID), \(id), \(ownerID), \(content), \(images), \(hashtags), \(scheduledAt))
            RETURNING \(unescaped: Self.columns)
            """, decoding: StoredPost.self)
    }

    func insertDelivery(
        post: UUID, platform: SocialNetwork, position: Int, content: String, taskID: UUID, tenantID: UUID, in tx: DatabaseTransaction
    ) async throws {
        try await tx.run(
            """
            INSERT INTO social_post_targets (tenant_id, post_id, platform, position, content, task_id)
            VALUES (\(tenantID), \(post), \(platform.rawValue), \(position), \(content), \(taskID))
            """)
    }

    func find(_ id: UUID, tenantID: UUID, includingDeleted: Bool = false, in tx: DatabaseTransaction) async throws -> StoredPost? {
        try await tx.row(
            """
            SELECT \(unescaped: Self.columns) FROM social_posts p
            WHERE p.tenant_id = \(tenantID) AND p.id = \(id) AND (\(includingDeleted) OR p.deleted_at IS NULL)
            """, decoding: StoredPost.self)
    }

    func list(_ filter: SocialPostFilter, page: PageRequest, in tx: DatabaseTransaction) async throws -> [StoredPost] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM social_posts p WHERE \(filter.condition)
            ORDER BY coalesce(p.scheduled_at, p.created_at) DESC, p.id DESC LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: StoredPost.self)
    }

    func count(_ filter: SocialPostFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM social_posts p WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    func deliveries(of posts: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [StoredDelivery] {
        guard !posts.isEmpty else { return [] }
        return try await tx.rows(
            """
            SELECT \(unescaped: Self.deliveryColumns) FROM social_post_targets d
            WHERE d.tenant_id = \(tenantID) AND d.post_id = ANY(\(posts)) ORDER BY d.post_id, d.position, d.platform
            """, decoding: StoredDelivery.self)
    }

    /// One delivery; `locking` holds it until the transaction ends.
    func delivery(_ post: UUID, _ platform: SocialNetwork, tenantID: UUID, locking: Bool, in tx: DatabaseTransaction) async throws -> StoredDelivery? {
        try await tx.row(
            """
            SELECT \(unescaped: Self.deliveryColumns) FROM social_post_targets d
            WHERE d.tenant_id = \(tenantID) AND d.post_id = \(post) AND d.platform = \(platform.rawValue) \(unescaped: locking ? "FOR UPDATE" : "")
            """, decoding: StoredDelivery.self)
    }

    func markPublishing(_ post: UUID, _ platform: SocialNetwork, attempt: Int, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE social_post_targets AS d SET status = 'publishing', attempts = \(attempt), updated_at = now()
            WHERE d.tenant_id = \(tenantID) AND d.post_id = \(post) AND d.platform = \(platform.rawValue)
            """)
    }

    func markQuotaCounted(_ post: UUID, _ platform: SocialNetwork, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE social_post_targets AS d SET quota_counted = true
            WHERE d.tenant_id = \(tenantID) AND d.post_id = \(post) AND d.platform = \(platform.rawValue)
            """)
    }

    /// Records the network's post; when the post was deleted meanwhile the delivery becomes
    /// `deleting` (returned), so that it is removed from the network too.
    func markPublished(_ post: UUID, _ platform: SocialNetwork, remoteID: String, url: String?, tenantID: UUID, in tx: DatabaseTransaction) async throws -> DeliveryStatus? {
        try await tx.value(
            """
            UPDATE social_post_targets AS d SET
                status = CASE WHEN (SELECT p.deleted_at FROM social_posts p WHERE p.tenant_id = d.tenant_id AND p.id = d.post_id) IS NULL
                              THEN 'published' ELSE 'deleting' END,
                remote_id = \(remoteID), remote_url = \(url.map { String($0.prefix(2000)) }), error = NULL, published_at = now(), updated_at = now()
            WHERE d.tenant_id = \(tenantID) AND d.post_id = \(post) AND d.platform = \(platform.rawValue)
            RETURNING d.status
            """, as: String.self).flatMap(DeliveryStatus.init(rawValue:))
    }

    /// Records a failed attempt: `final` makes the delivery `failed`, else it stays
    /// `publishing` (a retry is due) with the error noted.
    func markFailed(_ post: UUID, _ platform: SocialNetwork, error: String, final: Bool, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE social_post_targets AS d SET status = CASE WHEN \(final) THEN 'failed' ELSE d.status END,
                error = \(String(error.prefix(2000))), updated_at = now()
            WHERE d.tenant_id = \(tenantID) AND d.post_id = \(post) AND d.platform = \(platform.rawValue) AND d.status IN ('scheduled', 'publishing')
            """)
    }

    /// Takes the post's row lock. Every transaction that changes a post's deliveries takes it
    /// first, so they queue per post (always post before delivery: no deadlock) and each
    /// summary is computed from what the previous one committed.
    func lockPost(_ post: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("SELECT 1 FROM social_posts p WHERE p.tenant_id = \(tenantID) AND p.id = \(post) FOR UPDATE")
    }

    /// The post's summary status from its live deliveries (under the post's lock, in a
    /// statement of its own, so it sees every delivery committed before the lock was granted).
    func refreshStatus(_ post: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await lockPost(post, tenantID: tenantID, in: tx)
        try await tx.run(
            """
            UPDATE social_posts AS p SET status = s.status, updated_at = now()
            FROM (
                SELECT CASE
                    WHEN bool_and(d.status = 'published') THEN 'published'
                    WHEN bool_and(d.status = 'failed') THEN 'failed'
                    WHEN bool_or(d.status = 'publishing') THEN 'publishing'
                    WHEN bool_or(d.status = 'scheduled') THEN CASE WHEN bool_or(d.status IN ('published', 'failed')) THEN 'publishing' ELSE 'scheduled' END
                    ELSE 'partial' END AS status
                FROM social_post_targets d
                WHERE d.tenant_id = \(tenantID) AND d.post_id = \(post) AND d.status NOT IN ('deleting', 'deleted')
            ) s
            WHERE p.tenant_id = \(tenantID) AND p.id = \(post) AND s.status IS NOT NULL
            """)
    }

    /// Deletes the post (soft): published deliveries become `deleting` (returned, to be removed
    /// from their networks), the others `deleted`.
    func softDelete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [SocialNetwork]? {
        guard try await tx.run(
            "UPDATE social_posts AS p SET deleted_at = now(), updated_at = now() WHERE p.tenant_id = \(tenantID) AND p.id = \(id) AND p.deleted_at IS NULL RETURNING 1"
        ) > 0 else { return nil }
        return try await tx.rows(
            """
            UPDATE social_post_targets AS d SET status = CASE WHEN d.status = 'published' THEN 'deleting' ELSE 'deleted' END, updated_at = now()
            WHERE d.tenant_id = \(tenantID) AND d.post_id = \(id) AND d.status NOT IN ('deleting', 'deleted')
            RETURNING d.platform, d.status
            """, decoding: DeletedDelivery.self
        ).filter { $0.status == .deleting }.map(\.platform)
    }

    struct DeletedDelivery: Decodable, Sendable {
        var platform: SocialNetwork
        var status: DeliveryStatus
    }

    /// After a remote delete (or when there is nothing more to try): `deleted`, with a note.
    func markRemoved(_ post: UUID, _ platform: SocialNetwork, note: String?, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE social_post_targets AS d SET status = 'deleted', error = \(note.map { String($0.prefix(2000)) }), updated_at = now()
            WHERE d.tenant_id = \(tenantID) AND d.post_id = \(post) AND d.platform = \(platform.rawValue)
            """)
    }

    func noteError(_ post: UUID, _ platform: SocialNetwork, error: String, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE social_post_targets AS d SET error = \(String(error.prefix(2000))), updated_at = now()
            WHERE d.tenant_id = \(tenantID) AND d.post_id = \(post) AND d.platform = \(platform.rawValue)
            """)
    }
}
