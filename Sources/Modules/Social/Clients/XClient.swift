import Foundation
import PlatformSupport

/// X API v2 with an OAuth 2 user token (`Authorization: Bearer`): `GET /2/users/me`,
/// `POST /2/media/upload`, `POST /2/tweets`, `DELETE /2/tweets/{id}`, `GET /2/tweets/{id}`
/// (public metrics), `GET /2/trends/by/woeid/{woeid}`, and `POST /2/oauth2/token` to refresh.
struct XClient: SocialClient {
    let http: SocialHTTP
    let images: ImageFetcher
    let baseURL: String
    static let name = "X"

    func auth(_ credentials: SocialCredentials) -> [(String, String)] {
        [("Authorization", "Bearer \(credentials.accessToken)")]
    }

    func identity(_ credentials: SocialCredentials) async throws -> SocialIdentity {
        let reply = try await http.send(
            .GET, SocialHTTP.url(baseURL + "/2/users/me", [("user.fields", "public_metrics,username,name")]), headers: auth(credentials), platform: Self.name)
        guard let user = reply.json?["data"], let id = user["id"]?.socialText, let username = user["username"]?.stringValue else {
            throw SocialPlatformError.malformed("X's /2/users/me answered without data.id and data.username")
        }
        return SocialIdentity(
            remoteID: id, account: "@" + username, displayName: user["name"]?.stringValue,
            followers: user["public_metrics"]?["followers_count"]?.socialInteger)
    }

    func publish(_ post: OutgoingPost, as account: ConnectedAccount, _ credentials: SocialCredentials) async throws -> PublishedPost {
        var mediaIDs: [JSONValue] = []
        for url in post.images {
            let image = try await images.fetch(url)
            let reply = try await http.send(
                .POST, baseURL + "/2/media/upload", headers: auth(credentials),
                body: .multipart(
                    fields: [("media_category", "tweet_image"), ("media_type", image.contentType)], fileField: "media", fileName: image.fileName,
                    contentType: image.contentType, data: image.data),
                platform: Self.name)
            guard let id = reply.json?["data"]?["id"]?.socialText ?? reply.json?["media_id_string"]?.stringValue else {
                throw SocialPlatformError.malformed("X's media upload answered without data.id")
            }
            mediaIDs.append(.string(id))
        }
        var body: [String: JSONValue] = ["text": .string(post.text)]
        if !mediaIDs.isEmpty { body["media"] = ["media_ids": .array(mediaIDs)] }
        let reply = try await http.send(.POST, baseURL + "/2/tweets", headers: auth(credentials), body: .json(.object(body)), platform: Self.name)
        guard let id = reply.json?["data"]?["id"]?.socialText else { throw SocialPlatformError.malformed("X's /2/tweets answered without data.id") }
        let handle = account.account.hasPrefix("@") ? String(account.account.dropFirst()) : account.account
        return PublishedPost(remoteID: id, url: "https://x.com/\(SocialHTTP.pathSegment(handle))/status/\(id)")
    }

    func delete(_ remoteID: String, as account: ConnectedAccount, _ credentials: SocialCredentials) async throws {
        _ = try await http.send(.DELETE, baseURL + "/2/tweets/" + SocialHTTP.pathSegment(remoteID), headers: auth(credentials), platform: Self.name)
    }

    func metrics(_ remoteID: String, as account: ConnectedAccount, _ credentials: SocialCredentials) async throws -> PostMetrics {
        let reply = try await http.send(
            .GET, SocialHTTP.url(baseURL + "/2/tweets/" + SocialHTTP.pathSegment(remoteID), [("tweet.fields", "public_metrics")]),
            headers: auth(credentials), platform: Self.name)
        guard let counts = reply.json?["data"]?["public_metrics"] else {
            throw SocialPlatformError.malformed("X's /2/tweets/{id} answered without data.public_metrics")
        }
        func count(_ key: String) -> Int64 { counts[key]?.socialInteger ?? 0 }
        var metrics = PostMetrics(raw: counts)
        metrics.impressions = count("impression_count")
        metrics.likes = count("like_count")
        metrics.shares = count("retweet_count") + count("quote_count")
        metrics.comments = count("reply_count")
        metrics.engagements = metrics.likes + metrics.shares + metrics.comments + count("bookmark_count")
        if counts["impression_count"] == nil { metrics.unavailable.append("impressions") }
        return metrics
    }

    func trends(_ credentials: SocialCredentials) async throws -> [PlatformTrend]? {
        let place = credentials.trendsWoeid ?? 1
        let reply = try await http.send(
            .GET, SocialHTTP.url(baseURL + "/2/trends/by/woeid/\(place)", [("max_trends", "20")]), headers: auth(credentials), platform: Self.name)
        guard let items = reply.json?["data"] else { throw SocialPlatformError.malformed("X's trends answered without data") }
        // X reports a volume, not a direction.
        return items.socialItems.compactMap { item in
            item["trend_name"]?.stringValue.map { PlatformTrend(topic: $0, mentions: item["tweet_count"]?.socialInteger, velocity: "unknown") }
        }
    }

    func refreshed(_ credentials: SocialCredentials) async throws -> SocialCredentials? {
        guard let refresh = credentials.refreshToken, let client = credentials.clientId else { return nil }
        var headers: [(String, String)] = []
        if let secret = credentials.clientSecret {
            headers.append(("Authorization", "Basic " + Data("\(client):\(secret)".utf8).base64EncodedString()))
        }
        let reply = try await http.send(
            .POST, baseURL + "/2/oauth2/token", headers: headers,
            body: .form([("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", client)]), platform: Self.name)
        return try TokenAnswer.merge(reply.json, into: credentials, network: Self.name)
    }
}
