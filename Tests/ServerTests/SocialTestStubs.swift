import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PlatformSupport
import Synchronization
import HummingbirdTesting
import PlatformDatabase
import PlatformTesting
@testable import Server
import Testing

/// One stub server speaking the JSON of X API v2, LinkedIn's REST API, the Graph API (under
/// `/graph`) and Mastodon, with the auth each expects. Tests script answers (`script`) and
/// change tokens (revoke, rotate) through it, and read what it received (`calls`).
final class SocialStub: Sendable {
    struct Call: Sendable {
        var method: String
        var path: String
        var query: String
        var authorization: String?
        var headers: [String: String]
        var body: String
        var at: Date
        var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)) }
    }

    struct Scripted: Sendable {
        var status: HTTPResponse.Status
        var headers: [String: String]
        var body: JSONValue
    }

    let log = Mutex<[Call]>([])
    let scripts = Mutex<[String: [Scripted]]>([:])
    /// The valid access token and refresh token per network (x, linkedin, facebook, instagram, mastodon).
    let tokens = Mutex<[String: String]>(["x": "x-token", "linkedin": "li-token", "facebook": "fb-token", "instagram": "ig-token", "mastodon": "m-token"])
    let refreshTokens = Mutex<[String: String]>(["x": "x-refresh", "mastodon": "m-refresh"])
    let sequence = Atomic<Int>(1000)
    let statuses = Mutex<[String: JSONValue]>([:])
    let base = Mutex<String>("")

    func next() -> Int { sequence.add(1, ordering: .relaxed).newValue }

    /// Answers for the next calls of `key` (`"POST /2/tweets"`), in order, before normal service resumes.
    func script(_ key: String, _ status: HTTPResponse.Status, headers: [String: String] = [:], _ body: JSONValue = [:]) {
        scripts.withLock { $0[key, default: []].append(Scripted(status: status, headers: headers, body: body)) }
    }

    /// Answers every call of `key` this way until `clear`.
    func down(_ key: String, _ status: HTTPResponse.Status = .serviceUnavailable) {
        scripts.withLock { $0[key] = Array(repeating: Scripted(status: status, headers: [:], body: ["error": "down"]), count: 1000) }
    }

    func clear(_ key: String) { _ = scripts.withLock { $0.removeValue(forKey: key) } }

    func calls(_ method: String, _ path: String) -> [Call] {
        log.withLock { $0.filter { $0.method == method && $0.path == path } }
    }

    func calls(_ method: String, prefix: String) -> [Call] {
        log.withLock { $0.filter { $0.method == method && $0.path.hasPrefix(prefix) } }
    }

    func setToken(_ network: String, _ token: String) { tokens.withLock { $0[network] = token } }

    func record(_ request: Request, body: String) {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
        log.withLock {
            $0.append(Call(
                method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "", authorization: request.headers[.authorization],
                headers: headers, body: body, at: Date()))
        }
    }

    func scripted(_ key: String) -> Response? {
        guard let answer = scripts.withLock({ queue -> Scripted? in
            guard var list = queue[key], !list.isEmpty else { return nil }
            let first = list.removeFirst()
            queue[key] = list
            return first
        }) else { return nil }
        var fields = HTTPFields()
        for (name, value) in answer.headers { if let field = HTTPField.Name(name) { fields[field] = value } }
        return socialJSON(answer.body, status: answer.status, headers: fields)
    }

    func authorized(_ request: Request, _ network: String) -> Bool {
        request.headers[.authorization] == "Bearer \(tokens.withLock { $0[network] ?? "" })"
    }
}

func socialJSON(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
    var fields = headers
    fields[.contentType] = "application/json"
    return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: (try? JSONEncoder().encode(value)) ?? Data())))
}

/// A 1x1 PNG.
let socialPNG = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==") ?? Data()

