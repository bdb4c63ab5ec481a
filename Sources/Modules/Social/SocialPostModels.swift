import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

/// A post across its networks: `scheduled` until due, `publishing` while any delivery runs,
/// `published` or `failed` when all did the same, `partial` when some failed.
enum SocialPostStatus: String, Codable, Sendable, SchemaEnum, CaseIterable {
    case scheduled, publishing, published, partial, failed
}

enum DeliveryStatus: String, Codable, Sendable, SchemaEnum, CaseIterable {
    case scheduled, publishing, published, failed, deleting, deleted
}

struct StoredPost: Decodable, Sendable {
    var id: UUID
    var content: String
    var images: [String]
    var hashtags: [String]
    var scheduledAt: Date?
    var status: SocialPostStatus
    var createdAt: Date
    var updatedAt: Date
    var deletedAt: Date?
}

struct StoredDelivery: Decodable, Sendable {
    var postId: UUID
    var platform: SocialNetwork
    var content: String
    var status: DeliveryStatus
    var remoteId: String?
    var remoteUrl: String?
    var error: String?
    var attempts: Int
    var quotaCounted: Bool
    var publishedAt: Date?
    var updatedAt: Date
}

/// One network's part of a post.
struct DeliveryView: Codable, Sendable {
    var platform: SocialNetwork
    var status: DeliveryStatus
    /// The text sent (or to be sent) there.
    var content: String
    var remoteId: String?
    var url: String?
    var error: String?
    var attempts: Int
    var publishedAt: Date?
    var updatedAt: Date

    init(_ delivery: StoredDelivery) {
        platform = delivery.platform
        status = delivery.status
        content = delivery.content
        remoteId = delivery.remoteId
        url = delivery.remoteUrl
        error = delivery.error
        attempts = delivery.attempts
        publishedAt = delivery.publishedAt
        updatedAt = delivery.updatedAt
    }
}

/// The content platform seed's post (`id`, `platform`, `content`, `scheduled_at`, `status`),
/// with every network it goes to and each one's own status under `results`. `platform` and
/// `status` are the filtered network's when the list is filtered by one.
struct SocialPostView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var platform: SocialNetwork?
    var platforms: [SocialNetwork]
    var content: String
    var images: [String]
    var hashtags: [String]
    var scheduledAt: Date?
    var status: String
    var results: [DeliveryView]
    var createdAt: Date
    var updatedAt: Date

    init(_ post: StoredPost, deliveries: [StoredDelivery], focus: SocialNetwork? = nil) {
        let shown = deliveries.filter { $0.status != .deleted && $0.status != .deleting }
        id = post.id
        platforms = shown.map(\.platform)
        platform = focus ?? platforms.first
        content = post.content
        images = post.images
        hashtags = post.hashtags
        scheduledAt = post.scheduledAt
        status = focus.flatMap { network in shown.first { $0.platform == network }?.status.rawValue } ?? post.status.rawValue
        results = shown.map(DeliveryView.init)
        createdAt = post.createdAt
        updatedAt = post.updatedAt
    }
}

struct SocialPostList: Codable, Sendable, ResponseEncodable {
    var posts: [SocialPostView]
    var total: Int
    var limit: Int
    var offset: Int
}

/// `POST /social/posts`. `scheduled_at` null (or absent) publishes at once; the content
/// platform's own `scheduled_time` is read too.
struct SocialPostInput: Codable, Sendable {
    var platforms: [String]
    var content: String
    var images: [String]?
    var scheduledAt: Date?
    var scheduledTime: Date?
    var hashtags: [String]?
}

struct CrossPostInput: Codable, Sendable {
    var postId: UUID
    var platforms: [String]
}

struct CrossPostResult: Codable, Sendable, ResponseEncodable {
    var success: Bool
    var postId: UUID
    /// The networks added, each with the text adapted to it.
    var platforms: [SocialNetwork]
    var adapted: [String: String]
    var post: SocialPostView
}

struct SocialPostQuery: QueryInput {
    var paging: PageRequest
    var platform: String?
    var status: String?
    static let parameterDocs: [String: QueryParameterDoc] = [
        "platform": .init("Only posts to this network (twitter or x, linkedin, facebook, instagram, mastodon)", maxLength: 20),
        "status": .init(
            "Only posts in this status (scheduled, publishing, published, partial, failed); with `platform`, that network's status", maxLength: 20),
    ]
}

extension APIError {
    static var socialPostNotFound: APIError { .notFound("Social post", code: "SOCIAL_POST_NOT_FOUND") }
}
