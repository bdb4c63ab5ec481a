import Foundation
import PlatformSupport

/// The Graph API for a Facebook page (`/{page-id}/feed`, `/{page-id}/photos`, `/{post-id}`,
/// `/{post-id}/insights`) and an Instagram professional account (a media container, then
/// `/{ig-user-id}/media_publish`; `/{media-id}/insights`). Bodies are form-encoded, the token
/// goes in `Authorization: Bearer`; a long-lived token is refreshed by exchanging it
/// (`/oauth/access_token?grant_type=fb_exchange_token`) when the app's id and secret are kept.
struct GraphClient: SocialClient {
    let http: SocialHTTP
    let baseURL: String
    let network: SocialNetwork
    /// How long to wait for an Instagram container to finish processing.
    var containerPolls = 10
    var containerPollInterval: Duration = .seconds(1)

    var name: String { network.displayName }

    func auth(_ credentials: SocialCredentials) -> [(String, String)] {
        [("Authorization", "Bearer \(credentials.accessToken)")]
    }

    func node(_ id: String) -> String { baseURL + "/" + SocialHTTP.pathSegment(id) }

    func accountID(_ credentials: SocialCredentials) throws -> String {
        let id = network == .instagram ? credentials.igUserId : credentials.pageId
        guard let id, !id.isEmpty else { throw SocialPlatformError.refused("the connection has no \(network == .instagram ? "ig_user_id" : "page_id")") }
        return id
    }

    func identity(_ credentials: SocialCredentials) async throws -> SocialIdentity {
        let id = try accountID(credentials)
        let fields = network == .instagram ? "id,username,name,followers_count" : "id,name,username,followers_count,fan_count"
        let reply = try await http.send(.GET, SocialHTTP.url(node(id), [("fields", fields)]), headers: auth(credentials), platform: name)
        guard let json = reply.json, let remote = json["id"]?.socialText else { throw SocialPlatformError.malformed("the Graph API answered without id") }
        let handle = json["username"]?.stringValue.map { "@" + $0 }
        return SocialIdentity(
            remoteID: remote, account: (network == .instagram ? handle : json["name"]?.stringValue) ?? handle ?? remote,
            displayName: json["name"]?.stringValue, followers: json["followers_count"]?.socialInteger ?? json["fan_count"]?.socialInteger)
    }

    func publish(_ post: OutgoingPost, as account: ConnectedAccount, _ credentials: SocialCredentials) async throws -> PublishedPost {
        let id = try accountID(credentials)
        return network == .instagram
            ? try await publishInstagram(post, user: id, credentials) : try await publishPage(post, page: id, credentials)
    }

    func publishPage(_ post: OutgoingPost, page: String, _ credentials: SocialCredentials) async throws -> PublishedPost {
        let remote: String?
        if post.images.count == 1 {
            let reply = try await http.send(
                .POST, node(page) + "/photos", headers: auth(credentials), body: .form([("url", post.images[0]), ("caption", post.text)]), platform: name)
            remote = reply.json?["post_id"]?.socialText ?? reply.json?["id"]?.socialText
        } else {
            var form: [(String, String)] = [("message", post.text)]
            for (index, url) in post.images.enumerated() {
                let photo = try await http.send(
                    .POST, node(page) + "/photos", headers: auth(credentials), body: .form([("url", url), ("published", "false")]), platform: name)
                guard let media = photo.json?["id"]?.socialText else { throw SocialPlatformError.malformed("the Graph API's /photos answered without id") }
                form.append(("attached_media[\(index)]", "{\"media_fbid\":\"\(media)\"}"))
            }
            let reply = try await http.send(.POST, node(page) + "/feed", headers: auth(credentials), body: .form(form), platform: name)
            remote = reply.json?["id"]?.socialText
        }
        guard let remote else { throw SocialPlatformError.malformed("the Graph API answered the post without id") }
        return PublishedPost(remoteID: remote, url: "https://www.facebook.com/\(remote)")
    }

    func publishInstagram(_ post: OutgoingPost, user: String, _ credentials: SocialCredentials) async throws -> PublishedPost {
        guard !post.images.isEmpty else { throw SocialPlatformError(kind: .rejected, message: "Instagram needs an image") }
        func container(_ form: [(String, String)]) async throws -> String {
            let reply = try await http.send(.POST, node(user) + "/media", headers: auth(credentials), body: .form(form), platform: name)
            guard let id = reply.json?["id"]?.socialText else { throw SocialPlatformError.malformed("Instagram's /media answered without id") }
            return id
        }
        let creation: String
        if post.images.count == 1 {
            creation = try await container([("image_url", post.images[0]), ("caption", post.text)])
        } else {
            var children: [String] = []
            for url in post.images { children.append(try await container([("image_url", url), ("is_carousel_item", "true")])) }
            creation = try await container([("media_type", "CAROUSEL"), ("children", children.joined(separator: ",")), ("caption", post.text)])
        }
        try await awaitContainer(creation, credentials)
        let reply = try await http.send(
            .POST, node(user) + "/media_publish", headers: auth(credentials), body: .form([("creation_id", creation)]), platform: name)
        guard let media = reply.json?["id"]?.socialText else { throw SocialPlatformError.malformed("Instagram's /media_publish answered without id") }
        let link = try? await http.send(.GET, SocialHTTP.url(node(media), [("fields", "permalink")]), headers: auth(credentials), platform: name)
        return PublishedPost(remoteID: media, url: link?.json?["permalink"]?.stringValue)
    }

