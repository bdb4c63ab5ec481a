import Foundation
import PlatformSupport

/// The networks the platform publishes to. `twitter` is X (the seed's name; `x` is accepted).
enum SocialNetwork: String, Codable, Sendable, CaseIterable, SchemaEnum {
    case twitter, linkedin, facebook, instagram, mastodon

    /// A name as clients send it: any case, `x` for X.
    init?(name: String) {
        let text = name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if text == "x" { self = .twitter } else if let network = SocialNetwork(rawValue: text) { self = network } else { return nil }
    }

    var displayName: String {
        switch self {
        case .twitter: "X"
        case .linkedin: "LinkedIn"
        case .facebook: "Facebook"
        case .instagram: "Instagram"
        case .mastodon: "Mastodon"
        }
    }
}

/// A connection's credentials as sealed: the OAuth 2 access token and, where the network
/// issues them, the refresh token and the client that may refresh it; plus what a network
/// needs to address the account (Mastodon's instance, a Facebook page, an Instagram user,
/// a LinkedIn organization).
struct SocialCredentials: Codable, Sendable, Equatable {
    var accessToken: String
    var refreshToken: String?
    var clientId: String?
    var clientSecret: String?
    var expiresAt: Date?
    var instanceUrl: String?
    var pageId: String?
    var igUserId: String?
    var organizationId: String?
    /// X trends: the place (WOEID) whose trends to read; 1 is worldwide.
    var trendsWoeid: Int?

    /// Whether the access token has expired (or will within `margin`).
    func expires(within margin: TimeInterval, now: Date = Date()) -> Bool {
        guard let expiresAt else { return false }
        return expiresAt.timeIntervalSince(now) < margin
    }
}

/// The account a network says the credentials belong to.
struct SocialIdentity: Sendable {
    /// The network's id of the account (an X user id, a LinkedIn person or organization id...).
    var remoteID: String
    /// How the account is shown: `@handle`, or a page's name.
    var account: String
    var displayName: String?
    var followers: Int64?
}

/// The stored identity a call needs (an X handle for post URLs, a LinkedIn author).
struct ConnectedAccount: Sendable {
    var remoteID: String
    var account: String
}

/// What is sent: the text (already checked against the network's rules) and image URLs.
struct OutgoingPost: Sendable {
    var text: String
    var images: [String]
    /// Sent as an idempotency key where the network honours one (Mastodon), so a retried
    /// publish does not post twice.
    var idempotencyKey: String
}

struct PublishedPost: Sendable {
    var remoteID: String
    var url: String?
}

/// A post's counters as the network reports them; what it does not report is 0 and listed in `unavailable`.
struct PostMetrics: Sendable {
    var impressions: Int64 = 0
    var likes: Int64 = 0
    var shares: Int64 = 0
    var comments: Int64 = 0
    var engagements: Int64 = 0
    var unavailable: [String] = []
    var raw: JSONValue = [:]
}

/// A trending topic as a network reports it.
struct PlatformTrend: Sendable {
    var topic: String
    var mentions: Int64?
    var velocity: String
}

/// One network's API, as the module uses it. Every call takes the connection's credentials;
/// a 401 surfaces as `SocialPlatformError.unauthorized` for the caller to refresh and retry.
protocol SocialClient: Sendable {
    /// The account the credentials belong to (a real call: used to verify before storing).
    func identity(_ credentials: SocialCredentials) async throws -> SocialIdentity
    func publish(_ post: OutgoingPost, as account: ConnectedAccount, _ credentials: SocialCredentials) async throws -> PublishedPost
    func delete(_ remoteID: String, as account: ConnectedAccount, _ credentials: SocialCredentials) async throws
    func metrics(_ remoteID: String, as account: ConnectedAccount, _ credentials: SocialCredentials) async throws -> PostMetrics
    /// The network's trends, or nil when it has no trends endpoint.
    func trends(_ credentials: SocialCredentials) async throws -> [PlatformTrend]?
    /// New credentials from the refresh token, or nil when these cannot be refreshed.
    func refreshed(_ credentials: SocialCredentials) async throws -> SocialCredentials?
}

extension JSONValue {
    /// A number or numeric string as an integer (networks send counts either way).
    var socialInteger: Int64? {
        switch self {
        case .int(let value): value
        case .double(let value): Int64(exactly: value.rounded())
        case .string(let text): Int64(text)
        default: nil
        }
    }

    /// A string, or a number written as one (ids).
    var socialText: String? {
        switch self {
        case .string(let text): text
        case .int(let value): String(value)
        default: nil
        }
    }

    var socialItems: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }
}

/// An OAuth 2 token endpoint's answer merged into the credentials.
enum TokenAnswer {
    static func merge(_ answer: JSONValue?, into credentials: SocialCredentials, network: String, now: Date = Date()) throws -> SocialCredentials {
        guard let token = answer?["access_token"]?.stringValue, !token.isEmpty else {
            throw SocialPlatformError.malformed("\(network)'s token endpoint answered without an access_token")
        }
        var next = credentials
        next.accessToken = token
        if let refresh = answer?["refresh_token"]?.stringValue, !refresh.isEmpty { next.refreshToken = refresh }
        next.expiresAt = answer?["expires_in"]?.socialInteger.map { now.addingTimeInterval(TimeInterval($0)) }
        return next
    }
}