func socialStubRouter(_ stub: SocialStub) -> Router<BasicRequestContext> {
    let router = Router()
    /// Records the call, then answers a script for `key` if there is one, else `body`.
    func on(_ method: HTTPRequest.Method, _ path: String, key: String, _ body: @escaping @Sendable (Request, BasicRequestContext, String) async throws -> Response) {
        router.on(RouterPath(path), method: method) { request, context -> Response in
            var request = request
            let buffer = try await request.collectBody(upTo: 16 << 20)
            let text = String(decoding: buffer.readableBytesView, as: UTF8.self)
            stub.record(request, body: text)
            if let answer = stub.scripted(key) { return answer }
            return try await body(request, context, text)
        }
    }
    @Sendable func form(_ text: String) -> [String: String] {
        var pairs: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
            if parts.count == 2 { pairs[parts[0]] = parts[1] }
        }
        return pairs
    }
    let unauthorized = socialJSON(["title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"], status: .unauthorized)

    // Images the posts link to.
    on(.get, "/img/{name}", key: "GET /img") { _, _, _ in
        Response(status: .ok, headers: [.contentType: "image/png"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: socialPNG)))
    }

    // A redirect (to a fine image): redirects are not followed.
    on(.get, "/moved/{name}", key: "GET /moved") { _, _, _ in Response(status: .found, headers: [.location: "/img/a.png"]) }

    // X API v2.
    on(.get, "/2/users/me", key: "GET /2/users/me") { request, _, _ in
        guard stub.authorized(request, "x") else { return unauthorized }
        return socialJSON(["data": ["id": "2244994945", "name": "Platform Dev", "username": "platformdev",
                                    "public_metrics": ["followers_count": 1200, "following_count": 30, "tweet_count": 500]]])
    }
    on(.post, "/2/media/upload", key: "POST /2/media/upload") { request, _, body in
        guard stub.authorized(request, "x") else { return unauthorized }
        guard body.contains("name=\"media\""), body.contains("tweet_image") else { return socialJSON(["detail": "media missing"], status: .badRequest) }
        return socialJSON(["data": ["id": .string("18800281060\(stub.next())"), "media_key": "3_1880028106020515840", "size": .int(Int64(socialPNG.count))]])
    }
    on(.post, "/2/tweets", key: "POST /2/tweets") { request, _, body in
        guard stub.authorized(request, "x") else { return unauthorized }
        let text = (try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)))?["text"] ?? ""
        return socialJSON(["data": ["id": .string("17\(stub.next())"), "text": text, "edit_history_tweet_ids": []]], status: .created)
    }
    on(.delete, "/2/tweets/{id}", key: "DELETE /2/tweets") { request, _, _ in
        guard stub.authorized(request, "x") else { return unauthorized }
        return socialJSON(["data": ["deleted": true]])
    }
    on(.get, "/2/tweets/{id}", key: "GET /2/tweets") { request, context, _ in
        guard stub.authorized(request, "x") else { return unauthorized }
        return socialJSON(["data": [
            "id": .string(context.parameters.get("id") ?? ""), "text": "…",
            "public_metrics": ["retweet_count": 3, "reply_count": 2, "like_count": 10, "quote_count": 1, "bookmark_count": 4, "impression_count": 400],
        ]])
    }
    on(.get, "/2/trends/by/woeid/{woeid}", key: "GET /2/trends") { request, _, _ in
        guard stub.authorized(request, "x") else { return unauthorized }
        return socialJSON(["data": [["trend_name": "#WWDC", "tweet_count": 51000], ["trend_name": "Swift 6", "tweet_count": 12000]]])
    }
    on(.post, "/2/oauth2/token", key: "POST /2/oauth2/token") { request, _, body in
        let fields = form(body)
        let basic = "Basic " + Data("x-client:x-secret".utf8).base64EncodedString()
        guard request.headers[.authorization] == basic, fields["grant_type"] == "refresh_token", fields["client_id"] == "x-client",
            fields["refresh_token"] == stub.refreshTokens.withLock({ $0["x"] })
        else { return socialJSON(["error": "invalid_request", "error_description": "Value passed for the token was invalid."], status: .badRequest) }
        let round = stub.next()
        stub.setToken("x", "x-token-\(round)")
        stub.refreshTokens.withLock { $0["x"] = "x-refresh-\(round)" }
        return socialJSON(["token_type": "bearer", "expires_in": 7200, "access_token": .string("x-token-\(round)"), "scope": "tweet.write users.read offline.access",
                           "refresh_token": .string("x-refresh-\(round)")])
    }

    // LinkedIn.
    @Sendable func linkedIn(_ request: Request) -> Bool {
        stub.authorized(request, "linkedin") && request.headers[HTTPField.Name("LinkedIn-Version")!] != nil
            && request.headers[HTTPField.Name("X-Restli-Protocol-Version")!] == "2.0.0"
    }
    on(.get, "/v2/userinfo", key: "GET /v2/userinfo") { request, _, _ in
        guard linkedIn(request) else { return socialJSON(["status": 401, "message": "Invalid access token"], status: .unauthorized) }
        return socialJSON(["sub": "782bbtaQ", "name": "Ada Lovelace", "given_name": "Ada", "email": "ada@example.com"])
    }
    on(.post, "/rest/posts", key: "POST /rest/posts") { request, _, _ in
        guard linkedIn(request) else { return socialJSON(["status": 401, "message": "Invalid access token"], status: .unauthorized) }
        return Response(status: .created, headers: [HTTPField.Name("x-restli-id")!: "urn:li:share:\(stub.next())"])
    }
    on(.delete, "/rest/posts/{urn}", key: "DELETE /rest/posts") { request, _, _ in
        guard linkedIn(request) else { return socialJSON(["status": 401, "message": "Invalid access token"], status: .unauthorized) }
        return Response(status: .noContent)
    }
    on(.get, "/rest/socialActions/{urn}", key: "GET /rest/socialActions") { request, _, _ in
        guard linkedIn(request) else { return socialJSON(["status": 401, "message": "Invalid access token"], status: .unauthorized) }
        return socialJSON(["likesSummary": ["totalLikes": 7], "commentsSummary": ["aggregatedTotalComments": 2]])
    }
    on(.post, "/rest/images", key: "POST /rest/images") { request, _, _ in
        guard linkedIn(request), request.uri.queryParameters["action"] == "initializeUpload" else { return socialJSON(["message": "bad"], status: .badRequest) }
        return socialJSON(["value": ["uploadUrl": .string(stub.base.withLock { $0 } + "/li-upload/\(stub.next())"), "image": "urn:li:image:C4E10AQ"]])
    }
    on(.put, "/li-upload/{n}", key: "PUT /li-upload") { _, _, _ in Response(status: .created) }

    // Graph API: a page (1045) and an Instagram account (1789).
    @Sendable func graph(_ request: Request) -> Bool { stub.authorized(request, "facebook") || stub.authorized(request, "instagram") }
    let graphDenied = socialJSON(["error": ["message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190]], status: .badRequest)
    on(.get, "/graph/{id}", key: "GET /graph") { request, context, _ in
        guard graph(request) else { return graphDenied }
        let id = context.parameters.get("id") ?? ""
        let fields = request.uri.queryParameters["fields"].map(String.init) ?? ""
        if id == "1045" { return socialJSON(["id": "1045", "name": "Platform Page", "followers_count": 3400, "fan_count": 3300]) }
        if id == "1789" { return socialJSON(["id": "1789", "username": "platform.gram", "name": "Platform", "followers_count": 560]) }
        if fields == "status_code" { return socialJSON(["status_code": "FINISHED", "id": .string(id)]) }
        if fields == "permalink" { return socialJSON(["permalink": .string("https://www.instagram.com/p/\(id)/"), "id": .string(id)]) }
        return socialJSON(["id": .string(id), "shares": ["count": 4], "reactions": ["data": [], "summary": ["total_count": 21]], "comments": ["data": [], "summary": ["total_count": 6]]])
    }
    on(.post, "/graph/{id}/feed", key: "POST /graph/feed") { request, context, _ in
        guard graph(request) else { return graphDenied }
        return socialJSON(["id": .string("\(context.parameters.get("id") ?? "")_\(stub.next())")])
    }
    on(.post, "/graph/{id}/photos", key: "POST /graph/photos") { request, context, _ in
        guard graph(request) else { return graphDenied }
        let n = stub.next()
        return socialJSON(["id": .string("photo\(n)"), "post_id": .string("\(context.parameters.get("id") ?? "")_\(n)")])
    }
    on(.post, "/graph/{id}/media", key: "POST /graph/media") { request, _, body in
        guard graph(request) else { return graphDenied }
        guard form(body)["image_url"] != nil || form(body)["media_type"] == "CAROUSEL" else {
            return socialJSON(["error": ["message": "Only photo or video can be accepted as media type.", "code": 9004]], status: .badRequest)
        }
        return socialJSON(["id": .string("container\(stub.next())")])
    }
    on(.post, "/graph/{id}/media_publish", key: "POST /graph/media_publish") { request, _, _ in
        guard graph(request) else { return graphDenied }
        return socialJSON(["id": .string("178956956680\(stub.next())")])
    }
    on(.get, "/graph/{id}/insights", key: "GET /graph/insights") { request, _, _ in
        guard graph(request) else { return graphDenied }
        return socialJSON(["data": [
            ["name": "post_impressions", "period": "lifetime", "values": [["value": 900]]],
            ["name": "views", "period": "lifetime", "values": [["value": 700]]], ["name": "likes", "period": "lifetime", "values": [["value": 40]]],
            ["name": "comments", "period": "lifetime", "values": [["value": 5]]], ["name": "shares", "period": "lifetime", "values": [["value": 3]]],
            ["name": "total_interactions", "period": "lifetime", "values": [["value": 52]]],
        ]])
    }
    on(.delete, "/graph/{id}", key: "DELETE /graph") { request, _, _ in
        guard graph(request) else { return graphDenied }
        return socialJSON(["success": true])
    }

    // Mastodon.
    let mastodonDenied = socialJSON(["error": "The access token is invalid"], status: .unauthorized)
    on(.get, "/api/v1/accounts/verify_credentials", key: "GET /api/v1/accounts/verify_credentials") { request, _, _ in
        guard stub.authorized(request, "mastodon") else { return mastodonDenied }
        return socialJSON(["id": "109", "username": "platform", "acct": "platform", "display_name": "Platform", "followers_count": 88, "url": "https://mastodon.example/@platform"])
    }
    on(.post, "/api/v2/media", key: "POST /api/v2/media") { request, _, body in
        guard stub.authorized(request, "mastodon") else { return mastodonDenied }
        guard body.contains("name=\"file\"") else { return socialJSON(["error": "file missing"], status: .unprocessableContent) }
        return socialJSON(["id": .string("m\(stub.next())"), "type": "image", "url": "https://files.example/1.png"])
    }
    on(.post, "/api/v1/statuses", key: "POST /api/v1/statuses") { request, _, body in
        guard stub.authorized(request, "mastodon") else { return mastodonDenied }
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!] else { return socialJSON(["error": "no idempotency key"], status: .badRequest) }
        // Mastodon answers a repeated key with the status it already made.
        if let seen = stub.statuses.withLock({ $0[key] }) { return socialJSON(seen) }
        let id = "11\(stub.next())"
        let status: JSONValue = [
            "id": .string(id), "url": .string("https://mastodon.example/@platform/\(id)"), "content": (try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)))?["status"] ?? "",
            "favourites_count": 0, "reblogs_count": 0, "replies_count": 0,
        ]
        stub.statuses.withLock { $0[key] = status }
        return socialJSON(status)
    }
    on(.get, "/api/v1/statuses/{id}", key: "GET /api/v1/statuses") { request, context, _ in
        guard stub.authorized(request, "mastodon") else { return mastodonDenied }
        return socialJSON(["id": .string(context.parameters.get("id") ?? ""), "favourites_count": 5, "reblogs_count": 2, "replies_count": 1])
    }
    on(.delete, "/api/v1/statuses/{id}", key: "DELETE /api/v1/statuses") { request, context, _ in
        guard stub.authorized(request, "mastodon") else { return mastodonDenied }
        return socialJSON(["id": .string(context.parameters.get("id") ?? "")])
    }
    on(.get, "/api/v1/trends/tags", key: "GET /api/v1/trends/tags") { request, _, _ in
        guard stub.authorized(request, "mastodon") else { return mastodonDenied }
        return socialJSON([
            ["name": "swift", "url": "https://mastodon.example/tags/swift",
             "history": [["day": "1733270400", "uses": "30", "accounts": "12"], ["day": "1733184000", "uses": "10", "accounts": "5"], ["day": "1733097600", "uses": "5", "accounts": "3"]]],
            ["name": "fediverse", "url": "https://mastodon.example/tags/fediverse",
             "history": [["day": "1733270400", "uses": "4", "accounts": "4"], ["day": "1733184000", "uses": "12", "accounts": "9"]]],
        ])
    }
    on(.post, "/oauth/token", key: "POST /oauth/token") { _, _, body in
        let fields = form(body)
        guard fields["grant_type"] == "refresh_token", fields["client_id"] == "m-client", fields["refresh_token"] == stub.refreshTokens.withLock({ $0["mastodon"] }) else {
            return socialJSON(["error": "invalid_grant"], status: .badRequest)
        }
        let round = stub.next()
        stub.setToken("mastodon", "m-token-\(round)")
        return socialJSON(["access_token": .string("m-token-\(round)"), "token_type": "Bearer", "scope": "read write", "created_at": 1_733_270_400])
    }
    return router
}

