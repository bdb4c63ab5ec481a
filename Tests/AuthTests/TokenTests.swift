@testable import Auth
import Crypto
import Foundation
import JWTKit
import PlatformSupport
import Testing


@Suite("Access tokens")
struct TokenTests {
    static let secret = "unit-test-secret-unit-test-secret-0123456789"

    func service(issuer: String = "platform", audience: String = "platform-api") async -> TokenService {
        await TokenService(secret: Self.secret, issuer: issuer, audience: audience, accessTokenTTL: 900, refreshTokenTTL: 3600, leeway: 30)
    }

    func expectRejected(_ token: String, by service: TokenService, code: String = "INVALID_TOKEN") async {
        do {
            _ = try await service.verifyAccessToken(token)
            Issue.record("token was accepted")
        } catch let error as APIError {
            #expect(error.status == .unauthorized)
            #expect(error.code == code)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    /// A token signed by hand: any header, any claims, HMAC-SHA256 with `key` (or no signature).
    func forge(header: [String: JSONValue], claims: [String: JSONValue], key: String? = secret, signature: String? = nil) throws -> String {
        func segment(_ value: JSONValue) throws -> String {
            try JSONEncoder().encode(value).base64URLEncoded()
        }
        let input = try segment(.object(header)) + "." + segment(.object(claims))
        if let signature { return input + "." + signature }
        guard let key else { return input + "." }
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(key.utf8)))
        return input + "." + Data(mac).base64URLEncoded()
    }

    func claims(now: Date = Date(), exp: TimeInterval = 900, iat: TimeInterval = 0, typ: String = "access", iss: String = "platform", aud: String = "platform-api") -> [String: JSONValue] {
        [
            "iss": .string(iss), "aud": .string(aud), "sub": .string(UUID().uuidString), "tid": .string(UUID().uuidString),
            "sid": .string(UUID().uuidString), "jti": "x", "iat": .double(now.timeIntervalSince1970 + iat),
            "exp": .double(now.timeIntervalSince1970 + exp), "typ": .string(typ),
        ]
    }

    @Test func issuesAndVerifies() async throws {
        let tokens = await service()
        let user = UUID(), tenant = UUID(), session = UUID()
        let issued = try await tokens.issueAccessToken(userID: user, tenantID: tenant, sessionID: session)
        #expect(issued.expiresIn == 900)
        let verified = try await tokens.verifyAccessToken(issued.token)
        #expect(verified.userID == user)
        #expect(verified.tenantID == tenant)
        #expect(verified.sessionID == session)
        // The hand-forged form of a valid token passes too, so the rejections below are about what they change.
        let forged = try forge(header: ["alg": "HS256", "typ": "JWT"], claims: claims())
        _ = try await tokens.verifyAccessToken(forged)
    }

    @Test func rejectsAlgNone() async throws {
        await expectRejected(try forge(header: ["alg": "none", "typ": "JWT"], claims: claims(), key: nil), by: await service())
        await expectRejected(try forge(header: ["alg": "none"], claims: claims(), signature: ""), by: await service())
    }

    @Test func rejectsOtherAlgorithms() async throws {
        // Same key and a valid HS256 signature, but the header claims another algorithm.
        await expectRejected(try forge(header: ["alg": "HS512", "typ": "JWT"], claims: claims()), by: await service())
        await expectRejected(try forge(header: ["alg": "RS256", "typ": "JWT"], claims: claims()), by: await service())
        // An ES256 token from a key of its own.
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: ES256PrivateKey())
        let esToken = try await keys.sign(
            AccessClaims(
                iss: "platform", aud: "platform-api", sub: .init(value: UUID().uuidString), tid: UUID().uuidString, sid: UUID().uuidString,
                jti: "x", iat: .init(value: Date()), exp: .init(value: Date().addingTimeInterval(600)), nbf: nil, typ: "access"))
        await expectRejected(esToken, by: await service())
    }

    @Test func rejectsBadSignatures() async throws {
        let tokens = await service()
        await expectRejected(try forge(header: ["alg": "HS256"], claims: claims(), key: "another-secret-another-secret-0123456789"), by: tokens)
        let issued = try await tokens.issueAccessToken(userID: UUID(), tenantID: UUID(), sessionID: UUID()).token
        var parts = issued.split(separator: ".").map(String.init)
        parts[1] = try JSONEncoder().encode(JSONValue.object(claims())).base64URLEncoded()
        await expectRejected(parts.joined(separator: "."), by: tokens)
        await expectRejected("not.a.token", by: tokens)
        await expectRejected("garbage", by: tokens)
    }

    @Test func rejectsWrongIssuerAudienceAndType() async throws {
        let tokens = await service()
        await expectRejected(try forge(header: ["alg": "HS256"], claims: claims(iss: "someone-else")), by: tokens)
        await expectRejected(try forge(header: ["alg": "HS256"], claims: claims(aud: "another-api")), by: tokens)
        await expectRejected(try forge(header: ["alg": "HS256"], claims: claims(typ: "refresh")), by: tokens)
        let elsewhere = try await service(issuer: "other").issueAccessToken(userID: UUID(), tenantID: UUID(), sessionID: UUID()).token
        await expectRejected(elsewhere, by: tokens)
    }

    @Test func timeClaimsWithLeeway() async throws {
        let tokens = await service()
        await expectRejected(try forge(header: ["alg": "HS256"], claims: claims(exp: -31, iat: -900)), by: tokens, code: "TOKEN_EXPIRED")
        // Within the 30 s leeway: still accepted.
        _ = try await tokens.verifyAccessToken(try forge(header: ["alg": "HS256"], claims: claims(exp: -10, iat: -900)))
        await expectRejected(try forge(header: ["alg": "HS256"], claims: claims(exp: 1800, iat: 120)), by: tokens)
        var notYet = claims()
        notYet["nbf"] = .double(Date().timeIntervalSince1970 + 300)
        await expectRejected(try forge(header: ["alg": "HS256"], claims: notYet), by: tokens)
    }

    @Test func es256WithJWKS() async throws {
        let key = ES256PrivateKey()
        let tokens = try await TokenService(privateKeyPEM: key.pemRepresentation, issuer: "platform", audience: "platform-api", accessTokenTTL: 900, refreshTokenTTL: 3600, leeway: 30)
        let token = try await tokens.issueAccessToken(userID: UUID(), tenantID: UUID(), sessionID: UUID()).token
        _ = try await tokens.verifyAccessToken(token)
        let keys = try #require(tokens.jwks?["keys"])
        guard case .array(let list) = keys, let first = list.first else { Issue.record("no keys"); return }
        #expect(first["kty"] == "EC")
        #expect(first["alg"] == "ES256")
        #expect(first["kid"]?.stringValue == tokens.keyID)
        // An HS256 token made with any secret is refused by an ES256 verifier.
        await expectRejected(try forge(header: ["alg": "HS256"], claims: claims()), by: tokens)
    }
}
