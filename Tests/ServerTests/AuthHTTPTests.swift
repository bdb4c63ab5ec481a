import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PlatformDatabase
import PlatformSupport
import PlatformTesting
import PostgresNIO
@testable import Server
import Testing


@Suite("HTTP: authentication")
struct AuthHTTPTests {
    @Test("sign in, profile, refresh, change password, log out")
    func fullSession() async throws {
        try await withTestDatabase("auth_flow", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            let app = buildApplication(dependencies)
            try await app.test(.router) { client in
                let tenant = try await fixtures.tenant("acme")
                try await fixtures.user("alice", tenants: [tenant])

                let login = try await client.login("alice")
                #expect(login["token_type"] == "Bearer")
                #expect(login["expires_in"] == 900)
                #expect(login["tenant"]?["code"] == "acme")
                #expect(login["user"]?["username"] == "alice")
                let access = login["access_token"]

                let profile = try await client.get("/api/v1/auth/profile", headers: bearer(access))
                #expect(profile.status == .ok)
                #expect(profile.jsonBody["user"]?["username"] == "alice")
                #expect(profile.jsonBody["tenant"]?["code"] == "acme")
                #expect(profile.jsonBody["email"] == "alice@example.com")
                let me = try await client.get("/api/v1/auth/me", headers: bearer(access))
                #expect(me.jsonBody["name"] == "alice")
                #expect(me.jsonBody["credential"] == "session")

                let refreshed = try await client.post("/api/v1/auth/refresh", ["refresh_token": login["refresh_token"] ?? .null])
                #expect(refreshed.status == .ok)
                #expect(refreshed.jsonBody["refresh_token"] != login["refresh_token"])
                #expect(try await client.get("/api/v1/auth/me", headers: bearer(refreshed.jsonBody["access_token"])).status == .ok)
                let otherDevice = try await client.login("alice")

                let weak = try await client.put(
                    "/api/v1/auth/password", ["old_password": "Sturdy-Password-42", "new_password": "short"], headers: bearer(access))
                #expect(weak.status == .unprocessableContent)
                #expect(weak.jsonBody["error"]?["code"] == "PASSWORD_POLICY")
                #expect(weak.jsonBody["error"]?["details"]?["fields"]?["new_password"] != nil)
                let wrongOld = try await client.put(
                    "/api/v1/auth/password", ["old_password": "not-my-password", "new_password": "Another-Sturdy-Pass-7"], headers: bearer(access))
                #expect(wrongOld.jsonBody["error"]?["details"]?["fields"]?["old_password"] != nil)
                let changed = try await client.put(
                    "/api/v1/auth/password", ["old_password": "Sturdy-Password-42", "new_password": "Another-Sturdy-Pass-7"], headers: bearer(access))
                #expect(changed.status == .ok)
                // The other session was ended; this one (refreshed tokens included) lives on.
                #expect(try await client.get("/api/v1/auth/me", headers: bearer(otherDevice["access_token"])).status == .unauthorized)
                #expect(try await client.post("/api/v1/auth/refresh", ["refresh_token": otherDevice["refresh_token"] ?? .null]).status == .unauthorized)
                #expect(try await client.get("/api/v1/auth/me", headers: bearer(access)).status == .ok)
                #expect(try await client.get("/api/v1/auth/me", headers: bearer(refreshed.jsonBody["access_token"])).status == .ok)
                #expect(try await client.post("/api/v1/auth/login", ["username": "alice", "password": "Sturdy-Password-42"]).status == .unauthorized)
                #expect(try await client.post("/api/v1/auth/token", ["username": "alice", "password": "Another-Sturdy-Pass-7"]).status == .ok)

                let logout = try await client.post("/api/v1/auth/logout", [:], headers: bearer(access))
                #expect(logout.jsonBody["message"] == "Logged out successfully")
                let after = try await client.get("/api/v1/auth/me", headers: bearer(access))
                #expect(after.status == .unauthorized)
                #expect(after.jsonBody["error"]?["code"] == "SESSION_REVOKED")

                // Every auth event is in the audit log.
                let actions = try await database.withPlatformScope { tx in
                    try await tx.all("SELECT action || ':' || outcome FROM audit_logs", as: String.self)
                }
                for expected in ["auth.login:success", "auth.refresh:success", "auth.password_change:success", "auth.logout:success", "auth.login:failure"] {
                    #expect(actions.contains(expected), "missing \(expected) in \(actions)")
                }
            }
        }
    }

