import Foundation
import PlatformSupport

extension PlatformConfig {
    /// Where the social networks' APIs are (each replaceable, for a proxy, a sandbox or a test
    /// stub) and how publishing behaves. Mastodon has no address here: each connection names
    /// its own instance.
    public struct Social: Sendable {
        /// X API v2 (`/2/tweets`, `/2/users/me`, `/2/media/upload`, `/2/oauth2/token`, trends).
        public var xAPIURL = "https://api.x.com"
        /// LinkedIn's REST API (`/rest/posts`, `/rest/images`, `/v2/userinfo`).
        public var linkedInAPIURL = "https://api.linkedin.com"
        /// LinkedIn's OAuth server (`/oauth/v2/accessToken`, for refreshing tokens).
        public var linkedInOAuthURL = "https://www.linkedin.com"
        /// The `LinkedIn-Version` header (YYYYMM).
        public var linkedInVersion = "202501"
        /// The Graph API with its version, for Facebook pages and Instagram accounts.
        public var graphAPIURL = "https://graph.facebook.com/v21.0"
        /// Per call to a network.
        public var timeoutSeconds = 20
        /// Attempts per delivery (retries follow 429 and 5xx answers, honouring Retry-After).
        public var publishAttempts = 5
        /// Largest image fetched to upload with a post.
        public var maxImageBytes = 5 << 20

        public init() {}
    }

    static func social(_ values: Values) throws -> Social {
        var social = Social()
        func url(_ key: String, _ env: String, _ fallback: String) throws -> String {
            guard var text = values.string(key, env: env) else { return fallback }
            guard let parsed = URL(string: text), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
                throw ConfigurationError("\(env) must be an absolute http(s) URL (got '\(text)')")
            }
            while text.hasSuffix("/") { text.removeLast() }
            return text
        }
        social.xAPIURL = try url("social.x.api.url", "SOCIAL_X_API_URL", social.xAPIURL)
        social.linkedInAPIURL = try url("social.linkedin.api.url", "SOCIAL_LINKEDIN_API_URL", social.linkedInAPIURL)
        social.linkedInOAuthURL = try url("social.linkedin.oauth.url", "SOCIAL_LINKEDIN_OAUTH_URL", social.linkedInOAuthURL)
        social.graphAPIURL = try url("social.graph.api.url", "SOCIAL_GRAPH_API_URL", social.graphAPIURL)
        if let version = values.string("social.linkedin.version", env: "SOCIAL_LINKEDIN_VERSION") {
            guard version.wholeMatch(of: /20\d{4}(\.\d{2})?/) != nil else {
                throw ConfigurationError("SOCIAL_LINKEDIN_VERSION must look like 202501 (got '\(version)')")
            }
            social.linkedInVersion = version
        }
        social.timeoutSeconds = try values.int("social.timeout.seconds", env: "SOCIAL_TIMEOUT_SECONDS", default: social.timeoutSeconds, range: 1...300)
        social.publishAttempts = try values.int("social.publish.attempts", env: "SOCIAL_PUBLISH_ATTEMPTS", default: social.publishAttempts, range: 1...20)
        social.maxImageBytes = try values.int(
            "social.max.image.bytes", env: "SOCIAL_MAX_IMAGE_BYTES", default: social.maxImageBytes, range: 1024...(100 << 20))
        return social
    }
}
