import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlatformSupport
import PlatformTesting
@testable import Server
import Testing


@Suite("HTTP: API keys")
struct APIKeyHTTPTests {
    @Test("a key is shown once, authenticates both ways, and stops at revocation")
    func lifecycle() async throws {
        try await withTestDatabase("keys_lifecycle", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                try await fixtures.user("ivy", tenants: [try await fixtures.tenant("keys")])
                let session = bearer(try await client.login("ivy")["access_token"])
                let created = try await client.post("/api/v1/api-keys", ["name": "CI pipeline", "expires_in_days": 30], headers: session)
                #expect(created.status == .created)
                let secret = created.jsonBody["key"]?.stringValue ?? ""
                #expect(secret.hasPrefix("sk_live_"))
                #expect(created.jsonBody["prefix"]?.stringValue.map { secret.hasPrefix($0) } == true)

                let list = try await client.get("/api/v1/api-keys", headers: session)
                #expect(list.jsonBody["total"] == 1)
                #expect(!list.text.contains(secret))
                let settings = try await client.get("/api/v1/settings/api-keys", headers: session)
                guard case .array(let keys)? = settings.jsonBody["keys"], let first = keys.first else { Issue.record("no keys"); return }
                #expect(first["partial"]?.stringValue?.hasSuffix("****") == true)
                #expect(first["name"] == "CI pipeline")

                let viaBearer = try await client.get("/api/v1/auth/me", headers: [.authorization: "Bearer \(secret)"])
                #expect(viaBearer.status == .ok)
                #expect(viaBearer.jsonBody["credential"] == "api_key")
                let viaHeader = try await client.get("/api/v1/auth/me", headers: [HTTPField.Name("X-API-Key")!: secret])
                #expect(viaHeader.status == .ok)
                // A key is no session: it can neither log out nor change the password.
                #expect(try await client.post("/api/v1/auth/logout", [:], headers: [.authorization: "Bearer \(secret)"]).status == .badRequest)
                #expect(try await client.put("/api/v1/auth/password", ["old_password": "Sturdy-Password-42", "new_password": "Another-Sturdy-Pass-7"], headers: [.authorization: "Bearer \(secret)"]).status == .forbidden)

                let id = created.jsonBody["id"]?.stringValue ?? ""
                let revoked = try await client.execute(uri: "/api/v1/api-keys/\(id)", method: .delete, headers: session)
                #expect(revoked.status == .noContent)
                let after = try await client.get("/api/v1/auth/me", headers: [.authorization: "Bearer \(secret)"])
                #expect(after.status == .unauthorized)
                #expect(after.jsonBody["error"]?["code"] == "INVALID_API_KEY")
                #expect(try await client.get("/api/v1/auth/me", headers: [.authorization: "Bearer sk_live_madeup"]).status == .unauthorized)
            }
        }
    }

    @Test("scopes must be held by the creator; bad input names its fields")
    func scopesAndValidation() async throws {
        try await withTestDatabase("keys_scopes", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let tenant = try await fixtures.tenant("scopes")
                try await fixtures.user("jack", tenants: [tenant])
                try await fixtures.user("root", tenants: [tenant], admin: true)
                let member = bearer(try await client.login("jack")["access_token"])
                let denied = try await client.post("/api/v1/api-keys", ["name": "too strong", "scopes": ["tenant:manage"]], headers: member)
                #expect(denied.status == .forbidden)
                #expect(denied.jsonBody["error"]?["code"] == "SCOPE_NOT_HELD")
                let invalid = try await client.post("/api/v1/api-keys", ["name": "", "scopes": ["NOT A CODE"], "expires_in_days": 0], headers: member)
                #expect(invalid.status == .unprocessableContent)
                let fields = invalid.jsonBody["error"]?["details"]?["fields"]
                #expect(fields?["name"] != nil)
                #expect(fields?["scopes"] != nil)
                #expect(fields?["expires_in_days"] != nil)

                let admin = bearer(try await client.login("root")["access_token"])
                let scoped = try await client.post("/api/v1/api-keys", ["name": "reporting", "scopes": ["report:read"]], headers: admin)
                #expect(scoped.status == .created)
                #expect(scoped.jsonBody["scopes"] == ["report:read"])
                // A key never carries platform-admin power, only its scopes.
                let secret = scoped.jsonBody["key"]?.stringValue ?? ""
                let viaKey = try await client.get("/api/v1/auth/me", headers: [.authorization: "Bearer \(secret)"])
                #expect(viaKey.jsonBody["permissions"] == ["report:read"])
            }
        }
    }

    @Test("expired keys are refused")
    func expiry() async throws {
        try await withTestDatabase("keys_expiry", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let tenant = try await fixtures.tenant("expiry")
                try await fixtures.user("kim", tenants: [tenant])
                let session = bearer(try await client.login("kim")["access_token"])
                let created = try await client.post("/api/v1/api-keys", ["name": "short-lived"], headers: session)
                let secret = created.jsonBody["key"]?.stringValue ?? ""
                #expect(try await client.get("/api/v1/auth/me", headers: [.authorization: "Bearer \(secret)"]).status == .ok)
                try await database.withPlatformScope { tx in
                    try await tx.query("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE tenant_id = \(tenant)")
                }
                #expect(try await client.get("/api/v1/auth/me", headers: [.authorization: "Bearer \(secret)"]).status == .unauthorized)
                let past = try await client.post("/api/v1/api-keys", ["name": "past", "expires_at": "2001-01-01T00:00:00Z"], headers: session)
                #expect(past.jsonBody["error"]?["details"]?["fields"]?["expires_at"] != nil)
            }
        }
    }

    @Test("another tenant's key id answers 404, and another member's too")
    func tenantBoundary() async throws {
        try await withTestDatabase("keys_boundary", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let a = try await fixtures.tenant("tenant-a"), b = try await fixtures.tenant("tenant-b")
                try await fixtures.user("lena", tenants: [a])
                try await fixtures.user("mike", tenants: [b])
                try await fixtures.user("nora", tenants: [a])
                let lena = bearer(try await client.login("lena")["access_token"])
                let mike = bearer(try await client.login("mike")["access_token"])
                let nora = bearer(try await client.login("nora")["access_token"])
                let mikesKey = try await client.post("/api/v1/api-keys", ["name": "mike's"], headers: mike).jsonBody["id"]?.stringValue ?? ""
                let norasKey = try await client.post("/api/v1/api-keys", ["name": "nora's"], headers: nora).jsonBody["id"]?.stringValue ?? ""
                for id in [mikesKey, norasKey, UUID().uuidString] {
                    let response = try await client.execute(uri: "/api/v1/api-keys/\(id)", method: .delete, headers: lena)
                    #expect(response.status == .notFound)
                    #expect(response.jsonBody["error"]?["code"] == "API_KEY_NOT_FOUND")
                }
                #expect(try await client.get("/api/v1/api-keys", headers: lena).jsonBody["total"] == 0)
                // Mike's key still works: nothing was revoked by the attempts.
                #expect(try await client.get("/api/v1/api-keys", headers: mike).jsonBody["items"]?.arrayCount == 1)
                let notAnID = try await client.execute(uri: "/api/v1/api-keys/not-a-uuid", method: .delete, headers: lena)
                #expect(notAnID.status == .notFound)
            }
        }
    }
}

extension JSONValue {
    var arrayCount: Int? {
        if case .array(let values) = self { return values.count }
        return nil
    }
}
