import Foundation
import PlatformSupport

/// LinkedIn's versioned REST API (`LinkedIn-Version`, Rest.li 2.0): the Posts API
/// (`POST /rest/posts`, `DELETE /rest/posts/{urn}`), the Images API (`initializeUpload`, then
/// `PUT` to the upload URL), `GET /v2/userinfo` for a member, `/rest/organizations` and
/// `/rest/networkSizes` for a page, `socialActions` and `organizationalEntityShareStatistics`
/// for metrics, and the OAuth server's `/oauth/v2/accessToken` to refresh.
struct LinkedInClient: SocialClient {
    let http: SocialHTTP
    let images: ImageFetcher
    let baseURL: String
    let oauthURL: String
    let version: String
    static let name = "LinkedIn"

    func headers(_ credentials: SocialCredentials) -> [(String, String)] {
        [("Authorization", "Bearer \(credentials.accessToken)"), ("LinkedIn-Version", version), ("X-Restli-Protocol-Version", "2.0.0")]
    }

    func author(_ account: ConnectedAccount, _ credentials: SocialCredentials) -> String {
        credentials.organizationId.map { "urn:li:organization:\($0)" } ?? "urn:li:person:\(account.remoteID)"
    }

    func identity(_ credentials: SocialCredentials) async throws -> SocialIdentity {
        if let organization = credentials.organizationId {
            let reply = try await http.send(
                .GET, baseURL + "/rest/organizations/" + SocialHTTP.pathSegment(organization), headers: headers(credentials), platform: Self.name)
            guard let name = reply.json?["localizedName"]?.stringValue else {
                throw SocialPlatformError.malformed("LinkedIn's /rest/organizations answered without localizedName")
            }
            let urn = SocialHTTP.pathSegment("urn:li:organization:\(organization)")
            let size = try await http.send(
                .GET, SocialHTTP.url(baseURL + "/rest/networkSizes/" + urn, [("edgeType", "COMPANY_FOLLOWED_BY_MEMBER")]), headers: headers(credentials),
                platform: Self.name)
            return SocialIdentity(remoteID: organization, account: name, displayName: name, followers: size.json?["firstDegreeSize"]?.socialInteger)
        }
        let reply = try await http.send(.GET, baseURL + "/v2/userinfo", headers: headers(credentials), platform: Self.name)
        guard let id = reply.json?["sub"]?.stringValue else { throw SocialPlatformError.malformed("LinkedIn's /v2/userinfo answered without sub") }
        let name = reply.json?["name"]?.stringValue ?? id
        // A member's follower count is not part of the API members' tokens reach.
        return SocialIdentity(remoteID: id, account: name, displayName: name, followers: nil)
    }

