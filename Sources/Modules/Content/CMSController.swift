import Foundation
import HTTPTypes
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// The public CMS: published, public items of the tenant named by `?tenant=<code>` or
/// `X-Tenant-Code` (or the caller's own tenant when signed in), readable without login.
/// Drafts and non-public items are never returned, whatever the parameters.
struct CMSController: Sendable {
    let database: Database

    struct Post: Codable, Sendable, ResponseEncodable {
        var id: UUID
        var title: String
        var slug: String
        var content: String
        var excerpt: String?
        var featuredImageUrl: String?
        var seoTitle: String?
        var seoDescription: String?
        var seoKeywords: [String]
        var category: String?
        var tags: [String]
        var publishedAt: Date?
        var updatedAt: Date

        init(_ item: ContentItem) {
            id = item.id
            title = item.title
            slug = item.slug
            content = item.content
            excerpt = item.excerpt
            featuredImageUrl = item.featuredImageUrl
            seoTitle = item.seoTitle
            seoDescription = item.seoDescription
            seoKeywords = item.seoKeywords
            category = item.category
            tags = item.tags
            publishedAt = item.publishedAt
            updatedAt = item.updatedAt
        }
    }

    struct Posts: Codable, Sendable, ResponseEncodable {
        var posts: [Post]
        var total: Int
        var limit: Int
        var offset: Int
    }

    struct Term: Codable, Sendable {
        var id: UUID
        var name: String
        var count: Int
    }

    struct Categories: Codable, Sendable, ResponseEncodable {
        var categories: [Term]
    }

    struct Tags: Codable, Sendable, ResponseEncodable {
        var tags: [Term]
    }

    enum Health: String, Codable, Sendable, SchemaEnum, CaseIterable { case healthy, degraded, offline }

    struct Status: Codable, Sendable, ResponseEncodable {
        var status: Health
        var postsCount: Int
        var lastSync: Date?
    }

    static let tenantParameters: [RouteParameter] = [
        .query("tenant", ["type": "string"], description: "The tenant's code (or send X-Tenant-Code)"),
        RouteParameter("X-Tenant-Code", in: .header, schema: ["type": "string"]),
    ]

    func register(in registry: RouteRegistry) {
        let unknownTenant = RouteResponse.error(.notFound, "No active tenant has that code")
        registry.addPublic(
            RouteDeclaration(
                .get, "/api/v1/posts", summary: "Published posts, newest first", tag: "cms", access: .public,
                parameters: Self.tenantParameters + RouteParameter.paging + [.query("category", ["type": "string"]), .query("tag", ["type": "string"])],
                responses: [.json(.ok, Posts.self), unknownTenant])
        ) { request, context in try await self.posts(request, context) }
        registry.addPublic(
            RouteDeclaration(
                .get, "/api/v1/posts/{slug}", summary: "One published post by its slug", tag: "cms", access: .public,
                parameters: Self.tenantParameters + [.path("slug")], responses: [.json(.ok, Post.self), unknownTenant])
        ) { request, context in try await self.post(request, context) }
        registry.addPublic(
            RouteDeclaration(
                .get, "/api/v1/categories", summary: "Categories of published posts, with counts", tag: "cms", access: .public,
                parameters: Self.tenantParameters, responses: [.json(.ok, Categories.self), unknownTenant])
        ) { request, context in try await self.categories(request, context) }
        registry.addPublic(
            RouteDeclaration(
                .get, "/api/v1/tags", summary: "Tags of published posts, with counts", tag: "cms", access: .public,
                parameters: Self.tenantParameters, responses: [.json(.ok, Tags.self), unknownTenant])
        ) { request, context in try await self.tags(request, context) }
        registry.addPublic(
            RouteDeclaration(
                .get, "/api/v1/cms/status", summary: "Whether the CMS answers, how many posts it has, and when one last changed", tag: "cms",
                access: .public, parameters: Self.tenantParameters, responses: [.json(.ok, Status.self), unknownTenant])
        ) { request, context in try await self.status(request, context) }
    }

    /// The tenant the request names, as a scope that sees no one's private rows.
    func scope(_ request: Request, _ context: AppRequestContext) async throws -> TenantScope {
        let code = request.uri.queryParameters["tenant"].map(String.init) ?? request.headers[HTTPField.Name("X-Tenant-Code")!]
        if let code {
            guard code.count <= 63, let tenantID = try await database.withPlatformScope({ tx in
                try await tx.first("SELECT id FROM tenants WHERE code = \(code.lowercased()) AND status = 'active' AND deleted_at IS NULL", as: UUID.self)
            }) else { throw APIError.notFound("Tenant", code: "TENANT_NOT_FOUND") }
            return TenantScope(tenantID: tenantID, userID: nil, dataScope: .own)
        }
        if let principal = context.principal { return TenantScope(tenantID: principal.tenantID, userID: nil, dataScope: .own) }
        throw APIError.validation(["tenant": "name the tenant with ?tenant=<code> or X-Tenant-Code"])
    }