    /// Waits until Instagram has processed a container (`status_code` FINISHED).
    func awaitContainer(_ id: String, _ credentials: SocialCredentials) async throws {
        for attempt in 0..<containerPolls {
            let reply = try await http.send(.GET, SocialHTTP.url(node(id), [("fields", "status_code")]), headers: auth(credentials), platform: name)
            switch reply.json?["status_code"]?.stringValue {
            case "FINISHED", nil: return
            case "ERROR", "EXPIRED": throw SocialPlatformError(kind: .rejected, message: "Instagram could not process the media container")
            default: if attempt + 1 < containerPolls { try await Task.sleep(for: containerPollInterval) }
            }
        }
        throw SocialPlatformError(kind: .server, message: "Instagram was still processing the media")
    }

    func delete(_ remoteID: String, as account: ConnectedAccount, _ credentials: SocialCredentials) async throws {
        guard network == .facebook else { throw SocialPlatformError.refused("Instagram's API cannot delete published media; remove it in the app") }
        _ = try await http.send(.DELETE, node(remoteID), headers: auth(credentials), platform: name)
    }

    func metrics(_ remoteID: String, as account: ConnectedAccount, _ credentials: SocialCredentials) async throws -> PostMetrics {
        func insight(_ reply: SocialReply, _ key: String) -> Int64? {
            let item = reply.json?["data"]?.socialItems.first { $0["name"]?.stringValue == key }
            return item?["total_value"]?["value"]?.socialInteger ?? item?["values"]?.socialItems.first?["value"]?.socialInteger
        }
        if network == .instagram {
            let reply = try await http.send(
                .GET, SocialHTTP.url(node(remoteID) + "/insights", [("metric", "views,likes,comments,shares,saved,total_interactions")]),
                headers: auth(credentials), platform: name)
            var metrics = PostMetrics(raw: reply.json ?? [:])
            metrics.impressions = insight(reply, "views") ?? 0
            metrics.likes = insight(reply, "likes") ?? 0
            metrics.comments = insight(reply, "comments") ?? 0
            metrics.shares = insight(reply, "shares") ?? 0
            metrics.engagements = insight(reply, "total_interactions") ?? (metrics.likes + metrics.comments + metrics.shares + (insight(reply, "saved") ?? 0))
            return metrics
        }
        let counts = try await http.send(
            .GET, SocialHTTP.url(node(remoteID), [("fields", "shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)")]),
            headers: auth(credentials), platform: name)
        var metrics = PostMetrics(raw: counts.json ?? [:])
        metrics.likes = counts.json?["reactions"]?["summary"]?["total_count"]?.socialInteger ?? 0
        metrics.comments = counts.json?["comments"]?["summary"]?["total_count"]?.socialInteger ?? 0
        metrics.shares = counts.json?["shares"]?["count"]?.socialInteger ?? 0
        metrics.engagements = metrics.likes + metrics.comments + metrics.shares
        do {
            let insights = try await http.send(
                .GET, SocialHTTP.url(node(remoteID) + "/insights", [("metric", "post_impressions")]), headers: auth(credentials), platform: name)
            metrics.impressions = insight(insights, "post_impressions") ?? 0
        } catch let error as SocialPlatformError where error.kind == .rejected || error.kind == .notFound {
            // Insights need the page's read_insights permission; the counters above do not.
            metrics.unavailable.append("impressions")
        }
        return metrics
    }

    func trends(_ credentials: SocialCredentials) async throws -> [PlatformTrend]? { nil }

    func refreshed(_ credentials: SocialCredentials) async throws -> SocialCredentials? {
        guard let app = credentials.clientId, let secret = credentials.clientSecret else { return nil }
        let reply = try await http.send(
            .GET, SocialHTTP.url(baseURL + "/oauth/access_token", [
                ("grant_type", "fb_exchange_token"), ("client_id", app), ("client_secret", secret), ("fb_exchange_token", credentials.accessToken),
            ]), platform: name)
        return try TokenAnswer.merge(reply.json, into: credentials, network: name)
    }
}
