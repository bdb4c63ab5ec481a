import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PlatformDatabase
import PlatformSupport
import PlatformTesting
@testable import Server
import Synchronization
import Testing

/// An OpenAI-compatible server whose first answer is always too long for X; asked again for
/// X it answers briefly, asked again for Mastodon it stays too long.
final class SocialPrompts: Sendable {
    let all = Mutex<[JSONValue]>([])
}

func socialModelStub(_ prompts: SocialPrompts) -> Router<BasicRequestContext> {
    let router = Router()
    router.post("/v1/chat/completions") { request, _ -> Response in
        var request = request
        let body = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: try await request.collectBody(upTo: 1 << 20)))
        prompts.all.withLock { $0.append(body) }
        guard request.headers[.authorization] == "Bearer sk-social" else { return socialJSON(["error": ["message": "bad key"]], status: .unauthorized) }
        let messages = body["messages"]?.arrayValues ?? []
        let last = messages.last?["content"]?.stringValue ?? ""
        let long = "Big news today. " + String(repeating: "Our new release makes publishing faster for every team. ", count: 12) + "#release #news"
        let text = messages.count > 2 && last.contains("X allows 280") ? "Big news: our release makes publishing faster. #release" : long
        return socialJSON([
            "model": body["model"] ?? .null, "choices": [["index": 0, "message": ["role": "assistant", "content": .string("\"\(text)\"")], "finish_reason": "stop"]],
            "usage": ["prompt_tokens": 100, "completion_tokens": 50],
        ])
    }
    return router
}

@Suite("Social: generated copy and trends")
struct SocialGenerateTests {
    @Test("generate: per-network copy from the tenant's model, regenerated when too long, then cut at a sentence; the local responder offline")
    func generate() async throws {
        let prompts = SocialPrompts()
        try await withStubServer(socialModelStub(prompts)) { model in
            try await withSocialApp("social_generate", code: "sg", extra: ["OPENAI_BASE_URL": model, "OPENAI_API_KEY": "sk-social"]) { _, _, client, people in
                let root = people.root
                let article = "Release 2.0 is out. It publishes to five networks. Scheduling is exact to the second. " + String(repeating: "Teams save hours every week. ", count: 20)
                let offline = try await client.post("/api/v1/social/generate", ["content": .string(article), "platforms": ["twitter", "linkedin"], "style": "casual"], headers: root)
                #expect(offline.status == .ok, "\(offline.text)")
                let twitter = try #require(offline.jsonBody["twitter"]?.stringValue)
                #expect(!twitter.isEmpty && twitter.count <= 280)
                #expect(offline.jsonBody["linkedin"]?.stringValue?.isEmpty == false)
                #expect(offline.jsonBody["mastodon"] == nil)
                #expect(offline.jsonBody["details"]?["provider"] == "local" && offline.jsonBody["details"]?["style"] == "casual")
                #expect(offline.jsonBody["details"]?["platforms"]?["twitter"]?["limit"] == 280)

                let shaped = try await client.post("/api/v1/social/generate", [
                    "content": .string(article), "platforms": ["x", "mastodon"], "style": "promotional", "model": "openai/gpt-social",
                ], headers: root)
                #expect(shaped.status == .ok, "\(shaped.text)")
                #expect(shaped.jsonBody["twitter"] == "Big news: our release makes publishing faster. #release")
                #expect(shaped.jsonBody["details"]?["platforms"]?["twitter"]?["regenerated"] == true)
                #expect(shaped.jsonBody["details"]?["platforms"]?["twitter"]?["trimmed"] == false)
                let toot = try #require(shaped.jsonBody["mastodon"]?.stringValue)
                #expect(toot.count <= 500 && toot.hasPrefix("Big news today.") && toot.hasSuffix("every team."))
                #expect(shaped.jsonBody["details"]?["platforms"]?["mastodon"]?["trimmed"] == true)
                #expect(shaped.jsonBody["details"]?["model"] == "gpt-social" && shaped.jsonBody["details"]?["provider"] == "openai")
                let asked = prompts.all.withLock { $0 }
                #expect(asked.count == 4)
                #expect(asked.allSatisfy { $0["model"] == "gpt-social" })
                #expect(asked.contains { ($0["messages"]?[1]?["content"]?.stringValue ?? "").contains("promotional Mastodon post of at most 500") })

                // The tenant's chosen model when the request names none.
                _ = try await client.post("/api/v1/settings/create", ["key": "social.model", "value": "openai/gpt-house"], headers: root)
                let house = try await client.post("/api/v1/social/generate", ["content": "Short news.", "platforms": ["linkedin"]], headers: root)
                #expect(house.jsonBody["details"]?["model"] == "gpt-house" && house.jsonBody["details"]?["style"] == "professional")
                #expect(house.jsonBody["details"]?["platforms"]?["linkedin"]?["regenerated"] == false)

                let unknown = try await client.post("/api/v1/social/generate", ["content": "x", "platforms": ["x"], "model": "nobody/none"], headers: root)
                #expect(unknown.status == .unprocessableContent)
                let bad = try await client.post("/api/v1/social/generate", ["content": "", "platforms": ["myspace"], "style": "loud"], headers: root)
                #expect(bad.status == .unprocessableContent)
                #expect(try await client.post("/api/v1/social/generate", ["content": "x", "platforms": ["x"]], headers: people.member).status == .forbidden)
            }
        }
    }

