import Foundation
import PlatformDatabase
import PlatformSupport

/// A metrics snapshot as stored.
struct MetricsSnapshot: Decodable, Sendable {
    var platform: SocialNetwork
    var impressions: Int64
    var engagements: Int64
    var likes: Int64
    var shares: Int64
    var comments: Int64
    var collectedAt: Date
}

/// A hashtag of the tenant's recent posts, with how its posts did.
struct OwnTrend: Decodable, Sendable {
    var topic: String
    var mentions: Int64
    var engagements: Int64
    var recent: Int64
    var earlier: Int64
}

/// Every statement on `social_post_metrics`, and the ranking of the tenant's own hashtags.
struct SocialAnalyticsStore: Sendable {
    func record(_ post: UUID, _ platform: SocialNetwork, _ metrics: PostMetrics, tenantID: UUID, in tx: DatabaseTransaction) async throws -> MetricsSnapshot? {
        try await tx.row(
            """
            INSERT INTO social_post_metrics (tenant_id, id, post_id, platform, impressions, engagements, likes, shares, comments, raw)
            VALUES (\(tenantID), \(UUID.v7()), \(post), \(platform.rawValue), \(metrics.impressions), \(metrics.engagements), \(metrics.likes),
                    \(metrics.shares), \(metrics.comments), \(try PlatformJSON.text(metrics.raw))::jsonb)
            RETURNING platform, impressions, engagements, likes, shares, comments, collected_at
            """, decoding: MetricsSnapshot.self)
    }

    /// The newest snapshot of each network of the post.
    func latest(_ post: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [MetricsSnapshot] {
        try await tx.rows(
            """
            SELECT DISTINCT ON (m.platform) m.platform, m.impressions, m.engagements, m.likes, m.shares, m.comments, m.collected_at
            FROM social_post_metrics m WHERE m.tenant_id = \(tenantID) AND m.post_id = \(post)
            ORDER BY m.platform, m.collected_at DESC
            """, decoding: MetricsSnapshot.self)
    }

    /// Hashtags of the tenant's posts of the last 30 days (given, or written in the content),
    /// ranked by the engagements their posts' latest snapshots show, then by how many posts
    /// used them; `recent` counts the last 7 days' posts and `earlier` the 23 days before.
    func ownTrends(platform: SocialNetwork?, limit: Int, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [OwnTrend] {
        try await tx.rows(
            """
            WITH tagged AS (
                SELECT p.id, p.created_at, tag.topic
                FROM social_posts p
                CROSS JOIN LATERAL (
                    SELECT DISTINCT lower(t) AS topic FROM unnest(
                        p.hashtags || ARRAY(SELECT '#' || m[1] FROM regexp_matches(p.content, '#([[:alnum:]_]+)', 'g') AS m)) AS t
                ) tag
                WHERE p.tenant_id = \(tenantID) AND p.deleted_at IS NULL AND p.created_at >= now() - interval '30 days'
                  AND (\(platform?.rawValue)::text IS NULL OR EXISTS (
                      SELECT 1 FROM social_post_targets d WHERE d.tenant_id = p.tenant_id AND d.post_id = p.id AND d.platform = \(platform?.rawValue)))
            ), engaged AS (
                SELECT x.post_id, sum(x.engagements) AS engagements FROM (
                    SELECT DISTINCT ON (m.post_id, m.platform) m.post_id, m.engagements
                    FROM social_post_metrics m WHERE m.tenant_id = \(tenantID) AND m.post_id IN (SELECT id FROM tagged)
                    ORDER BY m.post_id, m.platform, m.collected_at DESC
                ) x GROUP BY x.post_id
            )
            SELECT t.topic, count(*)::bigint AS mentions, coalesce(sum(e.engagements), 0)::bigint AS engagements,
                   count(*) FILTER (WHERE t.created_at >= now() - interval '7 days')::bigint AS recent,
                   count(*) FILTER (WHERE t.created_at < now() - interval '7 days')::bigint AS earlier
            FROM tagged t LEFT JOIN engaged e ON e.post_id = t.id
            GROUP BY t.topic ORDER BY engagements DESC, mentions DESC, t.topic LIMIT \(limit)
            """, decoding: OwnTrend.self)
    }
}
