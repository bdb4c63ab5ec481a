import Crypto
import Foundation
import JWTKit
import NIOCore
import PlatformServices
import PlatformSupport

/// The claims of an access token. Checked by `TokenService`, which knows issuer, audience
/// and leeway; `verify(using:)` itself only runs after the signature has been checked.
struct AccessClaims: JWTPayload {
    var iss: IssuerClaim
    var aud: AudienceClaim
    var sub: SubjectClaim
    var tid: String
    var sid: String
    var jti: IDClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim?
    /// Always "access": nothing else this platform signs may pass as an access token.
    var typ: String

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// A verified access token.
public struct VerifiedAccessToken: Sendable, Equatable {
    public var userID: UUID
    public var tenantID: UUID
    public var sessionID: UUID
    public var tokenID: String
    public var expiresAt: Date
}

/// Issues and verifies access tokens: HS256 with `JWT_SECRET`, or ES256 with the key in
/// `JWT_PRIVATE_KEY_FILE` (whose public half is served at `/.well-known/jwks.json`).
public struct TokenService: Sendable {
    public enum Algorithm: String, Sendable { case hs256 = "HS256", es256 = "ES256" }

    let keys: JWTKeyCollection
    public let algorithm: Algorithm
    public let keyID: String?
    public let issuer: String
    public let audience: String
    public let accessTokenTTL: Int
    public let refreshTokenTTL: Int
    public let leeway: Int
    /// The JWKS document, when the key is asymmetric.
    public let jwks: JSONValue?

    public init(secret: String, issuer: String, audience: String, accessTokenTTL: Int, refreshTokenTTL: Int, leeway: Int) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
        self.algorithm = .hs256
        self.keyID = nil
        self.issuer = issuer
        self.audience = audience
        self.accessTokenTTL = accessTokenTTL
        self.refreshTokenTTL = refreshTokenTTL
        self.leeway = leeway
        self.jwks = nil
    }