    @Test("trending: Mastodon's and X's trends endpoints; elsewhere the tenant's own hashtags ranked by engagement, saying which")
    func trending() async throws {
        try await withSocialApp("social_trending", code: "st") { stub, base, client, people in
            let root = people.root
            for network in ["x", "mastodon", "linkedin"] { try await client.connectSocial(network, base: base, headers: root) }
            let fedi = try await client.get("/api/v1/social/trending?platform=mastodon", headers: people.member)
            #expect(fedi.status == .ok, "\(fedi.text)")
            #expect(fedi.jsonBody["source"] == "platform" && fedi.jsonBody["platform"] == "mastodon")
            #expect(fedi.jsonBody["trending"]?[0] == ["topic": "#swift", "mentions": 45, "trend_velocity": "rising"])
            #expect(fedi.jsonBody["trending"]?[1]?["trend_velocity"] == "falling")
            let x = try await client.get("/api/v1/social/trending?platform=x&limit=1", headers: root).jsonBody
            #expect(x["trending"] == [["topic": "#WWDC", "mentions": 51000, "trend_velocity": "unknown"]])
            #expect(stub.calls("GET", "/2/trends/by/woeid/1").count == 1)

            // Own hashtags: #alpha's posts drew engagement, #beta's did not; #gamma is only in the text.
            let hot = try await client.post("/api/v1/social/posts", ["platforms": ["linkedin", "x"], "content": "Hot take #gamma", "hashtags": ["alpha"]], headers: root).jsonBody.id
            let cold = try await client.post("/api/v1/social/posts", ["platforms": ["linkedin"], "content": "Quiet one", "hashtags": ["beta", "Alpha"]], headers: root).jsonBody.id
            let other = try await client.post("/api/v1/social/posts", ["platforms": ["linkedin"], "content": "Another", "hashtags": ["beta"]], headers: root).jsonBody.id
            for id in [hot, cold, other] { _ = try await client.settledPost(id, headers: root) }
            #expect(try await client.get("/api/v1/social/posts/\(hot)/analytics", headers: root).status == .ok)
            let own = try await client.get("/api/v1/social/trending?platform=linkedin", headers: root).jsonBody
            #expect(own["source"] == "own_posts" && own["note"]?.stringValue?.contains("no trends endpoint") == true)
            let topics = own["trending"]?.arrayValues ?? []
            #expect(topics.compactMap { $0["topic"]?.stringValue } == ["#alpha", "#gamma", "#beta"])
            #expect(topics.first?["mentions"] == 2 && topics.first?["engagements"] == 29 && topics.first?["trend_velocity"] == "rising")
            #expect(topics.last?["mentions"] == 2 && topics.last?["engagements"] == 0)
            let facebook = try await client.get("/api/v1/social/trending?platform=facebook", headers: root).jsonBody
            #expect(facebook["source"] == "own_posts" && facebook["note"]?.stringValue?.contains("not connected") == true && facebook["trending"] == [])
            stub.down("GET /api/v1/trends/tags")
            let down = try await client.get("/api/v1/social/trending?platform=mastodon", headers: root).jsonBody
            #expect(down["source"] == "own_posts" && down["note"]?.stringValue?.contains("could not be read") == true)
            #expect(try await client.get("/api/v1/social/trending", headers: root).jsonBody["trending"]?.arrayValues?.count == 3)
            #expect(try await client.get("/api/v1/social/trending?platform=myspace", headers: root).status == .unprocessableContent)
            #expect(try await client.get("/api/v1/social/trending", headers: people.stranger).jsonBody["trending"] == [])
        }
    }
}