/// An application wired to the stub for every network (loopback allowed by the outbound
/// policy, a fast-polling worker, short retries), with tenants `<code>` and `<code>x`.
func withSocialApp(
    _ label: String, code: String, extra: [String: String] = [:],
    _ body: @escaping @Sendable (SocialStub, String, any TestClientProtocol, SocialPeople) async throws -> Void
) async throws {
    let stub = SocialStub()
    try await withStubServer(socialStubRouter(stub)) { base in
        stub.base.withLock { $0 = base }
        try await withTestDatabase(label, runPool: false) { database, _ in
            var environment = [
                "SOCIAL_X_API_URL": base, "SOCIAL_LINKEDIN_API_URL": base, "SOCIAL_LINKEDIN_OAUTH_URL": base, "SOCIAL_GRAPH_API_URL": base + "/graph",
                "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "TASKS_POLL_MS": "100", "TASKS_RETRY_BASE_MS": "300", "SOCIAL_PUBLISH_ATTEMPTS": "3",
                "SOCIAL_TIMEOUT_SECONDS": "10",
            ]
            environment.merge(extra) { _, new in new }
            let dependencies = try await makeDependencies(database, environment)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let tenant = try await fixtures.setup(code)
                let other = try await fixtures.setup(code + "x")
                let people = SocialPeople(
                    tenant: tenant.id, other: other.id, database: database,
                    root: bearer(try await client.login("\(code)-root")["access_token"]),
                    member: bearer(try await client.login("\(code)-member")["access_token"]),
                    stranger: bearer(try await client.login("\(code)x-root")["access_token"]))
                try await body(stub, base, client, people)
            }
        }
    }
}

