import Foundation
import Hummingbird
import HummingbirdTesting
import PlatformDatabase
import PlatformSupport
import PlatformTesting
@testable import Server
import Testing


/// GitHub's OAuth endpoints as documented: form-encoded code exchange answered with JSON
/// (an `error` field, still 200, for a bad code), `/user` and `/user/emails` with a bearer token.
func githubStub() -> Router<BasicRequestContext> {
    let router = Router()
    router.post("/login/oauth/access_token") { request, _ -> Response in
        let form = String(buffer: try await request.body.collect(upTo: 10_000))
        let fields = Dictionary(form.split(separator: "&").map { pair -> (String, String) in
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }, uniquingKeysWith: { a, _ in a })
        let body: String
        if fields["client_id"] != "stub-client" || fields["client_secret"] != "stub-secret" {
            body = #"{"error":"incorrect_client_credentials"}"#
        } else if fields["code"] == "octo-code" {
            body = #"{"access_token":"gho_octo","token_type":"bearer","scope":"user:email"}"#
        } else if fields["code"] == "newbie-code" {
            body = #"{"access_token":"gho_newbie","token_type":"bearer","scope":"user:email"}"#
        } else {
            body = #"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}"#
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
    router.get("/user") { request, _ -> Response in
        let body: String
        switch request.headers[.authorization] {
        case "Bearer gho_octo": body = #"{"id":101,"login":"octocat","name":"Octo Cat","email":null}"#
        case "Bearer gho_newbie": body = #"{"id":202,"login":"newbie","name":"New Person"}"#
        default: return Response(status: .unauthorized)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
    router.get("/user/emails") { request, _ -> Response in
        let body: String
        switch request.headers[.authorization] {
        case "Bearer gho_octo":
            body = #"[{"email":"octo-old@example.com","primary":false,"verified":false},{"email":"octo@example.com","primary":true,"verified":true}]"#
        case "Bearer gho_newbie": body = #"[{"email":"newbie@example.com","primary":true,"verified":true}]"#
        default: return Response(status: .unauthorized)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
    return router
}

@Suite("HTTP: GitHub sign-in")
struct OAuthHTTPTests {
    @Test("without configuration the route names the missing settings")
    func notConfigured() async throws {
        try await withTestDatabase("oauth_off", runPool: false) { database, _ in
            try await buildApplication(try await makeDependencies(database)).test(.router) { client in
                let response = try await client.post("/api/v1/auth/github/callback", ["code": "anything"])
                #expect(response.status == .notFound)
                #expect(response.jsonBody["error"]?["code"] == "OAUTH_NOT_CONFIGURED")
                #expect(response.jsonBody["error"]?["message"]?.stringValue?.contains("GITHUB_CLIENT_ID") == true)
            }
        }
    }

    @Test("links an existing user by verified e-mail, refuses bad codes, signs up only into the configured tenant")
    func againstStubProvider() async throws {
        try await withStubServer(githubStub()) { github in
            try await withTestDatabase("oauth_stub", runPool: false) { database, handle in
                let settings = [
                    "GITHUB_CLIENT_ID": "stub-client", "GITHUB_CLIENT_SECRET": "stub-secret",
                    "GITHUB_TOKEN_URL": "\(github)/login/oauth/access_token", "GITHUB_API_URL": github,
                ]
                let dependencies = try await makeDependencies(database, settings)
                let fixtures = Fixtures(dependencies)
                try await buildApplication(dependencies).test(.router) { client in
                    let tenant = try await fixtures.tenant("octo-corp")
                    let octo = try await fixtures.user("octo", tenants: [tenant], email: "octo@example.com")

                    let linked = try await client.post("/api/v1/auth/github/callback", ["code": "octo-code"])
                    #expect(linked.status == .ok)
                    #expect(linked.jsonBody["user"]?["id"]?.stringValue?.lowercased() == octo.uuidString.lowercased())
                    #expect(try await client.get("/api/v1/auth/me", headers: bearer(linked.jsonBody["access_token"])).status == .ok)
                    // Now linked by GitHub id: a second sign-in finds the same user.
                    let again = try await client.post("/api/v1/auth/github/callback", ["code": "octo-code"])
                    #expect(again.jsonBody["user"]?["id"] == linked.jsonBody["user"]?["id"])

                    let bad = try await client.post("/api/v1/auth/github/callback", ["code": "stale-code"])
                    #expect(bad.status == .unauthorized)
                    #expect(bad.jsonBody["error"]?["code"] == "OAUTH_CODE_INVALID")

                    let stranger = try await client.post("/api/v1/auth/github/callback", ["code": "newbie-code", "tenant": "octo-corp"])
                    #expect(stranger.status == .forbidden)
                    #expect(stranger.jsonBody["error"]?["code"] == "NO_ACCOUNT")
                }

                // A second application (a restart with sign-up enabled) on the same database.
                let restarted = Database(url: handle.runtime, maxConnections: 2, logger: database.logger)
                let openDependencies = try await makeDependencies(restarted, settings.merging(["OAUTH_DEFAULT_TENANT": "octo-corp"]) { _, new in new })
                try await buildApplication(openDependencies).test(.router) { client in
                    let signup = try await client.post("/api/v1/auth/github/callback", ["code": "newbie-code"])
                    #expect(signup.status == .ok)
                    #expect(signup.jsonBody["user"]?["username"] == "newbie")
                    #expect(signup.jsonBody["user"]?["email"] == "newbie@example.com")
                    #expect(signup.jsonBody["tenant"]?["code"] == "octo-corp")
                }
            }
        }
    }

    @Test("an unreachable provider is a 502, not a 500")
    func providerDown() async throws {
        try await withTestDatabase("oauth_down", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, [
                "GITHUB_CLIENT_ID": "stub-client", "GITHUB_CLIENT_SECRET": "stub-secret",
                "GITHUB_TOKEN_URL": "http://127.0.0.1:1/login/oauth/access_token", "GITHUB_API_URL": "http://127.0.0.1:1",
            ])
            try await buildApplication(dependencies).test(.router) { client in
                let response = try await client.post("/api/v1/auth/github/callback", ["code": "octo-code"])
                #expect(response.status == .badGateway)
                #expect(response.jsonBody["error"]?["code"] == "OAUTH_PROVIDER_ERROR")
            }
        }
    }
}
