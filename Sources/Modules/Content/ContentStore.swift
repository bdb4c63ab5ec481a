import Foundation
import PlatformDatabase
import PlatformSupport

/// Which items a list shows; the page and its count share it.
struct ContentFilter: Sendable {
    var tenantID: UUID
    var status: ContentStatus?
    var category: String?
    /// Words in the title or body (matched as a substring, case-insensitively).
    var search: String?

    var condition: SQL {
        let pattern = search.map { "%" + Self.escapeLike($0) + "%" }
        return """
            c.tenant_id = \(tenantID) AND c.deleted_at IS NULL
            AND (\(status?.rawValue)::text IS NULL OR c.status = \(status?.rawValue)) AND (\(category)::text IS NULL OR c.category = \(category))
            AND (\(pattern)::text IS NULL OR c.title ILIKE \(pattern) OR c.body ILIKE \(pattern))
            """
    }

    static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}

/// The fields an update may change (nil: keep).
struct ContentChange: Sendable {
    var title: String?
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

/// Every statement on `content_items` and `content_revisions`.
struct ContentStore: Sendable {
    static let columns = """
        c.id, c.title, c.body AS content, c.excerpt, c.featured_image_url, c.seo_title, c.seo_description, c.seo_keywords, c.category, c.tags,
        c.slug, c.status, c.visibility::text AS visibility, c.owner_id, c.quality_score, c.feedback, c.revision, c.published_at,
        c.created_at, c.updated_at
        """

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> ContentItem? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM content_items c WHERE c.tenant_id = \(tenantID) AND c.id = \(id) AND c.deleted_at IS NULL",
            decoding: ContentItem.self)
    }

    func list(_ filter: ContentFilter, page: PageRequest, in tx: DatabaseTransaction) async throws -> [ContentItem] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM content_items c WHERE \(filter.condition)
            ORDER BY c.id DESC LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: ContentItem.self)
    }

    func count(_ filter: ContentFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM content_items c WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    struct NewItem: Sendable {
        var title: String
        var body: String
        var excerpt: String?
        var featuredImageUrl: String?
        var seoTitle: String?
        var seoDescription: String?
        var seoKeywords: [String]
        var category: String?
        var tags: [String]
        var slug: String
        var status: ContentStatus
        var visibility: RowVisibility
        var qualityScore: Int?
    }

    func insert(_ item: NewItem, tenantID: UUID, ownerID: UUID, in tx: DatabaseTransaction) async throws -> ContentItem {
        let inserted = try await tx.row(
            """
            INSERT INTO content_items AS c (tenant_id, id, owner_id, visibility, title, body, excerpt, featured_image_url, seo_title,
                                            seo_description, seo_keywords, category, tags, slug, status, quality_score)
            VALUES (\(tenantID), \(UUID.v7()), \(ownerID), \(item.visibility.rawValue)::visibility, \(item.title), \(item.body), \(item.excerpt),
                    \(item.featuredImageUrl), \(item.seoTitle), \(item.seoDescription), \(item.seoKeywords), \(item.category), \(item.tags),
                    \(item.slug), \(item.status.rawValue), \(item.qualityScore))
            RETURNING \(unescaped: Self.columns)
            """, decoding: ContentItem.self)
        guard let inserted else { throw APIError.internalError }
        return inserted
    }

    /// Applies `change` (a new revision); nil when the item is gone.
    func update(_ id: UUID, tenantID: UUID, _ change: ContentChange, in tx: DatabaseTransaction) async throws -> ContentItem? {
        try await tx.row(
            """
            UPDATE content_items AS c SET
                title = coalesce(\(change.title), c.title),
                body = coalesce(\(change.body), c.body),
                excerpt = coalesce(\(change.excerpt), c.excerpt),
                featured_image_url = coalesce(\(change.featuredImageUrl), c.featured_image_url),
                seo_title = coalesce(\(change.seoTitle), c.seo_title),
                seo_description = coalesce(\(change.seoDescription), c.seo_description),
                seo_keywords = coalesce(\(change.seoKeywords)::text[], c.seo_keywords),
                category = coalesce(\(change.category), c.category),
                tags = coalesce(\(change.tags)::text[], c.tags),
                slug = coalesce(\(change.slug), c.slug),
                status = coalesce(\(change.status?.rawValue), c.status),
                visibility = coalesce(\(change.visibility?.rawValue)::visibility, c.visibility),
                quality_score = coalesce(\(change.qualityScore), c.quality_score),
                published_at = CASE WHEN coalesce(\(change.status?.rawValue), c.status) = 'published' THEN c.published_at END,
                revision = c.revision + 1, updated_at = now()
            WHERE c.tenant_id = \(tenantID) AND c.id = \(id)
            RETURNING \(unescaped: Self.columns)
            """, decoding: ContentItem.self)
    }

    /// Records an approval decision (publishing when approved).
    func decide(_ id: UUID, tenantID: UUID, approved: Bool, feedback: String?, in tx: DatabaseTransaction) async throws -> ContentItem? {
        let target = approved ? ContentStatus.published : .rejected
        return try await tx.row(
            """
            UPDATE content_items AS c SET status = \(target.rawValue), feedback = coalesce(\(feedback), c.feedback),
                   published_at = CASE WHEN \(approved) THEN now() END, revision = c.revision + 1, updated_at = now()
            WHERE c.tenant_id = \(tenantID) AND c.id = \(id)
            RETURNING \(unescaped: Self.columns)
            """, decoding: ContentItem.self)
    }

    func softDelete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE content_items SET deleted_at = now(), updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id)")
    }

    /// Whether a live item other than `id` uses `slug`.
    func slugTaken(_ slug: String, tenantID: UUID, excluding id: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value(
            "SELECT 1 FROM content_items WHERE tenant_id = \(tenantID) AND slug = \(slug) AND id <> \(id) AND deleted_at IS NULL", as: Int.self) != nil
    }

    /// `base`, or `base-2`, `base-3`, ... : the first not used by a live item of the tenant.
    func uniqueSlug(_ base: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> String {
        let taken = Set(try await tx.rows(
            """
            SELECT slug FROM content_items WHERE tenant_id = \(tenantID) AND deleted_at IS NULL
              AND (slug = \(base) OR slug ~ ('^' || \(base) || '-[0-9]+$'))
            """, decoding: String.self))
        if !taken.contains(base) { return base }
        var counter = 2
        while taken.contains("\(base)-\(counter)") { counter += 1 }
        return "\(base)-\(counter)"
    }

    /// Records the item as it now is.
    func recordRevision(_ item: ContentItem, tenantID: UUID, change: String, by userID: UUID?, in tx: DatabaseTransaction) async throws {
        let snapshot = String(decoding: try PlatformJSON.makeEncoder().encode(item), as: UTF8.self)
        try await tx.run(
            """
            INSERT INTO content_revisions (tenant_id, id, content_id, revision, snapshot, change, changed_by)
            VALUES (\(tenantID), \(UUID.v7()), \(item.id), \(item.revision), \(snapshot)::jsonb, \(change), \(userID))
            """)
    }

    func revisions(of id: UUID, tenantID: UUID, page: PageRequest, in tx: DatabaseTransaction) async throws -> [ContentRevision] {
        try await tx.rows(
            """
            SELECT revision, change, changed_by, created_at, snapshot FROM content_revisions
            WHERE tenant_id = \(tenantID) AND content_id = \(id) ORDER BY revision DESC LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: ContentRevision.self)
    }

    /// Publishes a `content.*` event in the same transaction.
    func publish(_ item: ContentItem, _ type: String, tenantID: UUID, extra: [String: JSONValue] = [:], in tx: DatabaseTransaction) async throws {
        var data: [String: JSONValue] = [
            "content_id": .string(item.id.uuidString.lowercased()), "title": .string(item.title), "slug": .string(item.slug),
            "status": .string(item.status.rawValue), "revision": .int(Int64(item.revision)),
        ]
        if let published = item.publishedAt { data["published_at"] = .string(RFC3339.string(from: published)) }
        for (key, value) in extra { data[key] = value }
        try await EventBus.publish(PlatformEvent(type: type, tenantId: tenantID, subjectId: item.id, data: .object(data)), in: tx)
    }
}

/// Reads of the public CMS: published and public items only, whatever the parameters.
struct PublishedContentStore: Sendable {
    static let published = "c.status = 'published' AND c.visibility = 'public' AND c.deleted_at IS NULL AND c.published_at <= now()"

    func posts(tenantID: UUID, category: String?, tag: String?, page: PageRequest, in tx: DatabaseTransaction) async throws -> (items: [ContentItem], total: Int) {
        let condition: SQL = """
            c.tenant_id = \(tenantID) AND \(unescaped: Self.published)
            AND (\(category)::text IS NULL OR c.category = \(category)) AND (\(tag)::text IS NULL OR \(tag) = ANY(c.tags))
            """
        let total = try await tx.value("SELECT count(*)::int FROM content_items c WHERE \(condition)", as: Int.self) ?? 0
        let items = try await tx.rows(
            """
            SELECT \(unescaped: ContentStore.columns) FROM content_items c WHERE \(condition)
            ORDER BY c.published_at DESC, c.id DESC LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: ContentItem.self)
        return (items, total)
    }

    func post(slug: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> ContentItem? {
        try await tx.row(
            "SELECT \(unescaped: ContentStore.columns) FROM content_items c WHERE c.tenant_id = \(tenantID) AND c.slug = \(slug) AND \(unescaped: Self.published)",
            decoding: ContentItem.self)
    }

    struct TermRow: Decodable {
        var id: UUID
        var name: String
        var count: Int
    }

    func categories(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [TermRow] {
        try await tx.rows(
            """
            SELECT md5(c.tenant_id::text || ':category:' || c.category)::uuid AS id, c.category AS name, count(*)::int AS count FROM content_items c
            WHERE c.tenant_id = \(tenantID) AND \(unescaped: Self.published) AND c.category IS NOT NULL
            GROUP BY c.tenant_id, c.category ORDER BY c.category
            """, decoding: TermRow.self)
    }

    func tags(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [TermRow] {
        try await tx.rows(
            """
            SELECT md5(c.tenant_id::text || ':tag:' || t.tag)::uuid AS id, t.tag AS name, count(*)::int AS count
            FROM content_items c CROSS JOIN LATERAL unnest(c.tags) AS t(tag)
            WHERE c.tenant_id = \(tenantID) AND \(unescaped: Self.published)
            GROUP BY c.tenant_id, t.tag ORDER BY t.tag
            """, decoding: TermRow.self)
    }

    struct Summary: Decodable {
        var postsCount: Int
        var lastSync: Date?
    }

    func summary(tenantID: UUID, in tx: DatabaseTransaction) async throws -> Summary {
        try await tx.row(
            "SELECT count(*)::int AS posts_count, max(c.updated_at) AS last_sync FROM content_items c WHERE c.tenant_id = \(tenantID) AND \(unescaped: Self.published)",
            decoding: Summary.self) ?? Summary(postsCount: 0, lastSync: nil)
    }
}