    public init(privateKeyPEM: String, issuer: String, audience: String, accessTokenTTL: Int, refreshTokenTTL: Int, leeway: Int) async throws {
        let privateKey = try ES256PrivateKey(pem: privateKeyPEM)
        guard let parameters = privateKey.publicKey.parameters else {
            throw ConfigurationError("JWT_PRIVATE_KEY_FILE: cannot read the public key of the EC key")
        }
        let thumbprint = SHA256.hash(data: Data((parameters.x + parameters.y).utf8))
        let keyID = Data(thumbprint).base64URLEncoded().prefix(16)
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: privateKey, kid: JWKIdentifier(string: String(keyID)))
        self.keys = keys
        self.algorithm = .es256
        self.keyID = String(keyID)
        self.issuer = issuer
        self.audience = audience
        self.accessTokenTTL = accessTokenTTL
        self.refreshTokenTTL = refreshTokenTTL
        self.leeway = leeway
        self.jwks = [
            "keys": [[
                "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256",
                "kid": .string(String(keyID)), "x": .string(parameters.x), "y": .string(parameters.y),
            ]]
        ]
    }

    /// From configuration: the private key file wins over the secret.
    public static func make(_ config: PlatformConfig.JWT) async throws -> TokenService {
        if let path = config.privateKeyFile {
            guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigurationError("JWT_PRIVATE_KEY_FILE: cannot read \(path)")
            }
            do {
                return try await TokenService(
                    privateKeyPEM: pem, issuer: config.issuer, audience: config.audience,
                    accessTokenTTL: config.accessTokenTTL, refreshTokenTTL: config.refreshTokenTTL, leeway: config.leewaySeconds)
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw ConfigurationError("JWT_PRIVATE_KEY_FILE: \(path) is not a PEM EC P-256 private key")
            }
        }
        guard let secret = config.secret else {
            throw ConfigurationError("JWT_SECRET (at least 32 bytes) or JWT_PRIVATE_KEY_FILE is required")
        }
        return await TokenService(
            secret: secret, issuer: config.issuer, audience: config.audience,
            accessTokenTTL: config.accessTokenTTL, refreshTokenTTL: config.refreshTokenTTL, leeway: config.leewaySeconds)
    }

    public func issueAccessToken(userID: UUID, tenantID: UUID, sessionID: UUID, now: Date = Date()) async throws -> (token: String, expiresIn: Int) {
        let claims = AccessClaims(
            iss: IssuerClaim(value: issuer), aud: AudienceClaim(value: [audience]),
            sub: SubjectClaim(value: userID.uuidString.lowercased()),
            tid: tenantID.uuidString.lowercased(), sid: sessionID.uuidString.lowercased(),
            jti: IDClaim(value: UUID.v7().uuidString.lowercased()),
            iat: IssuedAtClaim(value: now), exp: ExpirationClaim(value: now.addingTimeInterval(TimeInterval(accessTokenTTL))),
            nbf: nil, typ: "access")
        var header = JWTHeader()
        header.alg = algorithm.rawValue
        header.typ = "JWT"
        let token = try await keys.sign(claims, kid: keyID.map { JWKIdentifier(string: $0) }, header: header)
        return (token, accessTokenTTL)
    }

    /// Verifies signature, algorithm, issuer, audience, type and time claims (with leeway).
    public func verifyAccessToken(_ token: String, now: Date = Date()) async throws -> VerifiedAccessToken {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Data(base64URLEncoded: String(parts[0])),
            let header = try? JSONDecoder().decode(JSONValue.self, from: headerData)
        else { throw APIError.invalidToken("malformed token") }
        // Exactly the configured algorithm: never "none", never another family.
        guard header["alg"]?.stringValue == algorithm.rawValue else { throw APIError.invalidToken("unexpected signing algorithm") }
        if let typ = header["typ"], typ != "JWT" { throw APIError.invalidToken("unexpected token type") }
        if let keyID, let kid = header["kid"], kid.stringValue != keyID { throw APIError.invalidToken("unknown signing key") }

        let claims: AccessClaims
        do {
            claims = try await keys.verify(token, as: AccessClaims.self)
        } catch {
            throw APIError.invalidToken("signature or claims are invalid")
        }
        let slack = TimeInterval(leeway)
        guard claims.typ == "access" else { throw APIError.invalidToken("not an access token") }
        guard claims.iss.value == issuer else { throw APIError.invalidToken("wrong issuer") }
        guard claims.aud.value.contains(audience) else { throw APIError.invalidToken("wrong audience") }
        guard claims.exp.value.addingTimeInterval(slack) > now else { throw APIError.tokenExpired }
        guard claims.iat.value.addingTimeInterval(-slack) <= now else { throw APIError.invalidToken("issued in the future") }
        if let nbf = claims.nbf, nbf.value.addingTimeInterval(-slack) > now { throw APIError.invalidToken("not valid yet") }
        guard let user = UUID(uuidString: claims.sub.value), let tenant = UUID(uuidString: claims.tid),
            let session = UUID(uuidString: claims.sid)
        else { throw APIError.invalidToken("malformed subject") }
        return VerifiedAccessToken(userID: user, tenantID: tenant, sessionID: session, tokenID: claims.jti.value, expiresAt: claims.exp.value)
    }
}

/// Random secrets (refresh tokens, API keys) and their stored hashes.
enum Secrets {
    static func random(bytes: Int = 32) -> String {
        Data(SymmetricKey(size: SymmetricKeySize(bitCount: bytes * 8)).withUnsafeBytes { Data($0) }).base64URLEncoded()
    }

    /// Secrets are long and random, so a fast hash is enough (nothing to brute-force).
    /// A `ByteBuffer` binds as `bytea`.
    static func hash(_ secret: String) -> ByteBuffer {
        ByteBuffer(bytes: Array(SHA256.hash(data: Data(secret.utf8))))
    }
}

extension Data {
    func base64URLEncoded() -> String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
