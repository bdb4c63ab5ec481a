import Foundation
import PlatformDatabase
import PlatformSupport

/// Every statement on `analysis_videos` and `analysis_video_snapshots`. Videos of deleted
/// accounts are gone with them.
struct VideoStore: Sendable {
    static let columns = """
        v.id, v.tenant_id, v.target_account_id, v.video_id, v.video_url, v.asset_id, v.title, v.description, v.thumbnail_url, v.duration,
        v.published_at, v.category_id, v.default_audio_language, v.analysis_results, v.analysis_status, v.analysis_error, v.is_downloaded,
        v.created_at, v.updated_at, v.deleted_at, ls.id AS snapshot_id, ls.views_count AS snapshot_views_count,
        ls.likes_count AS snapshot_likes_count, ls.comments_count AS snapshot_comments_count, ls.favorite_count AS snapshot_favorite_count,
        ls.collected_at AS snapshot_collected_at, ls.created_at AS snapshot_created_at
        """
    static let from = """
        analysis_videos v
        JOIN analysis_accounts a ON a.tenant_id = v.tenant_id AND a.id = v.target_account_id AND a.deleted_at IS NULL
        LEFT JOIN LATERAL (
            SELECT s.id, s.views_count, s.likes_count, s.comments_count, s.favorite_count, s.collected_at, s.created_at
            FROM analysis_video_snapshots s WHERE s.tenant_id = v.tenant_id AND s.video_id = v.id
            ORDER BY s.collected_at DESC, s.id DESC LIMIT 1
        ) ls ON true
        """
    static let snapshotColumns = "id, video_id, views_count, likes_count, comments_count, favorite_count, collected_at, created_at"

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredVideo? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from) WHERE v.tenant_id = \(tenantID) AND v.id = \(id) AND v.deleted_at IS NULL",
            decoding: StoredVideo.self)
    }

    /// A video by its `id`, or by the platform's `video_id` (the newest such row).
    func find(reference: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredVideo? {
        if let id = UUID(uuidString: reference) { return try await find(id, tenantID: tenantID, in: tx) }
        guard reference.wholeMatch(of: /[A-Za-z0-9_\-]{1,100}/) != nil else { return nil }
        return try await tx.row(
            """
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from)
            WHERE v.tenant_id = \(tenantID) AND v.video_id = \(reference) AND v.deleted_at IS NULL ORDER BY v.created_at DESC LIMIT 1
            """, decoding: StoredVideo.self)
    }

    /// Newest first, or most viewed first (by the latest snapshot); one account's or all.
    func list(
        tenantID: UUID, accountID: UUID?, sort: VideoSort, limit: Int, offset: Int, in tx: DatabaseTransaction
    ) async throws -> [StoredVideo] {
        let order = sort == .viewsCount ? "ls.views_count DESC NULLS LAST, v.published_at DESC NULLS LAST, v.id DESC" : "v.published_at DESC NULLS LAST, v.id DESC"
        return try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from)
            WHERE v.tenant_id = \(tenantID) AND v.deleted_at IS NULL AND (\(accountID)::uuid IS NULL OR v.target_account_id = \(accountID))
            ORDER BY \(unescaped: order) LIMIT \(limit) OFFSET \(offset)
            """, decoding: StoredVideo.self)
    }

    /// Oldest first.
    func snapshots(of id: UUID, tenantID: UUID, limit: Int, offset: Int, in tx: DatabaseTransaction) async throws -> [VideoSnapshotView] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.snapshotColumns) FROM analysis_video_snapshots WHERE tenant_id = \(tenantID) AND video_id = \(id)
            ORDER BY collected_at, id LIMIT \(limit) OFFSET \(offset)
            """, decoding: VideoSnapshotView.self)
    }

    /// Inserts or updates the account's video by its platform id and records a snapshot of its
    /// numbers; whether the video was new.
    @discardableResult
    func upsert(_ video: VideoDetails, accountID: UUID, tenantID: UUID, at collectedAt: Date, in tx: DatabaseTransaction) async throws -> Bool {
        struct Upserted: Decodable { var id: UUID; var inserted: Bool }
        guard let row = try await tx.row(
            """
            INSERT INTO analysis_videos AS v (tenant_id, id, target_account_id, video_id, video_url, title, description, thumbnail_url, duration,
                published_at, category_id, default_audio_language)
            VALUES (\(tenantID), \(UUID.v7()), \(accountID), \(video.videoId), \(video.videoUrl), \(video.title), \(video.description),
                \(video.thumbnailUrl), \(video.duration), \(video.publishedAt), \(video.categoryId), \(video.defaultAudioLanguage))
            ON CONFLICT (tenant_id, target_account_id, video_id) DO UPDATE SET
                title = EXCLUDED.title, description = EXCLUDED.description, thumbnail_url = EXCLUDED.thumbnail_url,
                duration = EXCLUDED.duration, published_at = EXCLUDED.published_at, category_id = EXCLUDED.category_id,
                default_audio_language = EXCLUDED.default_audio_language, deleted_at = NULL, updated_at = now()
            RETURNING v.id, (xmax = 0) AS inserted
            """, decoding: Upserted.self)
        else { throw APIError.internalError }
        try await tx.run(
            """
            INSERT INTO analysis_video_snapshots (tenant_id, id, video_id, views_count, likes_count, comments_count, favorite_count, collected_at)
            VALUES (\(tenantID), \(UUID.v7()), \(row.id), \(video.viewCount), \(video.likeCount), \(video.commentCount), \(video.favoriteCount),
                \(collectedAt))
            """)
        return row.inserted
    }

    func markDownloaded(_ id: UUID, assetID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            "UPDATE analysis_videos SET asset_id = \(assetID), is_downloaded = true, updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id)")
    }

    /// Sets the analysis state and error; results are replaced when given (nil keeps them).
    func setAnalysis(
        _ id: UUID, tenantID: UUID, status: AnalysisStatus, results: JSONValue?, error: String?, in tx: DatabaseTransaction
    ) async throws {
        let text = try PlatformJSON.text(results)
        try await tx.run(
            """
            UPDATE analysis_videos SET analysis_status = \(status.rawValue), analysis_results = coalesce(\(text)::jsonb, analysis_results),
                analysis_error = \(error.map { String($0.prefix(2000)) }), updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(id)
            """)
    }
}
