@testable import Auth
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


@Suite("Auth operations")
struct AuthOperationsTests {
    @Test("bootstrap creates the first platform administrator, who can sign in")
    func bootstrap() async throws {
        try await withTestDatabase("ops_bootstrap", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            try await buildApplication(dependencies).test(.router) { client in
                let bootstrapper = Bootstrapper(database: database, passwords: dependencies.passwords)
                #expect(try await !bootstrapper.hasUsers())
                let result = try await bootstrapper.createAdmin(
                    email: "root@example.com", username: "root", password: nil, tenantCode: "hq", tenantName: "Headquarters")
                let password = try #require(result.generatedPassword)
                #expect(result.createdUser)
                let login = try await client.login("root@example.com".replacingOccurrences(of: "@example.com", with: ""), password)
                #expect(login["user"]?["is_platform_admin"] == true)
                #expect(login["tenant"]?["code"] == "hq")
                let weak = await #expect(throws: APIError.self) {
                    try await bootstrapper.createAdmin(email: "x@example.com", username: nil, password: "short", tenantCode: "hq", tenantName: nil)
                }
                #expect(weak?.details?["fields"]?["password"] != nil)
            }
        }
    }

    @Test("the audit log is append-only, even for its owner")
    func auditAppendOnly() async throws {
        try await withTestDatabase("ops_audit") { database, handle in
            try await database.withPlatformScope { tx in
                try await AuditLog.append(AuditEvent(action: "test.event", tenantID: nil), in: tx)
            }
            await #expect(throws: PSQLError.self) {
                try await database.withPlatformScope { tx in try await tx.query("UPDATE audit_logs SET action = 'rewritten'") }
            }
            await #expect(throws: PSQLError.self) {
                try await database.withPlatformScope { tx in try await tx.query("DELETE FROM audit_logs") }
            }
            // The owner is under the forced policies too: there is no policy to delete through,
            // and TRUNCATE (which bypasses row policies) is refused by a trigger.
            let logger = Logger(label: "tests.audit")
            let deletedByOwner = try await handle.owner.withSingleConnection(logger: logger) { connection in
                _ = try await connection.query("SELECT set_config('app.scope', 'platform', false)", logger: logger)
                return try await connection.query("DELETE FROM audit_logs RETURNING id", logger: logger).collect().count
            }
            #expect(deletedByOwner == 0)
            await #expect(throws: PSQLError.self) {
                try await handle.owner.withSingleConnection(logger: logger) { connection in
                    _ = try await connection.query("TRUNCATE audit_logs", logger: logger)
                }
            }
            let count = try await database.withPlatformScope { tx in try await tx.first("SELECT count(*)::int FROM audit_logs", as: Int.self) }
            #expect(count == 1)
        }
    }

    @Test("with an EC key configured, tokens are ES256 and the JWKS is served")
    func jwks() async throws {
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("jwt-\(UUID().uuidString).pem")
        try P256.Signing.PrivateKey().pemRepresentation.write(to: keyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: keyFile) }
        try await withTestDatabase("ops_jwks", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["JWT_PRIVATE_KEY_FILE": keyFile.path])
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                try await fixtures.user("olga", tenants: [try await fixtures.tenant("jwks")])
                let jwks = try await client.get("/.well-known/jwks.json")
                #expect(jwks.status == .ok)
                guard case .array(let keys)? = jwks.jsonBody["keys"], let key = keys.first else { Issue.record("no keys"); return }
                #expect(key["alg"] == "ES256")
                let login = try await client.login("olga")
                let header = login["access_token"]?.stringValue?.split(separator: ".").first.map(String.init) ?? ""
                let decoded = Data(base64URLEncoded: header).flatMap { try? JSONDecoder().decode(JSONValue.self, from: $0) }
                #expect(decoded?["alg"] == "ES256")
                #expect(decoded?["kid"] == key["kid"])
                #expect(try await client.get("/api/v1/auth/me", headers: bearer(login["access_token"])).status == .ok)
            }
        }
    }

    @Test("without an EC key there is no JWKS route")
    func noJWKSForSharedSecrets() async throws {
        try await withTestDatabase("ops_nojwks", runPool: false) { database, _ in
            try await buildApplication(try await makeDependencies(database)).test(.router) { client in
                let response = try await client.get("/.well-known/jwks.json")
                #expect(response.status == .notFound)
            }
        }
    }
}
