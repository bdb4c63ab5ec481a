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
    let tenants: any TenantDirectory
    let store = PublishedContentStore()

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

    struct TenantQuery: QueryInput {
        var tenant: String?
        static let parameterDocs: [String: QueryParameterDoc] = ["tenant": .init("The tenant's code (or send X-Tenant-Code)")]
    }

    struct PostsQuery: QueryInput {
        var tenant: String?
        var paging: PageRequest
        var category: String?
        var tag: String?
        static let parameterDocs = TenantQuery.parameterDocs
    }

    static let tenantHeader = RouteParameter("X-Tenant-Code", in: .header, schema: ["type": "string"])

    func register(in routes: RouteGroup) {
        let unknownTenant = RouteResponse.error(.notFound, "No active tenant has that code")
        routes.get("/posts", "Published posts, newest first", .public, query: PostsQuery.self, parameters: [Self.tenantHeader], responses: [unknownTenant], use: posts)
        routes.get(
            "/posts/{slug}", "One published post by its slug", .public, query: TenantQuery.self, parameters: [Self.tenantHeader, .path("slug")],
            responses: [unknownTenant], use: post)
        routes.get(
            "/categories", "Categories of published posts, with counts", .public, query: TenantQuery.self, parameters: [Self.tenantHeader],
            responses: [unknownTenant], use: categories)
        routes.get("/tags", "Tags of published posts, with counts", .public, query: TenantQuery.self, parameters: [Self.tenantHeader], responses: [unknownTenant], use: tags)
        routes.get(
            "/cms/status", "Whether the CMS answers, how many posts it has, and when one last changed", .public, query: TenantQuery.self,
            parameters: [Self.tenantHeader], responses: [unknownTenant], use: status)
    }

    /// The tenant the request names, as a scope that sees no one's private rows.
    func scope(_ code: String?, _ request: Request, _ context: AppRequestContext) async throws -> TenantScope {
        if let code = code ?? request.headers[HTTPField.Name("X-Tenant-Code")!] {
            guard code.count <= 63, let tenantID = try await tenants.activeTenantID(code: code.lowercased()) else { throw APIError.tenantNotFound }
            return TenantScope(tenantID: tenantID, userID: nil, dataScope: .own)
        }
        if let principal = context.principal { return TenantScope(tenantID: principal.tenantID, userID: nil, dataScope: .own) }
        throw APIError.validation(["tenant": "name the tenant with ?tenant=<code> or X-Tenant-Code"])
    }

    func posts(_ request: Request, _ context: AppRequestContext) async throws -> Posts {
        let query = try request.query(PostsQuery.self)
        let scope = try await scope(query.tenant, request, context)
        let page = query.paging
        let (items, total) = try await database.withTenant(scope) { tx in
            try await store.posts(tenantID: scope.tenantID, category: query.category, tag: query.tag, page: page, in: tx)
        }
        return Posts(posts: items.map(Post.init), total: total, limit: page.limit, offset: page.offset)
    }

    func post(_ request: Request, _ context: AppRequestContext) async throws -> Post {
        let scope = try await scope(try request.query(TenantQuery.self).tenant, request, context)
        guard let slug = context.parameters.get("slug"), Slug.isValid(slug) else { throw APIError.postNotFound }
        let item = try await database.withTenant(scope) { tx in try await store.post(slug: slug, tenantID: scope.tenantID, in: tx) }
        guard let item else { throw APIError.postNotFound }
        return Post(item)
    }

    func categories(_ request: Request, _ context: AppRequestContext) async throws -> Categories {
        let scope = try await scope(try request.query(TenantQuery.self).tenant, request, context)
        let rows = try await database.withTenant(scope) { tx in try await store.categories(tenantID: scope.tenantID, in: tx) }
        return Categories(categories: rows.map { Term(id: $0.id, name: $0.name, count: $0.count) })
    }

    func tags(_ request: Request, _ context: AppRequestContext) async throws -> Tags {
        let scope = try await scope(try request.query(TenantQuery.self).tenant, request, context)
        let rows = try await database.withTenant(scope) { tx in try await store.tags(tenantID: scope.tenantID, in: tx) }
        return Tags(tags: rows.map { Term(id: $0.id, name: $0.name, count: $0.count) })
    }

    func status(_ request: Request, _ context: AppRequestContext) async throws -> Status {
        let scope = try await scope(try request.query(TenantQuery.self).tenant, request, context)
        let summary = try await database.withTenant(scope) { tx in try await store.summary(tenantID: scope.tenantID, in: tx) }
        return Status(status: .healthy, postsCount: summary.postsCount, lastSync: summary.lastSync)
    }
}