    /// The filter every public read carries.
    static let published = "c.status = 'published' AND c.visibility = 'public' AND c.deleted_at IS NULL AND c.published_at <= now()"

    func posts(_ request: Request, _ context: AppRequestContext) async throws -> Posts {
        let page = try PageRequest(request: request)
        let scope = try await scope(request, context)
        let category = request.uri.queryParameters["category"].map(String.init)
        let tag = request.uri.queryParameters["tag"].map(String.init)
        return try await database.withTenant(scope) { tx in
            let total = try await tx.first(
                """
                SELECT count(*)::int FROM content_items c WHERE c.tenant_id = \(scope.tenantID) AND \(unescaped: Self.published)
                  AND (\(category)::text IS NULL OR c.category = \(category)) AND (\(tag)::text IS NULL OR \(tag) = ANY(c.tags))
                """, as: Int.self) ?? 0
            let items = try await ContentStore.items(
                """
                SELECT \(unescaped: ContentItem.columns) FROM content_items c WHERE c.tenant_id = \(scope.tenantID) AND \(unescaped: Self.published)
                  AND (\(category)::text IS NULL OR c.category = \(category)) AND (\(tag)::text IS NULL OR \(tag) = ANY(c.tags))
                ORDER BY c.published_at DESC, c.id DESC LIMIT \(page.limit) OFFSET \(page.offset)
                """, in: tx)
            return Posts(posts: items.map(Post.init), total: total, limit: page.limit, offset: page.offset)
        }
    }

    func post(_ request: Request, _ context: AppRequestContext) async throws -> Post {
        let scope = try await scope(request, context)
        guard let slug = context.parameters.get("slug"), ContentStore.isValidSlug(slug) else { throw APIError.notFound("Post", code: "POST_NOT_FOUND") }
        let item = try await database.withTenant(scope) { tx in
            try await ContentStore.items(
                "SELECT \(unescaped: ContentItem.columns) FROM content_items c WHERE c.tenant_id = \(scope.tenantID) AND c.slug = \(slug) AND \(unescaped: Self.published)",
                in: tx
            ).first
        }
        guard let item else { throw APIError.notFound("Post", code: "POST_NOT_FOUND") }
        return Post(item)
    }

    func categories(_ request: Request, _ context: AppRequestContext) async throws -> Categories {
        let scope = try await scope(request, context)
        let rows = try await database.withTenant(scope) { tx in
            try await tx.all(
                """
                SELECT md5(c.tenant_id::text || ':category:' || c.category)::uuid, c.category, count(*)::int FROM content_items c
                WHERE c.tenant_id = \(scope.tenantID) AND \(unescaped: Self.published) AND c.category IS NOT NULL
                GROUP BY c.tenant_id, c.category ORDER BY c.category
                """, as: (UUID, String, Int).self)
        }
        return Categories(categories: rows.map { Term(id: $0.0, name: $0.1, count: $0.2) })
    }

    func tags(_ request: Request, _ context: AppRequestContext) async throws -> Tags {
        let scope = try await scope(request, context)
        let rows = try await database.withTenant(scope) { tx in
            try await tx.all(
                """
                SELECT md5(c.tenant_id::text || ':tag:' || t.tag)::uuid, t.tag, count(*)::int
                FROM content_items c CROSS JOIN LATERAL unnest(c.tags) AS t(tag)
                WHERE c.tenant_id = \(scope.tenantID) AND \(unescaped: Self.published)
                GROUP BY c.tenant_id, t.tag ORDER BY t.tag
                """, as: (UUID, String, Int).self)
        }
        return Tags(tags: rows.map { Term(id: $0.0, name: $0.1, count: $0.2) })
    }

    func status(_ request: Request, _ context: AppRequestContext) async throws -> Status {
        let scope = try await scope(request, context)
        let row = try await database.withTenant(scope) { tx in
            try await tx.first(
                "SELECT count(*)::int, max(c.updated_at) FROM content_items c WHERE c.tenant_id = \(scope.tenantID) AND \(unescaped: Self.published)",
                as: (Int, Date?).self)
        }
        return Status(status: .healthy, postsCount: row?.0 ?? 0, lastSync: row?.1)
    }
}

public struct ContentModule: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func register(in registry: RouteRegistry) {
        ContentController(database: database).register(in: registry)
        CMSController(database: database).register(in: registry)
    }
}
