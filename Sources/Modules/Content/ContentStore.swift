import Foundation
import Hummingbird
import PlatformDatabase
import PlatformSupport
import PostgresNIO

enum ContentStatus: String, Codable, Sendable, SchemaEnum, CaseIterable {
    case draft
    case pendingReview = "pending_review"
    case approved, published, rejected, archived

    /// Moves an editor may make by updating an item; publishing goes through approval.
    static let editable: [ContentStatus: Set<ContentStatus>] = [
        .draft: [.pendingReview, .archived],
        .pendingReview: [.draft, .archived],
        .rejected: [.draft, .pendingReview, .archived],
        .approved: [.draft, .archived],
        .published: [.archived, .draft],
        .archived: [.draft],
    ]
}

/// A content item as served to its tenant.
struct ContentItem: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var title: String
    /// Markdown.
    var content: String
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
    var ownerId: UUID?
    var qualityScore: Int?
    var feedback: String?
    var revision: Int
    var publishedAt: Date?
    var createdAt: Date
    var updatedAt: Date

    static let columns = """
        c.id, c.title, c.body, c.excerpt, c.featured_image_url, c.seo_title, c.seo_description, c.seo_keywords, c.category, c.tags,
        c.slug, c.status, c.visibility::text AS visibility, c.owner_id, c.quality_score, c.feedback, c.revision, c.published_at,
        c.created_at, c.updated_at
        """

    init(row: PostgresRow) throws {
        let cells = row.makeRandomAccess()
        id = try cells["id"].decode(UUID.self)
        title = try cells["title"].decode(String.self)
        content = try cells["body"].decode(String.self)
        excerpt = try cells["excerpt"].decode(String?.self)
        featuredImageUrl = try cells["featured_image_url"].decode(String?.self)
        seoTitle = try cells["seo_title"].decode(String?.self)
        seoDescription = try cells["seo_description"].decode(String?.self)
        seoKeywords = try cells["seo_keywords"].decode([String].self)
        category = try cells["category"].decode(String?.self)
        tags = try cells["tags"].decode([String].self)
        slug = try cells["slug"].decode(String.self)
        status = ContentStatus(rawValue: try cells["status"].decode(String.self)) ?? .draft
        visibility = RowVisibility(rawValue: try cells["visibility"].decode(String.self)) ?? .private
        ownerId = try cells["owner_id"].decode(UUID?.self)
        qualityScore = try cells["quality_score"].decode(Int?.self)
        feedback = try cells["feedback"].decode(String?.self)
        revision = try cells["revision"].decode(Int.self)
        publishedAt = try cells["published_at"].decode(Date?.self)
        createdAt = try cells["created_at"].decode(Date.self)
        updatedAt = try cells["updated_at"].decode(Date.self)
    }
}

enum ContentStore {
    static func items(_ query: PostgresQuery, in tx: DatabaseTransaction) async throws -> [ContentItem] {
        var items: [ContentItem] = []
        for try await row in try await tx.query(query) { items.append(try ContentItem(row: row)) }
        return items
    }

    static func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> ContentItem? {
        try await items(
            "SELECT \(unescaped: ContentItem.columns) FROM content_items c WHERE c.tenant_id = \(tenantID) AND c.id = \(id) AND c.deleted_at IS NULL",
            in: tx
        ).first
    }

    /// A URL slug from a title: lowercase ASCII letters and digits joined by single hyphens.
    static func slug(from title: String) -> String {
        let folded = title.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: Locale(identifier: "en_US_POSIX")).lowercased()
        var slug = ""
        var pendingHyphen = false
        for scalar in folded.unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                if pendingHyphen && !slug.isEmpty { slug.append("-") }
                slug.unicodeScalars.append(scalar)
                pendingHyphen = false
            } else {
                pendingHyphen = true
            }
            if slug.count >= 120 { break }
        }
        return slug.isEmpty ? "post" : slug
    }

    static func isValidSlug(_ slug: String) -> Bool {
        slug.count <= 200 && slug.wholeMatch(of: /[a-z0-9]+(-[a-z0-9]+)*/) != nil
    }

    /// `base`, or `base-2`, `base-3`, ... : the first not used by a live item of the tenant.
    static func uniqueSlug(_ base: String, tenantID: UUID, excluding id: UUID?, in tx: DatabaseTransaction) async throws -> String {
        let slugs: [String] = try await tx.all(
            """
            SELECT slug FROM content_items WHERE tenant_id = \(tenantID) AND deleted_at IS NULL
              AND (slug = \(base) OR slug ~ ('^' || \(base) || '-[0-9]+$')) AND (\(id)::uuid IS NULL OR id <> \(id))
            """, as: String.self)
        let taken = Set(slugs)
        if !taken.contains(base) { return base }
        var counter = 2
        while taken.contains("\(base)-\(counter)") { counter += 1 }
        return "\(base)-\(counter)"
    }

    /// Records the item as it now is.
    static func recordRevision(_ item: ContentItem, tenantID: UUID, change: String, by userID: UUID?, in tx: DatabaseTransaction) async throws {
        let snapshot = String(decoding: try PlatformJSON.makeEncoder().encode(item), as: UTF8.self)
        try await tx.query(
            """
            INSERT INTO content_revisions (tenant_id, id, content_id, revision, snapshot, change, changed_by)
            VALUES (\(tenantID), \(UUID.v7()), \(item.id), \(item.revision), \(snapshot)::jsonb, \(change), \(userID))
            """)
    }

    static func publish(_ item: ContentItem, _ type: String, tenantID: UUID, extra: [String: JSONValue] = [:], in tx: DatabaseTransaction) async throws {
        var data: [String: JSONValue] = [
            "content_id": .string(item.id.uuidString.lowercased()), "title": .string(item.title), "slug": .string(item.slug),
            "status": .string(item.status.rawValue), "revision": .int(Int64(item.revision)),
        ]
        if let published = item.publishedAt { data["published_at"] = .string(RFC3339.string(from: published)) }
        for (key, value) in extra { data[key] = value }
        try await EventBus.publish(PlatformEvent(type: type, tenantId: tenantID, subjectId: item.id, data: .object(data)), in: tx)
    }
}
