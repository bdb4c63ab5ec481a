import Foundation
import PlatformSupport

/// Mastodon's REST API on the connection's own instance (checked against the outbound target
/// policy on every call): `verify_credentials`, `POST /api/v2/media`, `POST /api/v1/statuses`
/// (with `Idempotency-Key`), `DELETE`/`GET /api/v1/statuses/{id}`, `/api/v1/trends/tags`, and
/// `/oauth/token` to refresh where the instance issued a refresh token.
struct MastodonClient: SocialClient {
    let http: SocialHTTP
    let images: ImageFetcher
    var mediaPolls = 10
    var mediaPollInterval: Duration = .seconds(1)
    static let name = "Mastodon"

    func base(_ credentials: SocialCredentials) async throws -> String {
        guard var text = credentials.instanceUrl, !text.isEmpty else { throw SocialPlatformError.refused("the connection has no instance_url") }
        _ = try await images.allowed(text, what: "the Mastodon instance")
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    func auth(_ credentials: SocialCredentials) -> [(String, String)] {
        [("Authorization", "Bearer \(credentials.accessToken)")]
    }

    func identity(_ credentials: SocialCredentials) async throws -> SocialIdentity {
        let base = try await base(credentials)
        let reply = try await http.send(.GET, base + "/api/v1/accounts/verify_credentials", headers: auth(credentials), platform: Self.name)
        guard let json = reply.json, let id = json["id"]?.socialText, let username = json["username"]?.stringValue else {
            throw SocialPlatformError.malformed("Mastodon's verify_credentials answered without id and username")
        }
        let host = URL(string: base)?.host ?? ""
        let acct = json["acct"]?.stringValue ?? username
        return SocialIdentity(
            remoteID: id, account: "@" + (acct.contains("@") ? acct : "\(acct)@\(host)"), displayName: json["display_name"]?.stringValue,
            followers: json["followers_count"]?.socialInteger)
    }

    func publish(_ post: OutgoingPost, as account: ConnectedAccount, _ credentials: SocialCredentials) async throws -> PublishedPost {
        let base = try await base(credentials)
        var mediaIDs: [JSONValue] = []
        for url in post.images {
            let image = try await images.fetch(url)
            let reply = try await http.send(
                .POST, base + "/api/v2/media", headers: auth(credentials),
                body: .multipart(fields: [], fileField: "file", fileName: image.fileName, contentType: image.contentType, data: image.data),
                platform: Self.name)
            guard let id = reply.json?["id"]?.socialText else { throw SocialPlatformError.malformed("Mastodon's /api/v2/media answered without id") }
            // 202: still processing; a status cannot carry it until it is done.
            if reply.status == 202 { try await awaitMedia(id, base: base, credentials) }
            mediaIDs.append(.string(id))
        }
        var body: [String: JSONValue] = ["status": .string(post.text), "visibility": "public"]
        if !mediaIDs.isEmpty { body["media_ids"] = .array(mediaIDs) }
        let reply = try await http.send(
            .POST, base + "/api/v1/statuses", headers: auth(credentials) + [("Idempotency-Key", post.idempotencyKey)], body: .json(.object(body)),
            platform: Self.name)
        guard let id = reply.json?["id"]?.socialText else { throw SocialPlatformError.malformed("Mastodon's /api/v1/statuses answered without id") }
        return PublishedPost(remoteID: id, url: reply.json?["url"]?.stringValue ?? reply.json?["uri"]?.stringValue)
    }

    func awaitMedia(_ id: String, base: String, _ credentials: SocialCredentials) async throws {
        for _ in 0..<mediaPolls {
            try await Task.sleep(for: mediaPollInterval)
            let reply = try await http.send(.GET, base + "/api/v1/media/" + SocialHTTP.pathSegment(id), headers: auth(credentials), platform: Self.name)
            if reply.status == 200 { return }
        }
        throw SocialPlatformError(kind: .server, message: "Mastodon was still processing the media")
    }

    func delete(_ remoteID: String, as account: ConnectedAccount, _ credentials: SocialCredentials) async throws {
        let base = try await base(credentials)
        _ = try await http.send(.DELETE, base + "/api/v1/statuses/" + SocialHTTP.pathSegment(remoteID), headers: auth(credentials), platform: Self.name)
    }

    func metrics(_ remoteID: String, as account: ConnectedAccount, _ credentials: SocialCredentials) async throws -> PostMetrics {
        let base = try await base(credentials)
        let reply = try await http.send(.GET, base + "/api/v1/statuses/" + SocialHTTP.pathSegment(remoteID), headers: auth(credentials), platform: Self.name)
        guard let json = reply.json, json["id"] != nil else { throw SocialPlatformError.malformed("Mastodon's status answered without id") }
        var metrics = PostMetrics(raw: [
            "favourites_count": json["favourites_count"] ?? 0, "reblogs_count": json["reblogs_count"] ?? 0, "replies_count": json["replies_count"] ?? 0,
        ])
        metrics.likes = json["favourites_count"]?.socialInteger ?? 0
        metrics.shares = json["reblogs_count"]?.socialInteger ?? 0
        metrics.comments = json["replies_count"]?.socialInteger ?? 0
        metrics.engagements = metrics.likes + metrics.shares + metrics.comments
        // Mastodon counts no views.
        metrics.unavailable = ["impressions"]
        return metrics
    }

    /// Trending tags with their daily uses (newest day first): mentions are the uses over the
    /// days reported; the velocity compares today with the average of the days before.
    func trends(_ credentials: SocialCredentials) async throws -> [PlatformTrend]? {
        let base = try await base(credentials)
        let reply = try await http.send(.GET, SocialHTTP.url(base + "/api/v1/trends/tags", [("limit", "20")]), headers: auth(credentials), platform: Self.name)
        guard case .array(let tags)? = reply.json else { throw SocialPlatformError.malformed("Mastodon's trends answered no list") }
        return tags.compactMap { tag in
            guard let name = tag["name"]?.stringValue else { return nil }
            let uses = (tag["history"]?.socialItems ?? []).map { $0["uses"]?.socialInteger ?? 0 }
            return PlatformTrend(topic: "#" + name, mentions: uses.reduce(0, +), velocity: Self.velocity(uses))
        }
    }

    static func velocity(_ uses: [Int64]) -> String {
        guard let today = uses.first, uses.count > 1 else { return "unknown" }
        let before = Double(uses.dropFirst().reduce(0, +)) / Double(uses.count - 1)
        if Double(today) > before * 1.2 { return "rising" }
        if Double(today) < before * 0.8 { return "falling" }
        return "steady"
    }

    func refreshed(_ credentials: SocialCredentials) async throws -> SocialCredentials? {
        guard let refresh = credentials.refreshToken, let client = credentials.clientId else { return nil }
        let base = try await base(credentials)
        var form = [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", client)]
        if let secret = credentials.clientSecret { form.append(("client_secret", secret)) }
        let reply = try await http.send(.POST, base + "/oauth/token", body: .form(form), platform: Self.name)
        return try TokenAnswer.merge(reply.json, into: credentials, network: Self.name)
    }
}
