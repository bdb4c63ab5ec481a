import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// One network's numbers for a post.
struct NetworkAnalytics: Codable, Sendable {
    var platform: SocialNetwork
    var impressions: Int64
    var engagements: Int64
    var likes: Int64
    var shares: Int64
    var comments: Int64
    var engagementRate: Double
    var collectedAt: Date?
    /// True when the network could not be asked and the last snapshot is answered.
    var stale: Bool
    var ageSeconds: Int?
    /// What the network does not report (counted as 0).
    var unavailable: [String]
    var error: String?

    init(_ platform: SocialNetwork, _ snapshot: MetricsSnapshot?, stale: Bool, unavailable: [String] = [], error: String? = nil, now: Date = Date()) {
        self.platform = platform
        impressions = snapshot?.impressions ?? 0
        engagements = snapshot?.engagements ?? 0
        likes = snapshot?.likes ?? 0
        shares = snapshot?.shares ?? 0
        comments = snapshot?.comments ?? 0
        engagementRate = impressions > 0 ? Double(engagements) / Double(impressions) : 0
        collectedAt = snapshot?.collectedAt
        self.stale = stale
        ageSeconds = snapshot.map { max(Int(now.timeIntervalSince($0.collectedAt)), 0) }
        self.unavailable = unavailable
        self.error = error
    }
}

/// The content platform seed's analytics (`post_id`, `impressions`, `engagements`, `likes`,
/// `shares`, `comments`, `engagement_rate`), summed over the networks, each under `platforms`.
struct PostAnalytics: Codable, Sendable, ResponseEncodable {
    var postId: UUID
    var impressions: Int64
    var engagements: Int64
    var likes: Int64
    var shares: Int64
    var comments: Int64
    var engagementRate: Double
    /// True when any network's numbers are a stored snapshot rather than a fresh read.
    var stale: Bool
    var platforms: [NetworkAnalytics]
}

struct TrendingTopic: Codable, Sendable {
    var topic: String
    var mentions: Int64?
    var trendVelocity: String
    /// For the tenant's own hashtags: the engagements of the posts that used them.
    var engagements: Int64?
}

struct TrendingAnswer: Codable, Sendable, ResponseEncodable {
    var platform: SocialNetwork?
    /// `platform` (the network's trends endpoint) or `own_posts` (the tenant's hashtags).
    var source: String
    var note: String?
    var trending: [TrendingTopic]
    var updatedAt: Date
}

struct TrendingQuery: QueryInput {
    var platform: String?
    var limit: Int?
    static let parameterDocs: [String: QueryParameterDoc] = [
        "platform": .init("The network (twitter or x, linkedin, facebook, instagram, mastodon); none ranks the tenant's own hashtags", maxLength: 20),
        "limit": .init("Topics to return", minimum: 1, maximum: 50, default: 10),
    ]
}

/// `GET /social/posts/{id}/analytics` and `GET /social/trending`.
struct SocialInsightsController: Sendable {
    let database: Database
    let connections: SocialConnections
    let posts = SocialPostStore()
    let store = SocialAnalyticsStore()

    func register(in routes: RouteGroup) {
        routes.get(
            "/posts/{post_id}/analytics", "A post's numbers from each network it was published to (the last snapshot, with its age, when one is down)",
            .permission("social:analytics:read"), parameters: [.uuid("post_id")],
            responses: [.error(.notFound, "No such post"), .error(.conflict, "The post is not published anywhere yet")], use: analytics)
        routes.get(
            "/trending", "Trending topics: the network's trends where it has an endpoint (Mastodon, X), else the tenant's own hashtags ranked",
            .permission("social:trending:read"), query: TrendingQuery.self, use: trending)
    }