struct SocialPeople: Sendable {
    var tenant: UUID
    var other: UUID
    var database: Database
    var root: HTTPFields
    var member: HTTPFields
    var stranger: HTTPFields
}

extension TestClientProtocol {
    /// Connects a network with the stub's valid credentials (plus `extra`); fails the test unless it answers 200.
    @discardableResult
    func connectSocial(_ platform: String, base: String, headers: HTTPFields, extra: [String: JSONValue] = [:], account: String? = nil) async throws -> JSONValue {
        var credentials: [String: JSONValue]
        switch platform {
        case "twitter", "x": credentials = ["access_token": "x-token"]
        case "linkedin": credentials = ["access_token": "li-token"]
        case "facebook": credentials = ["access_token": "fb-token", "page_id": "1045"]
        case "instagram": credentials = ["access_token": "ig-token", "ig_user_id": "1789"]
        default: credentials = ["access_token": "m-token", "instance_url": .string(base)]
        }
        credentials.merge(extra) { _, new in new }
        var body: [String: JSONValue] = ["platform": .string(platform), "credentials": .object(credentials)]
        if let account { body["platform_account_id"] = .string(account) }
        let response = try await post("/api/v1/social/connect", .object(body), headers: headers)
        #expect(response.status == .ok, "\(platform): \(response.text)")
        return response.jsonBody
    }

    /// The post once every delivery has left `scheduled`/`publishing` (or the deadline passed).
    func settledPost(_ id: String, headers: HTTPFields, within seconds: Double = 60) async throws -> JSONValue {
        var found: JSONValue = [:]
        _ = try await eventually(within: seconds) {
            let posts = try await get("/api/v1/social/posts?limit=100", headers: headers).jsonBody["posts"]?.arrayValues ?? []
            found = posts.first { $0["id"]?.stringValue == id } ?? [:]
            let states = (found["results"]?.arrayValues ?? []).compactMap { $0["status"]?.stringValue }
            return !states.isEmpty && states.allSatisfy { $0 == "published" || $0 == "failed" }
        }
        return found
    }
}

extension JSONValue {
    /// The delivery of `platform` in a post's `results`.
    func delivery(_ platform: String) -> JSONValue? {
        self["results"]?.arrayValues?.first { $0["platform"]?.stringValue == platform }
    }
}
