import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PlatformDatabase
import PlatformSupport
import PlatformTesting
@testable import Server
import Testing

@Suite("Social: rules, analytics, deletion, cross-posting, generation, trends")
struct SocialInsightsTests {
    @Test("length rules before anything is sent: X counts a URL as 23 and CJK as 2, Instagram needs an image, Mastodon 500; every violation listed")
    func lengthRules() async throws {
        try await withSocialApp("social_rules", code: "sl") { stub, base, client, people in
            let root = people.root
            for network in ["x", "mastodon", "instagram", "linkedin"] { try await client.connectSocial(network, base: base, headers: root) }
            let url = "https://example.com/" + String(repeating: "p", count: 100)
            // 250 + 1 + 23 = 274 weighted, although 371 characters long.
            let fits = try await client.post("/api/v1/social/posts", ["platforms": ["x"], "content": .string(String(repeating: "a", count: 250) + " " + url)], headers: root)
            #expect(fits.status == .created, "\(fits.text)")
            let over = try await client.post("/api/v1/social/posts", ["platforms": ["x"], "content": .string(String(repeating: "a", count: 260) + " " + url)], headers: root)
            #expect(over.status == .unprocessableContent)
            #expect(over.jsonBody["error"]?["details"]?["fields"]?["twitter"]?.stringValue?.hasPrefix("is 284 weighted characters") == true)
            #expect(try await client.post("/api/v1/social/posts", ["platforms": ["x"], "content": .string(String(repeating: "日", count: 140))], headers: root).status == .created)
            let wide = try await client.post("/api/v1/social/posts", ["platforms": ["x"], "content": .string(String(repeating: "日", count: 141))], headers: root)
            #expect(wide.jsonBody["error"]?["details"]?["fields"]?["twitter"]?.stringValue?.hasPrefix("is 282 weighted") == true)

            let postsBefore = try await client.get("/api/v1/social/posts?limit=100", headers: root).jsonBody["total"]
            let broken = try await client.post("/api/v1/social/posts", [
                "platforms": ["twitter", "instagram", "mastodon", "linkedin", "facebook"], "content": .string(String(repeating: "word ", count: 120)),
                "hashtags": ["ok", "not ok"], "scheduled_at": "2020-01-01T00:00:00Z",
            ], headers: root)
            #expect(broken.status == .unprocessableContent)
            let fields = broken.jsonBody["error"]?["details"]?["fields"]
            #expect(Set(fields?.objectKeys ?? []) == ["twitter", "instagram", "mastodon", "facebook", "hashtags[1]", "scheduled_at"])
            #expect(fields?["instagram"]?.stringValue?.contains("Instagram needs an image") == true)
            #expect(fields?["mastodon"]?.stringValue?.contains("characters (URLs count as 23); Mastodon allows 500") == true)
            #expect(fields?["facebook"]?.stringValue?.contains("not connected") == true)
            let noImage = try await client.post("/api/v1/social/posts", ["platforms": ["instagram", "twitter"], "content": "Short."], headers: root)
            #expect(noImage.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["instagram"])
            // Nothing was sent and nothing stored.
            #expect(stub.log.withLock { $0.contains { $0.body.contains("word word") } } == false)
            #expect(try await client.get("/api/v1/social/posts?limit=100", headers: root).jsonBody["total"] == postsBefore)
            #expect(try await client.post("/api/v1/social/posts", ["platforms": [], "content": "x"], headers: root).status == .unprocessableContent)
            let ftp = try await client.post("/api/v1/social/posts", ["platforms": ["x"], "content": "x", "images": ["ftp://example.com/a.png"]], headers: root)
            #expect(ftp.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["images[0]"])
            #expect(try await client.post("/api/v1/social/posts", ["platforms": "x", "content": "x"], headers: root).status == .unprocessableContent)

            // A post not yet published anywhere has no analytics; deleting it calls no network.
            let pending = try await client.post("/api/v1/social/posts", [
                "platforms": ["x"], "content": "Next hour.", "scheduled_at": .string(RFC3339.string(from: Date().addingTimeInterval(3600))),
            ], headers: root).jsonBody.id
            let early = try await client.get("/api/v1/social/posts/\(pending)/analytics", headers: root)
            #expect(early.status == .conflict && early.jsonBody["error"]?["code"] == "SOCIAL_POST_NOT_PUBLISHED")
            #expect(try await client.delete("/api/v1/social/posts/\(pending)", headers: root).status == .noContent)
            #expect(stub.calls("DELETE", prefix: "/2/tweets/").isEmpty)

            // An image behind a redirect is not fetched (a redirect could lead anywhere): the delivery fails, not retried.
            let moved = try await client.post("/api/v1/social/posts", [
                "platforms": ["mastodon"], "content": "Moved image.", "images": .array([.string(base + "/moved/a.png")]),
            ], headers: root).jsonBody.id
            let refused = try await client.settledPost(moved, headers: root).delivery("mastodon")
            #expect(refused?["status"] == "failed" && refused?["attempts"] == 1 && refused?["error"]?.stringValue?.contains("answered 302") == true)
            #expect(stub.calls("GET", "/img/a.png").isEmpty)

            // Instagram with an image: a container, then its publication.
            let photo = try await client.post("/api/v1/social/posts", [
                "platforms": ["instagram"], "content": "A photo.", "images": .array([.string(base + "/img/a.png")]),
            ], headers: root).jsonBody.id
            let gram = try await client.settledPost(photo, headers: root).delivery("instagram")
            #expect(gram?["status"] == "published" && gram?["url"]?.stringValue?.hasPrefix("https://www.instagram.com/p/") == true)
            #expect(stub.calls("POST", "/graph/1789/media").last?.body.contains("image_url=") == true)
            #expect(stub.calls("POST", "/graph/1789/media_publish").last?.body.hasPrefix("creation_id=container") == true)
        }
    }

