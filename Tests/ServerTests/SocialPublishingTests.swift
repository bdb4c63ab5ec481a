import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PlatformDatabase
import PlatformServices
import PlatformSupport
import PlatformTesting
@testable import Server
import Testing

@Suite("Social: connections and publishing (content platform seed) against stub networks")
struct SocialPublishingTests {
    @Test("connect verifies with a real call before storing (sealed); platforms answers each network with a fresh profile read")
    func connect() async throws {
        try await withSocialApp("social_connect", code: "sc") { stub, base, client, people in
            let root = people.root
            let refused = try await client.post("/api/v1/social/connect", ["platform": "twitter", "credentials": ["access_token": "stolen"]], headers: root)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.jsonBody["error"]?["details"]?["fields"]?["credentials"]?.stringValue?.contains("X answered 401") == true)
            #expect(stub.calls("GET", "/2/users/me").last?.authorization == "Bearer stolen")
            let unknown = try await client.post("/api/v1/social/connect", ["platform": "x", "credentials": ["access_token": "x-token", "page_id": "1"]], headers: root)
            #expect(unknown.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["credentials.page_id"])
            let missing = try await client.post("/api/v1/social/connect", ["platform": "facebook", "credentials": ["access_token": "fb-token"]], headers: root)
            #expect(missing.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["credentials.page_id"])
            let inside = try await client.post("/api/v1/social/connect", [
                "platform": "mastodon", "credentials": ["access_token": "m-token", "instance_url": "http://10.1.2.3"],
            ], headers: root)
            #expect(inside.status == .unprocessableContent)
            #expect(inside.jsonBody["error"]?["details"]?["fields"]?["credentials.instance_url"]?.stringValue?.contains("private") == true)
            #expect(try await client.post("/api/v1/social/connect", ["platform": "myspace", "credentials": [:]], headers: root).status == .unprocessableContent)
            #expect(try await client.post("/api/v1/social/connect", ["platform": "x", "credentials": ["access_token": "x-token"]], headers: people.member).status == .forbidden)

            let x = try await client.connectSocial("x", base: base, headers: root)
            #expect(x["success"] == true && x["platform"] == "twitter" && x["connected"] == true)
            #expect(x["account"] == "@platformdev" && x["followers"] == 1200)
            let mastodon = try await client.connectSocial("mastodon", base: base, headers: root)
            #expect(mastodon["account"] == "@platform@127.0.0.1" && mastodon["followers"] == 88)
            try await client.connectSocial("facebook", base: base, headers: root)
            try await client.connectSocial("linkedin", base: base, headers: root)
            #expect(stub.calls("GET", "/v2/userinfo").last?.headers["linkedin-version"] == "202501")
            let sealed: String = try await people.database.withPlatformScope { tx in
                try await tx.first("SELECT string_agg(encode(sealed_credentials, 'escape'), '') FROM social_connections", as: String.self) ?? ""
            }
            #expect(!sealed.isEmpty && !sealed.contains("x-token") && !sealed.contains("m-token"))

            stub.script("GET /2/users/me", .ok, ["data": ["id": "2244994945", "username": "platformdev", "public_metrics": ["followers_count": 1250]]])
            stub.down("GET /api/v1/accounts/verify_credentials")
            let platforms = try await client.get("/api/v1/social/platforms", headers: people.member)
            #expect(platforms.status == .ok)
            let list = platforms.jsonBody["platforms"]?.arrayValues ?? []
            #expect(list.compactMap { $0["name"]?.stringValue } == ["twitter", "linkedin", "facebook", "instagram", "mastodon"])
            let twitter = list.first { $0["name"] == "twitter" }
            #expect(twitter?["connected"] == true && twitter?["account"] == "@platformdev" && twitter?["followers"] == 1250)
            let fediverse = list.first { $0["name"] == "mastodon" }
            #expect(fediverse?["connected"] == true && fediverse?["followers"] == 88)
            #expect(fediverse?["error"]?.stringValue?.contains("503") == true)
            #expect(list.first { $0["name"] == "instagram" }?["connected"] == false)
            #expect(list.first { $0["name"] == "facebook" }?["account"] == "Platform Page")
            let theirs = try await client.get("/api/v1/social/platforms", headers: people.stranger).jsonBody["platforms"]?.arrayValues ?? []
            #expect(theirs.count == 5 && theirs.allSatisfy { $0["connected"] == false })
            let report = try await client.get("/api/v1/settings/integrations", headers: root)
            #expect(report.jsonBody["integrations"]?.arrayValues?.contains { $0["name"] == "social.twitter" && $0["status"] == "connected" } == true)
            #expect(!report.text.contains("x-token"))
        }
    }

    @Test("post now (with an image) to X and Mastodon; a scheduled post is published at its time by a worker; lists in the seed's shape")
    func publishNowAndLater() async throws {
        try await withSocialApp("social_publish", code: "sp") { stub, base, client, people in
            let root = people.root
            try await client.connectSocial("x", base: base, headers: root)
            try await client.connectSocial("mastodon", base: base, headers: root)
            let created = try await client.post("/api/v1/social/posts", [
                "platforms": ["twitter", "mastodon"], "content": "Launch day! Read more at https://example.com/posts/2026/launch-announcement-with-a-long-path",
                "images": .array([.string(base + "/img/launch.png")]), "hashtags": ["launch", "#Swift"],
            ], headers: root)
            #expect(created.status == .created, "\(created.text)")
            let post = created.jsonBody
            #expect(post["platforms"] == ["twitter", "mastodon"] && post["platform"] == "twitter")
            #expect(post["hashtags"] == ["#launch", "#Swift"])
            let published = try await client.settledPost(post.id, headers: root)
            #expect(published["status"] == "published")
            let tweet = try #require(published.delivery("twitter"))
            #expect(tweet["status"] == "published")
            let tweetID = try #require(tweet["remote_id"]?.stringValue)
            #expect(tweet["url"]?.stringValue == "https://x.com/platformdev/status/\(tweetID)")
            #expect(published.delivery("mastodon")?["url"]?.stringValue?.hasPrefix("https://mastodon.example/@platform/") == true)
            let upload = try #require(stub.calls("POST", "/2/media/upload").last)
            #expect(upload.authorization == "Bearer x-token" && upload.headers["content-type"]?.hasPrefix("multipart/form-data") == true)
            let sent = try #require(stub.calls("POST", "/2/tweets").last?.json)
            #expect(sent["text"]?.stringValue?.hasSuffix("\n\n#launch #Swift") == true)
            #expect(sent["media"]?["media_ids"]?.arrayValues?.count == 1)
            let toot = try #require(stub.calls("POST", "/api/v1/statuses").last)
            #expect(toot.headers["idempotency-key"] == "\(post.id.lowercased())-mastodon")
            #expect(toot.json?["media_ids"]?.arrayValues?.count == 1)
            #expect(stub.calls("POST", "/api/v2/media").count == 1)

            // Scheduled: nothing is sent before its time; a worker publishes it then.
            let due = Date().addingTimeInterval(10)
            let scheduled = try await client.post("/api/v1/social/posts", [
                "platforms": ["x"], "content": "Later, on time.", "scheduled_at": .string(RFC3339.string(from: due)),
            ], headers: root)
            #expect(scheduled.status == .created)
            #expect(scheduled.jsonBody["status"] == "scheduled")
            #expect(scheduled.jsonBody.delivery("twitter")?["status"] == "scheduled")
            #expect(stub.calls("POST", "/2/tweets").count == 1)
            let waiting = try await client.get("/api/v1/social/posts?status=scheduled", headers: root).jsonBody["posts"]?.arrayValues ?? []
            #expect(waiting.map(\.id) == [scheduled.jsonBody.id])
            let later = try await client.settledPost(scheduled.jsonBody.id, headers: root, within: 90)
            #expect(later.delivery("twitter")?["status"] == "published")
            let sentAt = try #require(stub.calls("POST", "/2/tweets").last { $0.json?["text"] == "Later, on time." }?.at)
            #expect(sentAt >= due.addingTimeInterval(-0.5))
            let publishedAt = try #require(later.delivery("twitter")?["published_at"]?.stringValue.flatMap(RFC3339.date(from:)))
            #expect(publishedAt >= due.addingTimeInterval(-0.5))

            // The seed's list: {"posts": [{id, platform, content, scheduled_at, status}]}, filters and limit.
            let onX = try await client.get("/api/v1/social/posts?platform=twitter&limit=20", headers: root).jsonBody
            #expect(onX["posts"]?.arrayValues?.count == 2)
            #expect(onX["posts"]?[0]?["id"]?.stringValue == scheduled.jsonBody.id)
            #expect(onX["posts"]?[0]?["scheduled_at"] != nil && onX["posts"]?[0]?["platform"] == "twitter" && onX["posts"]?[0]?["content"] == "Later, on time.")
            #expect(try await client.get("/api/v1/social/posts?platform=mastodon", headers: root).jsonBody["posts"]?.arrayValues?.count == 1)
            #expect(try await client.get("/api/v1/social/posts?limit=1", headers: root).jsonBody["posts"]?.arrayValues?.count == 1)
            #expect(try await client.get("/api/v1/social/posts?status=lost", headers: root).status == .unprocessableContent)
            #expect(try await client.get("/api/v1/social/posts?platform=myspace", headers: root).status == .unprocessableContent)
            #expect(try await client.get("/api/v1/social/posts", headers: people.member).jsonBody["posts"]?.arrayValues?.count == 2)
            #expect(try await client.post("/api/v1/social/posts", ["platforms": ["x"], "content": "no"], headers: people.member).status == .forbidden)
            #expect(try await client.get("/api/v1/social/posts", headers: people.stranger).jsonBody["posts"] == [])
        }
    }

    @Test("a 5xx then success, 429 honouring Retry-After, a partial failure across networks, token expiry then refresh, 401 then refresh")
    func failuresAndRefresh() async throws {
        try await withSocialApp("social_retry", code: "sr") { stub, base, client, people in
            let root = people.root
            try await client.connectSocial(
                "x", base: base, headers: root, extra: ["refresh_token": "x-refresh", "client_id": "x-client", "client_secret": "x-secret", "expires_in": 7200])
            try await client.connectSocial("linkedin", base: base, headers: root)
            try await client.connectSocial("mastodon", base: base, headers: root, extra: ["refresh_token": "m-refresh", "client_id": "m-client"])
            stub.script("POST /2/tweets", .serviceUnavailable, ["title": "Service Unavailable", "detail": "Over capacity"])
            stub.script("POST /api/v1/statuses", .tooManyRequests, headers: ["Retry-After": "2"], ["error": "Too many requests"])
            stub.script("POST /rest/posts", .unprocessableContent, ["status": 422, "message": "ERROR :: /commentary :: is invalid"])
            let post = try await client.post("/api/v1/social/posts", ["platforms": ["twitter", "linkedin", "mastodon"], "content": "Resilient."], headers: root)
            #expect(post.status == .created)
            let settled = try await client.settledPost(post.jsonBody.id, headers: root, within: 90)
            #expect(settled["status"] == "partial")
            #expect(settled.delivery("twitter")?["status"] == "published" && settled.delivery("twitter")?["attempts"] == 2)
            #expect(settled.delivery("twitter")?["error"] == nil)
            #expect(settled.delivery("mastodon")?["status"] == "published" && settled.delivery("mastodon")?["attempts"] == 2)
            let linkedIn = try #require(settled.delivery("linkedin"))
            #expect(linkedIn["status"] == "failed" && linkedIn["attempts"] == 1)
            #expect(linkedIn["error"]?.stringValue == "LinkedIn answered 422: ERROR :: /commentary :: is invalid")
            let toots = stub.calls("POST", "/api/v1/statuses")
            #expect(toots.count == 2)
            if toots.count == 2 { #expect(toots[1].at.timeIntervalSince(toots[0].at) >= 1.9) }
            #expect(stub.calls("POST", "/rest/posts").count == 1)
            #expect(try await client.get("/api/v1/social/posts?platform=linkedin&status=failed", headers: root).jsonBody["posts"]?.arrayValues?.count == 1)

            // An expired token is refreshed before the call (the refresh token rotates), once.
            try await client.connectSocial(
                "x", base: base, headers: root,
                extra: ["refresh_token": "x-refresh", "client_id": "x-client", "client_secret": "x-secret", "expires_at": "2020-01-01T00:00:00Z"])
            let expired = try await client.post("/api/v1/social/posts", ["platforms": ["x"], "content": "After expiry."], headers: root).jsonBody.id
            #expect(try await client.settledPost(expired, headers: root).delivery("twitter")?["status"] == "published")
            #expect(stub.calls("POST", "/2/oauth2/token").count == 1)
            let fresh = stub.tokens.withLock { $0["x"] ?? "" }
            #expect(fresh != "x-token")
            #expect(stub.calls("POST", "/2/tweets").last?.authorization == "Bearer \(fresh)")
            let again = try await client.post("/api/v1/social/posts", ["platforms": ["x"], "content": "Fresh token kept."], headers: root).jsonBody.id
            #expect(try await client.settledPost(again, headers: root).delivery("twitter")?["status"] == "published")
            #expect(stub.calls("POST", "/2/oauth2/token").count == 1)

            // A token revoked elsewhere answers 401; the refresh token gets a new one and the call is made again.
            stub.setToken("mastodon", "m-rotated-elsewhere")
            let revoked = try await client.post("/api/v1/social/posts", ["platforms": ["mastodon"], "content": "After a 401."], headers: root).jsonBody.id
            #expect(try await client.settledPost(revoked, headers: root).delivery("mastodon")?["status"] == "published")
            #expect(stub.calls("POST", "/oauth/token").count == 1)
            #expect(stub.calls("POST", "/api/v1/statuses").last?.authorization == "Bearer \(stub.tokens.withLock { $0["mastodon"] ?? "" })")

            // Without a refresh token, a revoked token fails the delivery with the network's words, not retried.
            try await client.connectSocial("linkedin", base: base, headers: root)
            stub.setToken("linkedin", "li-rotated")
            let dead = try await client.post("/api/v1/social/posts", ["platforms": ["linkedin"], "content": "Dead token."], headers: root).jsonBody.id
            let failed = try await client.settledPost(dead, headers: root).delivery("linkedin")
            #expect(failed?["status"] == "failed" && failed?["attempts"] == 1)
            #expect(failed?["error"]?.stringValue?.contains("401") == true)
        }
    }

    @Test("the networks' addresses are configurable; a wrong value names its variable")
    func configuration() async throws {
        let config = try await PlatformConfig.load(environment: [
            "SOCIAL_X_API_URL": "http://x.internal:8080/", "SOCIAL_GRAPH_API_URL": "https://graph.example/v22.0", "SOCIAL_LINKEDIN_VERSION": "202506",
        ])
        #expect(config.social.xAPIURL == "http://x.internal:8080" && config.social.graphAPIURL == "https://graph.example/v22.0")
        #expect(config.social.linkedInVersion == "202506" && config.social.linkedInAPIURL == "https://api.linkedin.com")
        for (variable, value) in [("SOCIAL_X_API_URL", "ftp://x"), ("SOCIAL_LINKEDIN_VERSION", "June"), ("SOCIAL_PUBLISH_ATTEMPTS", "0")] {
            await #expect(throws: ConfigurationError.self) { try await PlatformConfig.load(environment: [variable: value]) }
            do { _ = try await PlatformConfig.load(environment: [variable: value]) } catch let error as ConfigurationError {
                #expect(error.message.hasPrefix(variable), "\(error.message)")
            }
        }
    }
}