    func publish(_ post: OutgoingPost, as account: ConnectedAccount, _ credentials: SocialCredentials) async throws -> PublishedPost {
        let owner = author(account, credentials)
        var imageURNs: [String] = []
        for url in post.images {
            let image = try await images.fetch(url)
            let initialized = try await http.send(
                .POST, baseURL + "/rest/images?action=initializeUpload", headers: headers(credentials),
                body: .json(["initializeUploadRequest": ["owner": .string(owner)]]), platform: Self.name)
            guard let upload = initialized.json?["value"]?["uploadUrl"]?.stringValue, let urn = initialized.json?["value"]?["image"]?.stringValue else {
                throw SocialPlatformError.malformed("LinkedIn's initializeUpload answered without value.uploadUrl and value.image")
            }
            let target = try await images.allowed(upload, what: "LinkedIn's upload URL")
            _ = try await http.send(
                .PUT, target.absoluteString, headers: [("Authorization", "Bearer \(credentials.accessToken)")],
                body: .bytes(image.data, contentType: image.contentType), platform: Self.name)
            imageURNs.append(urn)
        }
        var body: [String: JSONValue] = [
            "author": .string(owner), "commentary": .string(Self.littleText(post.text)), "visibility": "PUBLIC",
            "distribution": ["feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []],
            "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": false,
        ]
        if imageURNs.count == 1 {
            body["content"] = ["media": ["id": .string(imageURNs[0])]]
        } else if imageURNs.count > 1 {
            body["content"] = ["multiImage": ["images": .array(imageURNs.map { ["id": .string($0)] })]]
        }
        let reply = try await http.send(.POST, baseURL + "/rest/posts", headers: headers(credentials), body: .json(.object(body)), platform: Self.name)
        guard let urn = reply.header("x-restli-id") ?? reply.header("x-linkedin-id") ?? reply.json?["id"]?.stringValue else {
            throw SocialPlatformError.malformed("LinkedIn's /rest/posts answered without x-restli-id")
        }
        return PublishedPost(remoteID: urn, url: "https://www.linkedin.com/feed/update/\(urn)/")
    }

    func delete(_ remoteID: String, as account: ConnectedAccount, _ credentials: SocialCredentials) async throws {
        _ = try await http.send(.DELETE, baseURL + "/rest/posts/" + SocialHTTP.pathSegment(remoteID), headers: headers(credentials), platform: Self.name)
    }

    func metrics(_ remoteID: String, as account: ConnectedAccount, _ credentials: SocialCredentials) async throws -> PostMetrics {
        let urn = SocialHTTP.pathSegment(remoteID)
        if let organization = credentials.organizationId {
            let kind = remoteID.hasPrefix("urn:li:ugcPost:") ? "ugcPosts" : "shares"
            let url = baseURL + "/rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity="
                + SocialHTTP.pathSegment("urn:li:organization:\(organization)") + "&\(kind)=List(\(urn))"
            let reply = try await http.send(.GET, url, headers: headers(credentials), platform: Self.name)
            guard let totals = reply.json?["elements"]?.socialItems.first?["totalShareStatistics"] else {
                throw SocialPlatformError.malformed("LinkedIn's share statistics answered without elements[0].totalShareStatistics")
            }
            func count(_ key: String) -> Int64 { totals[key]?.socialInteger ?? 0 }
            var metrics = PostMetrics(raw: totals)
            metrics.impressions = count("impressionCount")
            metrics.likes = count("likeCount")
            metrics.comments = count("commentCount")
            metrics.shares = count("shareCount")
            metrics.engagements = metrics.likes + metrics.comments + metrics.shares + count("clickCount")
            return metrics
        }
        let reply = try await http.send(.GET, baseURL + "/rest/socialActions/" + urn, headers: headers(credentials), platform: Self.name)
        guard let json = reply.json else { throw SocialPlatformError.malformed("LinkedIn's socialActions answered no JSON") }
        var metrics = PostMetrics(raw: json)
        metrics.likes = json["likesSummary"]?["totalLikes"]?.socialInteger ?? 0
        metrics.comments = json["commentsSummary"]?["aggregatedTotalComments"]?.socialInteger ?? json["commentsSummary"]?["totalFirstLevelComments"]?.socialInteger ?? 0
        metrics.engagements = metrics.likes + metrics.comments
        // Impressions and reshares of a member's post are not in the API members' tokens reach.
        metrics.unavailable = ["impressions", "shares"]
        return metrics
    }

    func trends(_ credentials: SocialCredentials) async throws -> [PlatformTrend]? { nil }

    func refreshed(_ credentials: SocialCredentials) async throws -> SocialCredentials? {
        guard let refresh = credentials.refreshToken, let client = credentials.clientId, let secret = credentials.clientSecret else { return nil }
        let reply = try await http.send(
            .POST, oauthURL + "/oauth/v2/accessToken",
            body: .form([("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", client), ("client_secret", secret)]),
            platform: Self.name)
        return try TokenAnswer.merge(reply.json, into: credentials, network: Self.name)
    }

    /// Commentary in LinkedIn's "little text" format: its reserved characters escaped, and
    /// `#word` written as a hashtag template.
    static func littleText(_ text: String) -> String {
        var out = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "#" {
                let rest = text[text.index(after: index)...]
                let word = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                if !word.isEmpty {
                    out += "{hashtag|\\#|\(word.replacingOccurrences(of: "_", with: "\\_"))}"
                    index = word.endIndex
                    continue
                }
            }
            if "\\|{}@[]()<>#*_~".contains(character) { out.append("\\") }
            out.append(character)
            index = text.index(after: index)
        }
        return out
    }
}
