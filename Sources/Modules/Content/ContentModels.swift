import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

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

/// A content item as served to its tenant (and as a row: `ContentStore.columns`).
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
}

/// The fields of a create or an update (all optional on update).
struct ContentItemInput: Codable, Sendable {
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

    var text: String? { content ?? body }

    /// Every problem with the fields given.
    func problems(creating: Bool) -> [String: String] {
        var problems: [String: String] = [:]
        if creating && title == nil { problems["title"] = "is required" }
        if let title, title.trimmingCharacters(in: .whitespaces).isEmpty || title.count > 500 { problems["title"] = "must be 1-500 characters" }
        if let text, text.utf8.count > 1_000_000 { problems["content"] = "must be at most 1,000,000 bytes" }
        if let excerpt, excerpt.count > 2000 { problems["excerpt"] = "must be at most 2000 characters" }
        if let url = featuredImageUrl {
            if url.count > 2000 || !(url.hasPrefix("https://") || url.hasPrefix("http://") || url.hasPrefix("/")) || url.contains(where: \.isWhitespace) {
                problems["featured_image_url"] = "must be an http(s) URL or a path"
            }
        }
        if let seoTitle, seoTitle.count > 300 { problems["seo_title"] = "must be at most 300 characters" }
        if let seoDescription, seoDescription.count > 1000 { problems["seo_description"] = "must be at most 1000 characters" }
        if let keywords = seoKeywords, keywords.count > 50 || keywords.contains(where: { $0.isEmpty || $0.count > 100 }) {
            problems["seo_keywords"] = "at most 50 keywords of 1-100 characters"
        }
        if let category, category.trimmingCharacters(in: .whitespaces).isEmpty || category.count > 100 { problems["category"] = "must be 1-100 characters" }
        if let tags, tags.count > 50 || tags.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty || $0.count > 60 }) {
            problems["tags"] = "at most 50 tags of 1-60 characters"
        }
        if let slug, !Slug.isValid(slug) { problems["slug"] = "must be lowercase letters and digits joined by single hyphens (at most 200)" }
        if let qualityScore, !(0...100).contains(qualityScore) { problems["quality_score"] = "must be from 0 to 100" }
        if creating, let status, status != .draft && status != .pendingReview { problems["status"] = "a new item is a draft or pending_review" }
        return problems
    }

    /// Tags trimmed, duplicates dropped, order kept.
    var normalizedTags: [String]? {
        tags.map { tags in
            var seen = Set<String>()
            return tags.map { $0.trimmingCharacters(in: .whitespaces) }.filter { seen.insert($0).inserted }
        }
    }
}

struct ContentApproval: Codable, Sendable {
    var contentId: UUID
    var approved: Bool
    var feedback: String?
}

struct ContentRevision: Codable, Sendable {
    var revision: Int
    var change: String
    var changedBy: UUID?
    var createdAt: Date
    var snapshot: JSONValue
}

struct ContentListQuery: QueryInput {
    var paging: PageRequest
    var status: ContentStatus?
    var search: String?
    var category: String?

    static let parameterDocs: [String: QueryParameterDoc] = ["search": .init("Words in the title or body")]
}

/// URL slugs: lowercase ASCII letters and digits joined by single hyphens.
enum Slug {
    static func from(_ title: String) -> String {
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

    static func isValid(_ slug: String) -> Bool {
        slug.count <= 200 && slug.wholeMatch(of: /[a-z0-9]+(-[a-z0-9]+)*/) != nil
    }
}

extension APIError {
    static var contentNotFound: APIError { .notFound("Content", code: "CONTENT_NOT_FOUND") }
    static var postNotFound: APIError { .notFound("Post", code: "POST_NOT_FOUND") }
    static var tenantNotFound: APIError { .notFound("Tenant", code: "TENANT_NOT_FOUND") }

    static func slugTaken(_ slug: String) -> APIError { .conflict("The slug '\(slug)' is taken in this tenant", code: "SLUG_TAKEN") }

    static func invalidTransition(from current: ContentStatus, to requested: ContentStatus) -> APIError {
        APIError(
            .conflict, code: "INVALID_STATUS_TRANSITION",
            message: requested == .published || requested == .approved
                ? "Publishing goes through POST /api/v1/content/approve" : "A \(current.rawValue) item cannot become \(requested.rawValue)",
            details: ["current_status": .string(current.rawValue), "requested_status": .string(requested.rawValue)])
    }

    static func notAwaitingDecision(_ current: ContentStatus) -> APIError {
        APIError(
            .conflict, code: "INVALID_STATUS_TRANSITION", message: "A \(current.rawValue) item is not awaiting a decision",
            details: ["current_status": .string(current.rawValue)])
    }
}

extension ContentItemInput: BodyExample {
    static var example: JSONValue {
        ["title": "Launching our API portal", "content": "# Hello\n\nThe reference now lives at /docs.", "category": "news", "seo_keywords": ["api", "docs"]]
    }
}
