import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

/// A connection as stored (`SocialConnectionStore.columns`); its credentials are read apart.
struct StoredConnection: Decodable, Sendable {
    var id: UUID
    var platform: SocialNetwork
    var account: String
    var remoteAccountId: String
    var displayName: String?
    var followers: Int64?
    var tokenExpiresAt: Date?
    var platformAccountId: UUID?
    var checkedAt: Date
    var lastError: String?
    var createdAt: Date
    var updatedAt: Date

    var connectedAccount: ConnectedAccount { ConnectedAccount(remoteID: remoteAccountId, account: account) }
}

/// `POST /social/connect`: the network and its credentials (see docs/social.md for each
/// network's keys), optionally the platform account whose daily quota the connection uses.
struct ConnectInput: Codable, Sendable {
    var platform: String
    var credentials: JSONValue
    var platformAccountId: UUID?
}

struct ConnectResult: Codable, Sendable, ResponseEncodable {
    var success: Bool
    var platform: SocialNetwork
    var connected: Bool
    var account: String
    var accountId: String
    var displayName: String?
    var followers: Int64?
    var platformAccountId: UUID?
    var tokenExpiresAt: Date?
    var message: String
}

/// One network in `GET /social/platforms`.
struct PlatformState: Codable, Sendable {
    var name: SocialNetwork
    var displayName: String
    var connected: Bool
    var account: String?
    var followers: Int64?
    var platformAccountId: UUID?
    /// When the profile was last read from the network.
    var checkedAt: Date?
    /// Why the fresh read failed (the stored values are answered then).
    var error: String?
}

struct PlatformStates: Codable, Sendable, ResponseEncodable {
    var platforms: [PlatformState]
}

/// The credentials a network needs, read from the connect body: every problem named.
enum CredentialsInput {
    static let common: Set<String> = ["access_token", "refresh_token", "client_id", "client_secret", "expires_in", "expires_at"]

    static func keys(_ network: SocialNetwork) -> Set<String> {
        switch network {
        case .twitter: common.union(["trends_woeid"])
        case .linkedin: common.union(["organization_id"])
        case .facebook: common.union(["page_id", "app_id", "app_secret"])
        case .instagram: common.union(["ig_user_id", "app_id", "app_secret"])
        case .mastodon: common.union(["instance_url"])
        }
    }

    static func parse(_ value: JSONValue, for network: SocialNetwork, now: Date = Date()) -> (SocialCredentials?, [String: String]) {
        guard case .object(let fields) = value else { return (nil, ["credentials": "must be an object"]) }
        var problems: [String: String] = [:]
        for key in fields.keys where !keys(network).contains(key) {
            problems["credentials.\(key)"] = "is not a \(network.displayName) credential (expected: \(keys(network).sorted().joined(separator: ", ")))"
        }
        func text(_ key: String, required: Bool = false) -> String? {
            guard let field = fields[key], field != .null else {
                if required { problems["credentials.\(key)"] = "is required for \(network.displayName)" }
                return nil
            }
            guard let string = field.socialText, !string.isEmpty, string.count <= 4000, !string.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                problems["credentials.\(key)"] = "must be a non-empty string of at most 4000 characters on one line"
                return nil
            }
            return string
        }
        var credentials = SocialCredentials(accessToken: text("access_token", required: true) ?? "")
        credentials.refreshToken = text("refresh_token")
        credentials.clientId = text("client_id") ?? text("app_id")
        credentials.clientSecret = text("client_secret") ?? text("app_secret")
        if let seconds = fields["expires_in"], seconds != .null {
            if let value = seconds.socialInteger, (1...(10 * 365 * 86_400)).contains(value) {
                credentials.expiresAt = now.addingTimeInterval(TimeInterval(value))
            } else {
                problems["credentials.expires_in"] = "must be a number of seconds from 1 to 315360000"
            }
        } else if let at = text("expires_at") {
            if let date = RFC3339.date(from: at) { credentials.expiresAt = date } else { problems["credentials.expires_at"] = "must be an RFC 3339 timestamp" }
        }
        switch network {
        case .twitter:
            if let woeid = fields["trends_woeid"], woeid != .null {
                if let value = woeid.socialInteger, (1...Int64(Int32.max)).contains(value) { credentials.trendsWoeid = Int(value) } else {
                    problems["credentials.trends_woeid"] = "must be a positive whole number (1 is worldwide)"
                }
            }
        case .linkedin:
            credentials.organizationId = text("organization_id")
            if let id = credentials.organizationId, id.wholeMatch(of: /[0-9]{1,20}/) == nil { problems["credentials.organization_id"] = "must be the organization's numeric id" }
        case .facebook:
            credentials.pageId = text("page_id", required: true)
        case .instagram:
            credentials.igUserId = text("ig_user_id", required: true)
        case .mastodon:
            if let url = text("instance_url", required: true) {
                if let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil, parsed.user == nil {
                    credentials.instanceUrl = url
                } else {
                    problems["credentials.instance_url"] = "must be the instance's http(s) address, such as https://mastodon.social"
                }
            }
        }
        for (key, id) in [("page_id", credentials.pageId), ("ig_user_id", credentials.igUserId)] {
            if let id, id.wholeMatch(of: /[0-9]{1,30}/) == nil { problems["credentials.\(key)"] = "must be a numeric Graph API id" }
        }
        return problems.isEmpty ? (credentials, [:]) : (nil, problems)
    }
}

extension SocialPlatformError {
    /// The error as an answer to a request that called the network itself.
    func apiError(_ network: SocialNetwork) -> APIError {
        let details: [String: JSONValue] = ["platform": .string(network.rawValue), "platform_status": status.map { .int(Int64($0)) } ?? .null]
        switch kind {
        case .rateLimited:
            var error = APIError(
                .serviceUnavailable, code: "SOCIAL_PLATFORM_RATE_LIMITED", message: message, hint: "Retry later", details: details)
            if let wait = retryAfter { error.headers[.retryAfter] = String(max(Int(wait.components.seconds), 1)) }
            return error
        case .unauthorized:
            return APIError(
                .conflict, code: "SOCIAL_PLATFORM_UNAUTHORIZED", message: message, hint: "Connect \(network.displayName) again (POST /api/v1/social/connect)",
                details: details)
        case .refused:
            return APIError(.conflict, code: "SOCIAL_PLATFORM_REFUSED", message: message, details: details)
        case .rejected, .notFound:
            return APIError(.badGateway, code: "SOCIAL_PLATFORM_REJECTED", message: message, details: details)
        case .server, .unreachable, .malformed:
            return APIError(.badGateway, code: "SOCIAL_PLATFORM_UNAVAILABLE", message: message, details: details)
        }
    }
}

extension APIError {
    static func socialNotConnected(_ network: SocialNetwork) -> APIError {
        APIError(
            .conflict, code: "SOCIAL_PLATFORM_NOT_CONNECTED", message: "\(network.displayName) is not connected",
            hint: "Connect it with POST /api/v1/social/connect", details: ["platform": .string(network.rawValue)])
    }
}