    @Test("every rejection answers 401 in the envelope")
    func rejections() async throws {
        try await withTestDatabase("auth_reject", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let tenant = try await fixtures.tenant("rejects")
                try await fixtures.user("bob", tenants: [tenant])
                let wrong = try await client.post("/api/v1/auth/login", ["username": "bob", "password": "Wrong-Password-99"])
                #expect(wrong.status == .unauthorized)
                #expect(wrong.jsonBody["error"]?["code"] == "INVALID_CREDENTIALS")
                let unknown = try await client.post("/api/v1/auth/login", ["username": "nobody", "password": "Wrong-Password-99"])
                #expect(unknown.status == .unauthorized)
                #expect(unknown.jsonBody["error"]?["code"] == "INVALID_CREDENTIALS")
                let missing = try await client.post("/api/v1/auth/login", ["username": "bob"])
                #expect(missing.status == .unprocessableContent)

                let login = try await client.login("bob")
                let refresh = login["refresh_token"]?.stringValue ?? ""
                let asBearer = try await client.get("/api/v1/auth/me", headers: [.authorization: "Bearer \(refresh)"])
                #expect(asBearer.status == .unauthorized)
                #expect(asBearer.jsonBody["error"]?["code"] == "INVALID_TOKEN")
                let access = login["access_token"]?.stringValue ?? ""
                let tampered = String(access.dropLast(3)) + (access.hasSuffix("AAA") ? "BBB" : "AAA")
                #expect(try await client.get("/api/v1/auth/me", headers: [.authorization: "Bearer \(tampered)"]).status == .unauthorized)
                #expect(try await client.get("/api/v1/auth/me", headers: [.authorization: "Basic Ym9iOmJvYg=="]).status == .unauthorized)
                #expect(try await client.get("/api/v1/auth/me").status == .unauthorized)
                let bogus = try await client.post("/api/v1/auth/refresh", ["refresh_token": "rt_not-a-real-token"])
                #expect(bogus.jsonBody["error"]?["code"] == "INVALID_REFRESH_TOKEN")
            }
        }
    }

    @Test("a spent refresh token ends the whole session")
    func refreshReuse() async throws {
        try await withTestDatabase("auth_reuse", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                try await fixtures.user("carol", tenants: [try await fixtures.tenant("reuse")])
                let login = try await client.login("carol")
                let first = try await client.post("/api/v1/auth/refresh", ["refresh_token": login["refresh_token"] ?? .null])
                #expect(first.status == .ok)
                let replay = try await client.post("/api/v1/auth/refresh", ["refresh_token": login["refresh_token"] ?? .null])
                #expect(replay.status == .unauthorized)
                #expect(replay.jsonBody["error"]?["code"] == "REFRESH_TOKEN_REUSED")
                // The legitimate-looking successor is dead too, and so are the access tokens.
                #expect(try await client.post("/api/v1/auth/refresh", ["refresh_token": first.jsonBody["refresh_token"] ?? .null]).status == .unauthorized)
                #expect(try await client.get("/api/v1/auth/me", headers: bearer(first.jsonBody["access_token"])).status == .unauthorized)
                #expect(try await client.get("/api/v1/auth/me", headers: bearer(login["access_token"])).status == .unauthorized)
            }
        }
    }

    @Test("two concurrent refreshes with one token: one winner, and the family ends whole")
    func concurrentRefresh() async throws {
        try await withTestDatabase("auth_race", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                try await fixtures.user("dave", tenants: [try await fixtures.tenant("race")])
                let login = try await client.login("dave")
                let token = login["refresh_token"] ?? .null
                async let a = client.post("/api/v1/auth/refresh", ["refresh_token": token])
                async let b = client.post("/api/v1/auth/refresh", ["refresh_token": token])
                let responses = try await [a, b]
                let winners = responses.filter { $0.status == .ok }
                #expect(winners.count == 1)
                #expect(responses.filter { $0.status == .unauthorized }.count == 1)
                // No half-revoked family: nothing issued to the winner still works.
                if let winner = winners.first {
                    #expect(try await client.post("/api/v1/auth/refresh", ["refresh_token": winner.jsonBody["refresh_token"] ?? .null]).status == .unauthorized)
                    #expect(try await client.get("/api/v1/auth/me", headers: bearer(winner.jsonBody["access_token"])).status == .unauthorized)
                }
            }
        }
    }

    @Test("parallel wrong passwords cannot get past the lockout")
    func lockoutUnderParallelAttempts() async throws {
        try await withTestDatabase("auth_lockout", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["LOGIN_MAX_ACCOUNT_FAILURES": "5"])
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                try await fixtures.user("erin", tenants: [try await fixtures.tenant("locks")])
                let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                    for index in 0..<20 {
                        group.addTask {
                            let response = try await client.post("/api/v1/auth/login", ["username": "erin", "password": .string("Wrong-Password-\(index)")])
                            return (response.status, response.headers[.retryAfter])
                        }
                    }
                    return try await group.reduce(into: [(HTTPResponse.Status, String?)]()) { $0.append($1) }
                }
                #expect(statuses.filter { $0.0 == .unauthorized }.count == 5)
                let limited = statuses.filter { $0.0 == .tooManyRequests }
                #expect(limited.count == 15)
                #expect(limited.allSatisfy { Int($0.1 ?? "") ?? 0 > 0 })
                // Even the right password waits out the lockout.
                let right = try await client.post("/api/v1/auth/login", ["username": "erin", "password": "Sturdy-Password-42"])
                #expect(right.status == .tooManyRequests)
                #expect(right.jsonBody["error"]?["code"] == "TOO_MANY_ATTEMPTS")
            }
        }
    }

    @Test("logout on one instance takes effect on another sharing the database")
    func logoutAcrossInstances() async throws {
        try await withTestDatabase("auth_instances", runPool: false) { database, handle in
            let first = try await makeDependencies(database)
            let otherDatabase = Database(url: handle.runtime, maxConnections: 2, logger: Logger(label: "tests.instance-b"))
            let second = try await makeDependencies(otherDatabase)
            let fixtures = Fixtures(first)
            try await buildApplication(first).test(.router) { clientA in
                try await buildApplication(second).test(.router) { clientB in
                    try await fixtures.user("frank", tenants: [try await fixtures.tenant("instances")])
                    let login = try await clientA.login("frank")
                    #expect(try await clientB.get("/api/v1/auth/me", headers: bearer(login["access_token"])).status == .ok)
                    #expect(try await clientA.post("/api/v1/auth/logout", [:], headers: bearer(login["access_token"])).status == .ok)
                    #expect(try await clientB.get("/api/v1/auth/me", headers: bearer(login["access_token"])).status == .unauthorized)
                }
            }
        }
    }

    @Test("a suspended tenant or disabled user loses access at once")
    func suspension() async throws {
        try await withTestDatabase("auth_suspend", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let tenant = try await fixtures.tenant("suspend")
                let user = try await fixtures.user("gina", tenants: [tenant])
                let login = try await client.login("gina")
                try await database.withPlatformScope { tx in try await tx.query("UPDATE tenants SET status = 'suspended' WHERE id = \(tenant)") }
                #expect(try await client.get("/api/v1/auth/me", headers: bearer(login["access_token"])).status == .unauthorized)
                #expect(try await client.post("/api/v1/auth/login", ["username": "gina", "password": "Sturdy-Password-42"]).status == .unauthorized)
                try await database.withPlatformScope { tx in
                    try await tx.query("UPDATE tenants SET status = 'active' WHERE id = \(tenant)")
                    try await tx.query("UPDATE users SET status = 'disabled' WHERE id = \(user)")
                }
                #expect(try await client.get("/api/v1/auth/me", headers: bearer(login["access_token"])).status == .unauthorized)
            }
        }
    }

    @Test("a member of two tenants picks one at sign-in")
    func tenantChoice() async throws {
        try await withTestDatabase("auth_tenants", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let one = try await fixtures.tenant("one"), two = try await fixtures.tenant("two")
                try await fixtures.tenant("three")
                try await fixtures.user("hank", tenants: [one, two])
                #expect(try await client.login("hank")["tenant"]?["code"] == "one")
                #expect(try await client.login("hank", tenant: "two")["tenant"]?["code"] == "two")
                #expect(try await client.login("hank", tenant: two.uuidString)["tenant"]?["code"] == "two")
                let outsider = try await client.post("/api/v1/auth/login", ["username": "hank", "password": "Sturdy-Password-42", "tenant": "three"])
                #expect(outsider.status == .unauthorized)
                #expect(outsider.jsonBody["error"]?["code"] == "TENANT_UNAVAILABLE")
            }
        }
    }
}
