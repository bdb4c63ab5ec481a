import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// The tenant's content items: drafting, review, approval (which publishes), revisions.
struct ContentController: Sendable {
    let database: Database

    struct ItemInput: Codable, Sendable {
        var title: String?
        var content: String?
        /// Alias of `content`.
        var body: String?
        var excerpt: String?
        var featuredImageUrl: String?
        var seoTitle: String?
        var seoDescription: String?
        var seoKeywords: [String]?
        var category: String?
        var tags: [String]?
        var slug: String?
        var status: ContentStatus?
        var visibility: RowVisibility?
        var qualityScore: Int?
    }

    struct Approval: Codable, Sendable {
        var contentId: UUID
        var approved: Bool
        var feedback: String?
    }

    struct Revision: Codable, Sendable {
        var revision: Int
        var change: String
        var changedBy: UUID?
        var createdAt: Date
        var snapshot: JSONValue
    }

    func register(in registry: RouteRegistry) {
        let id = RouteParameter.path("id", ["type": "string", "format": "uuid"])
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/content/approve", summary: "Approve (and so publish) or reject an item, with feedback", tag: "content",
                access: .permission("content:item:approve"), body: .type(Approval.self),
                responses: [
                    .json(.ok, ContentItem.self), .error(.notFound, "No such item in the tenant"),
                    .error(.conflict, "The item is not awaiting a decision (details.current_status)"),
                ])
        ) { request, context in try await self.approve(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/content", summary: "Create a content item (a draft unless `status: pending_review`)",
                description: "The slug is derived from the title when absent (made unique with -2, -3, ...); a given slug that is taken answers 409.",
                tag: "content", access: .permission("content:item:create"), body: .type(ItemInput.self),
                responses: [.json(.created, ContentItem.self), .error(.conflict, "The slug is taken in this tenant")])
        ) { request, context in try await self.create(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/content", summary: "List content items", tag: "content", access: .permission("content:item:list"),
                parameters: RouteParameter.paging + [
                    .query("status", ["type": "string", "enum": .array(ContentStatus.allCases.map { .string($0.rawValue) })]),
                    .query("search", ["type": "string"], description: "Words in the title or body"),
                    .query("category", ["type": "string"]),
                ],
                responses: [.json(.ok, Page<ContentItem>.self)])
        ) { request, context in try await self.list(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/content/{id}", summary: "One content item", tag: "content", access: .permission("content:item:read"),
                parameters: [id], responses: [.json(.ok, ContentItem.self)])
        ) { _, context in try await self.get(context) }
        for method in [HTTPRequest.Method.post, .patch] {
            registry.addProtected(
                RouteDeclaration(
                    method, "/api/v1/content/{id}", summary: "Change an item (each change is kept as a revision)",
                    description: "Editors move items between draft, pending_review and archived; publishing is by approval.",
                    tag: "content", access: .permission("content:item:update"), parameters: [id], body: .type(ItemInput.self),
                    responses: [.json(.ok, ContentItem.self), .error(.conflict, "A status the item cannot move to, or a taken slug")])
            ) { request, context in try await self.update(request, context) }
        }
        registry.addProtected(
            RouteDeclaration(
                .delete, "/api/v1/content/{id}", summary: "Delete an item", tag: "content", access: .permission("content:item:delete"),
                parameters: [id], responses: [.noContent("Deleted")])
        ) { _, context in try await self.delete(context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/content/{id}/revisions", summary: "The item's revisions, newest first", tag: "content",
                access: .permission("content:item:read"), parameters: [id] + RouteParameter.paging, responses: [.json(.ok, Page<Revision>.self)])
        ) { request, context in try await self.revisions(request, context) }
    }

    func itemID(_ context: AuthenticatedContext) throws -> UUID {
        try context.pathUUID(notFound: "Content", code: "CONTENT_NOT_FOUND")
    }

    func find(_ id: UUID, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> ContentItem {
        guard let item = try await ContentStore.find(id, tenantID: context.principal.tenantID, in: tx) else {
            throw APIError.notFound("Content", code: "CONTENT_NOT_FOUND")
        }
        return item
    }

    /// Every problem with the fields given.
    static func check(_ input: ItemInput, creating: Bool) -> [String: String] {
        var problems: [String: String] = [:]
        let body = input.content ?? input.body
        if creating && input.title == nil { problems["title"] = "is required" }
        if let title = input.title, title.trimmingCharacters(in: .whitespaces).isEmpty || title.count > 500 { problems["title"] = "must be 1-500 characters" }
        if let body, body.utf8.count > 1_000_000 { problems["content"] = "must be at most 1,000,000 bytes" }
        if let excerpt = input.excerpt, excerpt.count > 2000 { problems["excerpt"] = "must be at most 2000 characters" }
        if let url = input.featuredImageUrl {
            if url.count > 2000 || !(url.hasPrefix("https://") || url.hasPrefix("http://") || url.hasPrefix("/")) || url.contains(where: \.isWhitespace) {
                problems["featured_image_url"] = "must be an http(s) URL or a path"
            }
        }
        if let seo = input.seoTitle, seo.count > 300 { problems["seo_title"] = "must be at most 300 characters" }
        if let seo = input.seoDescription, seo.count > 1000 { problems["seo_description"] = "must be at most 1000 characters" }
        if let keywords = input.seoKeywords, keywords.count > 50 || keywords.contains(where: { $0.isEmpty || $0.count > 100 }) {
            problems["seo_keywords"] = "at most 50 keywords of 1-100 characters"
        }
        if let category = input.category, category.trimmingCharacters(in: .whitespaces).isEmpty || category.count > 100 { problems["category"] = "must be 1-100 characters" }
        if let tags = input.tags, tags.count > 50 || tags.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty || $0.count > 60 }) {
            problems["tags"] = "at most 50 tags of 1-60 characters"
        }
        if let slug = input.slug, !ContentStore.isValidSlug(slug) { problems["slug"] = "must be lowercase letters and digits joined by single hyphens (at most 200)" }
        if let score = input.qualityScore, !(0...100).contains(score) { problems["quality_score"] = "must be from 0 to 100" }
        if creating, let status = input.status, status != .draft && status != .pendingReview { problems["status"] = "a new item is a draft or pending_review" }
        return problems
    }

    static func normalizedTags(_ tags: [String]?) -> [String]? {
        tags.map { Array(NSOrderedSet(array: $0.map { $0.trimmingCharacters(in: .whitespaces) }).compactMap { $0 as? String }) }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> EditedResponse<ContentItem> {
        let input = try await request.decode(as: ItemInput.self, context: context)
        let problems = Self.check(input, creating: true)
        if !problems.isEmpty { throw APIError.validation(problems) }
        let title = (input.title ?? "").trimmingCharacters(in: .whitespaces)
        let tenantID = context.principal.tenantID
        let item = try await database.withTenant(context.tenant) { tx -> ContentItem in
            let slug: String
            if let given = input.slug {
                slug = given
            } else {
                slug = try await ContentStore.uniqueSlug(ContentStore.slug(from: title), tenantID: tenantID, excluding: nil, in: tx)
            }
            let id = UUID.v7()
            let rows = try await ContentStore.items(
                """
                INSERT INTO content_items AS c (tenant_id, id, owner_id, visibility, title, body, excerpt, featured_image_url, seo_title,
                                                seo_description, seo_keywords, category, tags, slug, status, quality_score)
                VALUES (\(tenantID), \(id), \(context.principal.userID), \((input.visibility ?? .private).rawValue)::visibility, \(title),
                        \(input.content ?? input.body ?? ""), \(input.excerpt), \(input.featuredImageUrl), \(input.seoTitle), \(input.seoDescription),
                        \(input.seoKeywords ?? []), \(input.category), \(Self.normalizedTags(input.tags) ?? []), \(slug),
                        \((input.status ?? .draft).rawValue), \(input.qualityScore))
                RETURNING \(unescaped: ContentItem.columns)
                """, in: tx)
            guard let item = rows.first else { throw APIError.internalError }
            try await ContentStore.recordRevision(item, tenantID: tenantID, change: "created", by: context.principal.userID, in: tx)
            try await ContentStore.publish(item, "content.created", tenantID: tenantID, in: tx)
            return item
        }
        return EditedResponse(status: .created, response: item)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<ContentItem> {
        let page = try PageRequest(request: request)
        let query = request.uri.queryParameters
        let statusText = query["status"].map(String.init)
        let status = statusText.flatMap(ContentStatus.init(rawValue:))
        if statusText != nil && status == nil { throw APIError.validation(["status": "must be one of \(ContentStatus.allCases.map(\.rawValue).joined(separator: ", "))"]) }
        let search = query["search"].map { "%" + String($0).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%" }
        let category = query["category"].map(String.init)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let total = try await tx.first(
                """
                SELECT count(*)::int FROM content_items c WHERE c.tenant_id = \(tenantID) AND c.deleted_at IS NULL
                  AND (\(status?.rawValue)::text IS NULL OR c.status = \(status?.rawValue)) AND (\(category)::text IS NULL OR c.category = \(category))
                  AND (\(search)::text IS NULL OR c.title ILIKE \(search) OR c.body ILIKE \(search))
                """, as: Int.self) ?? 0
            let items = try await ContentStore.items(
                """
                SELECT \(unescaped: ContentItem.columns) FROM content_items c WHERE c.tenant_id = \(tenantID) AND c.deleted_at IS NULL
                  AND (\(status?.rawValue)::text IS NULL OR c.status = \(status?.rawValue)) AND (\(category)::text IS NULL OR c.category = \(category))
                  AND (\(search)::text IS NULL OR c.title ILIKE \(search) OR c.body ILIKE \(search))
                ORDER BY c.id DESC LIMIT \(page.limit) OFFSET \(page.offset)
                """, in: tx)
            return Page(items: items, total: total, request: page)
        }
    }

    func get(_ context: AuthenticatedContext) async throws -> ContentItem {
        let id = try itemID(context)
        return try await database.withTenant(context.tenant) { tx in try await find(id, context, in: tx) }
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> ContentItem {
        let id = try itemID(context)
        let input = try await request.decode(as: ItemInput.self, context: context)
        let problems = Self.check(input, creating: false)
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let before = try await find(id, context, in: tx)
            if let status = input.status, status != before.status, ContentStatus.editable[before.status]?.contains(status) != true {
                throw APIError(
                    .conflict, code: "INVALID_STATUS_TRANSITION",
                    message: status == .published || status == .approved
                        ? "Publishing goes through POST /api/v1/content/approve" : "A \(before.status.rawValue) item cannot become \(status.rawValue)",
                    details: ["current_status": .string(before.status.rawValue), "requested_status": .string(status.rawValue)])
            }
            if let slug = input.slug, slug != before.slug {
                let clash = try await tx.first(
                    "SELECT 1 FROM content_items WHERE tenant_id = \(tenantID) AND slug = \(slug) AND id <> \(id) AND deleted_at IS NULL", as: Int.self)
                if clash != nil { throw APIError.conflict("The slug '\(slug)' is taken in this tenant", code: "SLUG_TAKEN") }
            }
            let rows = try await ContentStore.items(
                """
                UPDATE content_items AS c SET
                    title = coalesce(\(input.title?.trimmingCharacters(in: .whitespaces)), c.title),
                    body = coalesce(\(input.content ?? input.body), c.body),
                    excerpt = coalesce(\(input.excerpt), c.excerpt),
                    featured_image_url = coalesce(\(input.featuredImageUrl), c.featured_image_url),
                    seo_title = coalesce(\(input.seoTitle), c.seo_title),
                    seo_description = coalesce(\(input.seoDescription), c.seo_description),
                    seo_keywords = coalesce(\(input.seoKeywords)::text[], c.seo_keywords),
                    category = coalesce(\(input.category), c.category),
                    tags = coalesce(\(Self.normalizedTags(input.tags))::text[], c.tags),
                    slug = coalesce(\(input.slug), c.slug),
                    status = coalesce(\(input.status?.rawValue), c.status),
                    visibility = coalesce(\(input.visibility?.rawValue)::visibility, c.visibility),
                    quality_score = coalesce(\(input.qualityScore), c.quality_score),
                    published_at = CASE WHEN coalesce(\(input.status?.rawValue), c.status) = 'published' THEN c.published_at END,
                    revision = c.revision + 1, updated_at = now()
                WHERE c.tenant_id = \(tenantID) AND c.id = \(id)
                RETURNING \(unescaped: ContentItem.columns)
                """, in: tx)
            guard let item = rows.first else { throw APIError.notFound("Content", code: "CONTENT_NOT_FOUND") }
            try await ContentStore.recordRevision(item, tenantID: tenantID, change: "updated", by: context.principal.userID, in: tx)
            let type = item.status != before.status ? "content.\(item.status.rawValue)" : "content.updated"
            try await ContentStore.publish(item, type, tenantID: tenantID, in: tx)
            return item
        }
    }

    func delete(_ context: AuthenticatedContext) async throws -> Response {
        let id = try itemID(context)
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            let item = try await find(id, context, in: tx)
            try await tx.query("UPDATE content_items SET deleted_at = now(), updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id)")
            try await ContentStore.publish(item, "content.deleted", tenantID: tenantID, in: tx)
        }
        return Response(status: .noContent)
    }

    func approve(_ request: Request, _ context: AuthenticatedContext) async throws -> ContentItem {
        let body = try await request.decode(as: Approval.self, context: context)
        if let feedback = body.feedback, feedback.count > 5000 { throw APIError.validation(["feedback": "must be at most 5000 characters"]) }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            guard let before = try await ContentStore.find(body.contentId, tenantID: tenantID, in: tx) else {
                throw APIError.notFound("Content", code: "CONTENT_NOT_FOUND")
            }
            guard [.draft, .pendingReview, .approved, .rejected].contains(before.status) || (!body.approved && before.status == .published) else {
                throw APIError(
                    .conflict, code: "INVALID_STATUS_TRANSITION", message: "A \(before.status.rawValue) item is not awaiting a decision",
                    details: ["current_status": .string(before.status.rawValue)])
            }
            let target: ContentStatus = body.approved ? .published : .rejected
            let rows = try await ContentStore.items(
                """
                UPDATE content_items AS c SET status = \(target.rawValue), feedback = coalesce(\(body.feedback), c.feedback),
                       published_at = CASE WHEN \(body.approved) THEN now() END, revision = c.revision + 1, updated_at = now()
                WHERE c.tenant_id = \(tenantID) AND c.id = \(body.contentId)
                RETURNING \(unescaped: ContentItem.columns)
                """, in: tx)
            guard let item = rows.first else { throw APIError.notFound("Content", code: "CONTENT_NOT_FOUND") }
            try await ContentStore.recordRevision(item, tenantID: tenantID, change: body.approved ? "approved" : "rejected", by: context.principal.userID, in: tx)
            let extra: [String: JSONValue] = ["decided_by": .string(context.principal.userID.uuidString.lowercased()), "feedback": body.feedback.map { .string($0) } ?? .null]
            if body.approved {
                try await ContentStore.publish(item, "content.approved", tenantID: tenantID, extra: extra, in: tx)
                try await ContentStore.publish(item, "content.published", tenantID: tenantID, extra: extra, in: tx)
            } else {
                try await ContentStore.publish(item, "content.rejected", tenantID: tenantID, extra: extra, in: tx)
            }
            return item
        }
    }

    func revisions(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<Revision> {
        let id = try itemID(context)
        let page = try PageRequest(request: request)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let item = try await find(id, context, in: tx)
            let rows = try await tx.all(
                """
                SELECT revision, change, changed_by, created_at, snapshot::text FROM content_revisions
                WHERE tenant_id = \(tenantID) AND content_id = \(id) ORDER BY revision DESC LIMIT \(page.limit) OFFSET \(page.offset)
                """, as: (Int, String, UUID?, Date, String).self)
            let items = try rows.map {
                Revision(revision: $0.0, change: $0.1, changedBy: $0.2, createdAt: $0.3,
                         snapshot: try PlatformJSON.makeDecoder().decode(JSONValue.self, from: Data($0.4.utf8)))
            }
            return Page(items: items, total: item.revision, request: page)
        }
    }
}