    @Test("analytics are fetched and kept as snapshots, the last one answered (with its age) while a network is down; deleting removes remotely; cross-posting adapts")
    func analyticsDeleteCrossPost() async throws {
        try await withSocialApp("social_analytics", code: "sa") { stub, base, client, people in
            let root = people.root
            for network in ["x", "mastodon", "linkedin"] { try await client.connectSocial(network, base: base, headers: root) }
            let post = try await client.post("/api/v1/social/posts", [
                "platforms": ["x", "mastodon"], "content": .string("Numbers matter. " + String(repeating: "Every sentence counts here. ", count: 30)),
                "hashtags": ["metrics", "growth", "analytics"],
            ], headers: root)
            #expect(post.status == .unprocessableContent)
            let id = try await client.post("/api/v1/social/posts", [
                "platforms": ["x", "mastodon"], "content": "Numbers matter.", "hashtags": ["metrics"],
            ], headers: root).jsonBody.id
            _ = try await client.settledPost(id, headers: root)

            let fresh = try await client.get("/api/v1/social/posts/\(id)/analytics", headers: people.member)
            #expect(fresh.status == .ok, "\(fresh.text)")
            let numbers = fresh.jsonBody
            #expect(numbers["post_id"]?.stringValue == id)
            #expect(numbers["impressions"] == 400 && numbers["likes"] == 15 && numbers["shares"] == 6 && numbers["comments"] == 3)
            #expect(numbers["engagements"] == 28 && numbers["engagement_rate"] == 0.07 && numbers["stale"] == false)
            let mastodon = numbers["platforms"]?.arrayValues?.first { $0["platform"] == "mastodon" }
            #expect(mastodon?["unavailable"] == ["impressions"] && mastodon?["stale"] == false)

            stub.down("GET /api/v1/statuses")
            let stale = try await client.get("/api/v1/social/posts/\(id)/analytics", headers: root).jsonBody
            let kept = stale["platforms"]?.arrayValues?.first { $0["platform"] == "mastodon" }
            #expect(kept?["stale"] == true && kept?["likes"] == 5 && (kept?["age_seconds"]?.socialTestInt ?? -1) >= 0)
            #expect(kept?["error"]?.stringValue?.contains("503") == true)
            #expect(stale["stale"] == true && stale["likes"] == 15)
            #expect(stale["platforms"]?.arrayValues?.first { $0["platform"] == "twitter" }?["stale"] == false)
            let snapshots: Int = try await people.database.withPlatformScope { tx in
                try await tx.first("SELECT count(*)::int FROM social_post_metrics WHERE post_id = \(UUID(uuidString: id))", as: Int.self) ?? 0
            }
            #expect(snapshots == 3)
            stub.clear("GET /api/v1/statuses")

            // Cross-posting: adapted (hashtags dropped, then cut at a sentence) and published there too.
            let long = try await client.post("/api/v1/social/posts", [
                "platforms": ["linkedin"], "content": .string("First point stands. " + String(repeating: "Another sentence adds detail. ", count: 40)),
                "hashtags": ["one", "two"],
            ], headers: root).jsonBody.id
            _ = try await client.settledPost(long, headers: root)
            let crossed = try await client.post("/api/v1/social/cross-post", ["post_id": .string(long), "platforms": ["x", "mastodon"]], headers: root)
            #expect(crossed.status == .ok, "\(crossed.text)")
            let adaptedX = try #require(crossed.jsonBody["adapted"]?["twitter"]?.stringValue)
            #expect(adaptedX.count <= 280 && adaptedX.hasPrefix("First point stands.") && adaptedX.hasSuffix("detail.") && !adaptedX.contains("#one"))
            #expect((crossed.jsonBody["adapted"]?["mastodon"]?.stringValue?.count ?? 999) <= 500)
            #expect(crossed.jsonBody["post"]?["platforms"] == ["linkedin", "twitter", "mastodon"])
            let all = try await client.settledPost(long, headers: root)
            #expect(all.delivery("twitter")?["status"] == "published" && all.delivery("twitter")?["content"]?.stringValue == adaptedX)
            #expect(stub.calls("POST", "/2/tweets").last?.json?["text"]?.stringValue == adaptedX)
            let twice = try await client.post("/api/v1/social/cross-post", ["post_id": .string(long), "platforms": ["linkedin", "instagram"]], headers: root)
            #expect(twice.status == .unprocessableContent)
            #expect(Set(twice.jsonBody["error"]?["details"]?["fields"]?.objectKeys ?? []) == ["linkedin", "instagram"])

            // Other tenants: 404 on every id.
            #expect(try await client.get("/api/v1/social/posts/\(id)/analytics", headers: people.stranger).status == .notFound)
            #expect(try await client.delete("/api/v1/social/posts/\(id)", headers: people.stranger).status == .notFound)
            #expect(try await client.post("/api/v1/social/cross-post", ["post_id": .string(id), "platforms": ["linkedin"]], headers: people.stranger).status == .notFound)
            #expect(try await client.get("/api/v1/social/posts/\(UUID())/analytics", headers: root).status == .notFound)

            // Deleting removes the post from every network it reached, in the background.
            let remote = try #require(all.delivery("twitter")?["remote_id"]?.stringValue)
            let urn = try #require(all.delivery("linkedin")?["remote_id"]?.stringValue)
            let toot = try #require(all.delivery("mastodon")?["remote_id"]?.stringValue)
            #expect(try await client.delete("/api/v1/social/posts/\(long)", headers: root).status == .noContent)
            #expect(try await eventually(within: 60) {
                stub.calls("DELETE", "/2/tweets/\(remote)").count == 1 && stub.calls("DELETE", "/api/v1/statuses/\(toot)").count == 1
                    && stub.calls("DELETE", prefix: "/rest/posts/").count == 1
            })
            #expect(stub.calls("DELETE", prefix: "/rest/posts/").first?.path.removingPercentEncoding == "/rest/posts/\(urn)")
            #expect(stub.calls("DELETE", "/2/tweets/\(remote)").first?.authorization == "Bearer x-token")
            #expect(try await client.delete("/api/v1/social/posts/\(long)", headers: root).status == .notFound)
            #expect(try await client.get("/api/v1/social/posts/\(long)/analytics", headers: root).status == .notFound)
            #expect(try await client.get("/api/v1/social/posts?limit=100", headers: root).jsonBody["posts"]?.arrayValues?.contains { $0.id == long } == false)
            let states: [String] = try await people.database.withPlatformScope { tx in
                try await tx.all("SELECT status FROM social_post_targets WHERE post_id = \(UUID(uuidString: long)) ORDER BY platform", as: String.self)
            }
            #expect(try await eventually(within: 30) {
                let now: [String] = try await people.database.withPlatformScope { tx in
                    try await tx.all("SELECT status FROM social_post_targets WHERE post_id = \(UUID(uuidString: long))", as: String.self)
                }
                return now.allSatisfy { $0 == "deleted" }
            }, "\(states)")
        }
    }
}

extension JSONValue {
    var socialTestInt: Int? {
        switch self {
        case .int(let value): Int(value)
        case .double(let value): Int(value)
        default: nil
        }
    }
}
