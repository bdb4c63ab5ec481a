import Crypto
import Foundation
import Hummingbird
import NIOCore
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import Synchronization

/// Tells the rate limiter whom a request counts against, before authentication runs: a
/// verified access token's user, or a presented API key (with its tenant, for the plan).
/// Anything else counts against the client address.
public final class RateLimitIdentifier: Sendable {
    let tokens: TokenService
    let database: Database
    private let keyTenants = Mutex<[String: (tenant: UUID?, loaded: ContinuousClock.Instant)]>([:])

    public init(tokens: TokenService, database: Database) {
        self.tokens = tokens
        self.database = database
    }

    public func identify(_ request: Request) async -> RateLimitIdentity? {
        var credential: String?
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { credential = parts[1].trimmingCharacters(in: .whitespaces) }
        } else if let key = request.headers[.xAPIKey] {
            credential = key.trimmingCharacters(in: .whitespaces)
        }
        guard let credential, !credential.isEmpty else { return nil }
        if credential.hasPrefix("sk_") {
            let digest = SHA256.hash(data: Data(credential.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
            return RateLimitIdentity(key: "key:" + digest, tenantID: await tenant(ofKey: credential, digest: digest))
        }
        guard let verified = try? await tokens.verifyAccessToken(credential) else { return nil }
        let requested = request.headers[.xTenantID].flatMap { UUID(uuidString: $0.trimmingCharacters(in: .whitespaces)) }
        return RateLimitIdentity(key: "user:" + verified.userID.uuidString.lowercased(), tenantID: requested ?? verified.tenantID)
    }

    /// The key's tenant, remembered for a minute (unknown keys too, so garbage costs one lookup a minute).
    func tenant(ofKey key: String, digest: String) async -> UUID? {
        if let entry = keyTenants.withLock({ $0[digest] }), ContinuousClock.now - entry.loaded < .seconds(60) { return entry.tenant }
        let hash = Secrets.hash(key)
        let tenant = try? await database.withPlatformScope { tx in
            try await APIKeyStore().tenantID(hash: hash, in: tx)
        }
        keyTenants.withLock { entries in
            if entries.count > 100_000 { entries.removeAll() }
            entries[digest] = (tenant ?? nil, .now)
        }
        return tenant ?? nil
    }
}