    func analytics(_ request: Request, _ context: AuthenticatedContext) async throws -> PostAnalytics {
        let id = try context.pathUUID("post_id", or: .socialPostNotFound)
        let scope = context.tenant
        let (published, snapshots) = try await database.withTenant(scope) { tx -> ([StoredDelivery], [MetricsSnapshot]) in
            guard try await posts.find(id, tenantID: scope.tenantID, in: tx) != nil else { throw APIError.socialPostNotFound }
            let deliveries = try await posts.deliveries(of: [id], tenantID: scope.tenantID, in: tx).filter { $0.status == .published && $0.remoteId != nil }
            return (deliveries, try await store.latest(id, tenantID: scope.tenantID, in: tx))
        }
        if published.isEmpty {
            throw APIError.conflict("The post is not published on any network yet", code: "SOCIAL_POST_NOT_PUBLISHED")
        }
        let networks = await withTaskGroup(of: NetworkAnalytics.self) { group in
            for delivery in published {
                let last = snapshots.first { $0.platform == delivery.platform }
                group.addTask { await self.read(delivery, post: id, last: last, scope: scope) }
            }
            var all: [NetworkAnalytics] = []
            for await entry in group { all.append(entry) }
            return all.sorted { $0.platform.rawValue < $1.platform.rawValue }
        }
        let impressions = networks.reduce(0) { $0 + $1.impressions }
        let engagements = networks.reduce(0) { $0 + $1.engagements }
        return PostAnalytics(
            postId: id, impressions: impressions, engagements: engagements, likes: networks.reduce(0) { $0 + $1.likes },
            shares: networks.reduce(0) { $0 + $1.shares }, comments: networks.reduce(0) { $0 + $1.comments },
            engagementRate: impressions > 0 ? Double(engagements) / Double(impressions) : 0, stale: networks.contains { $0.stale }, platforms: networks)
    }

    /// A fresh read kept as a snapshot; on failure the last snapshot, marked stale.
    func read(_ delivery: StoredDelivery, post: UUID, last: MetricsSnapshot?, scope: TenantScope) async -> NetworkAnalytics {
        let network = delivery.platform
        do {
            guard let session = try await connections.session(network, scope: scope), let remoteID = delivery.remoteId else {
                return NetworkAnalytics(network, last, stale: true, error: "\(network.displayName) is not connected")
            }
            let metrics = try await connections.call(session, scope: scope) { client, credentials in
                try await client.metrics(remoteID, as: session.connection.connectedAccount, credentials)
            }
            let snapshot = try await database.withTenant(scope) { tx in try await store.record(post, network, metrics, tenantID: scope.tenantID, in: tx) }
            return NetworkAnalytics(network, snapshot, stale: false, unavailable: metrics.unavailable)
        } catch {
            let message = (error as? SocialPlatformError)?.message ?? "the network's numbers could not be read"
            return NetworkAnalytics(network, last, stale: true, error: message)
        }
    }

    func trending(_ request: Request, _ context: AuthenticatedContext) async throws -> TrendingAnswer {
        let query = try request.query(TrendingQuery.self)
        let limit = query.limit ?? 10
        var network: SocialNetwork?
        if let name = query.platform {
            guard let found = SocialNetwork(name: name) else {
                throw APIError.validation(["platform": "must be one of \(SocialNetwork.allCases.map(\.rawValue).joined(separator: ", "))"])
            }
            network = found
        }
        let scope = context.tenant
        var note: String?
        if let network {
            do {
                if let session = try await connections.session(network, scope: scope) {
                    if let trends = try await connections.call(session, scope: scope, { client, credentials in try await client.trends(credentials) }) {
                        return TrendingAnswer(
                            platform: network, source: "platform",
                            trending: trends.prefix(limit).map { TrendingTopic(topic: $0.topic, mentions: $0.mentions, trendVelocity: $0.velocity) },
                            updatedAt: Date())
                    }
                    note = "\(network.displayName) has no trends endpoint; these are the tenant's own hashtags"
                } else {
                    note = "\(network.displayName) is not connected; these are the tenant's own hashtags"
                }
            } catch let error as SocialPlatformError {
                note = "\(network.displayName)'s trends could not be read (\(error.message)); these are the tenant's own hashtags"
            }
        }
        let own = try await database.withTenant(scope) { tx in try await store.ownTrends(platform: network, limit: limit, tenantID: scope.tenantID, in: tx) }
        return TrendingAnswer(
            platform: network, source: "own_posts", note: note ?? "the tenant's own hashtags of the last 30 days, ranked by engagement",
            trending: own.map { TrendingTopic(topic: $0.topic, mentions: $0.mentions, trendVelocity: Self.velocity($0), engagements: $0.engagements) },
            updatedAt: Date())
    }

    /// Posts per day in the last 7 days against the 23 before.
    static func velocity(_ trend: OwnTrend) -> String {
        let recent = Double(trend.recent) / 7
        let earlier = Double(trend.earlier) / 23
        if earlier == 0 { return recent > 0 ? "rising" : "steady" }
        if recent > earlier * 1.2 { return "rising" }
        if recent < earlier * 0.8 { return "falling" }
        return "steady"
    }
}
