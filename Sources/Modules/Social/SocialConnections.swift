import AsyncHTTPClient
import Foundation
import NIOCore
import PlatformDatabase
import PlatformServices
import PlatformSupport

/// The network clients, one per network, built from the configuration.
struct SocialClients: Sendable {
    let x: XClient
    let linkedIn: LinkedInClient
    let facebook: GraphClient
    let instagram: GraphClient
    let mastodon: MastodonClient

    init(config: PlatformConfig.Social, http client: HTTPClient, targets: OutboundTargetPolicy) {
        let http = SocialHTTP(client: client, timeout: .seconds(config.timeoutSeconds))
        let images = ImageFetcher(http: http, targets: targets, maxBytes: config.maxImageBytes)
        x = XClient(http: http, images: images, baseURL: config.xAPIURL)
        linkedIn = LinkedInClient(http: http, images: images, baseURL: config.linkedInAPIURL, oauthURL: config.linkedInOAuthURL, version: config.linkedInVersion)
        facebook = GraphClient(http: http, baseURL: config.graphAPIURL, network: .facebook)
        instagram = GraphClient(http: http, baseURL: config.graphAPIURL, network: .instagram)
        mastodon = MastodonClient(http: http, images: images)
    }

    func client(_ network: SocialNetwork) -> any SocialClient {
        switch network {
        case .twitter: x
        case .linkedin: linkedIn
        case .facebook: facebook
        case .instagram: instagram
        case .mastodon: mastodon
        }
    }
}

/// A connection ready for calls: what is stored and its opened credentials.
struct SocialSession: Sendable {
    var connection: StoredConnection
    var credentials: SocialCredentials
    var network: SocialNetwork { connection.platform }
}

/// The tenant's connections: credentials sealed per tenant and network, opened only for a
/// call, refreshed (once at a time, under a row lock) before they expire and when a network
/// answers 401.
struct SocialConnections: Sendable {
    let database: Database
    let sealer: SecretSealer?
    let clients: SocialClients
    let store = SocialConnectionStore()
    /// Tokens expiring within this are refreshed before a call.
    static let refreshMargin: TimeInterval = 60

    static func secretName(_ network: SocialNetwork) -> String { "social_connection/\(network.rawValue)/credentials" }

    func seal(_ credentials: SocialCredentials, network: SocialNetwork, tenantID: UUID) throws -> ByteBuffer {
        guard let sealer else { throw APIError.socialSecretsNotConfigured }
        let text = String(decoding: try PlatformJSON.makeEncoder().encode(credentials), as: UTF8.self)
        return try sealer.seal(text, tenant: tenantID, name: Self.secretName(network))
    }

    func open(_ sealed: ByteBuffer, network: SocialNetwork, tenantID: UUID) throws -> SocialCredentials {
        guard let sealer, let text = try? sealer.open(sealed, tenant: tenantID, name: Self.secretName(network)),
            let credentials = try? PlatformJSON.makeDecoder().decode(SocialCredentials.self, from: Data(text.utf8))
        else {
            throw SocialPlatformError.refused("the stored \(network.displayName) credentials cannot be opened with the configured secrets key; connect again")
        }
        return credentials
    }

    /// The tenant's connection to `network` with its credentials, or nil when it has none.
    func session(_ network: SocialNetwork, scope: TenantScope) async throws -> SocialSession? {
        let found = try await database.withTenant(scope) { tx -> (StoredConnection, ByteBuffer)? in
            guard let connection = try await store.find(network, tenantID: scope.tenantID, in: tx),
                let sealed = try await store.sealed(network, tenantID: scope.tenantID, locking: false, in: tx)
            else { return nil }
            return (connection, sealed)
        }
        guard let (connection, sealed) = found else { return nil }
        return SocialSession(connection: connection, credentials: try open(sealed, network: network, tenantID: scope.tenantID))
    }

    /// Runs `call` with the session's credentials: refreshed first when they expire within a
    /// minute, and once more when the network answers 401.
    func call<T: Sendable>(
        _ session: SocialSession, scope: TenantScope, _ call: (any SocialClient, SocialCredentials) async throws -> T
    ) async throws -> T {
        let client = clients.client(session.network)
        var credentials = session.credentials
        if credentials.expires(within: Self.refreshMargin) {
            credentials = try await refresh(session.network, scope: scope, stale: credentials)
        }
        do {
            return try await call(client, credentials)
        } catch let error as SocialPlatformError where error.kind == .unauthorized {
            let fresh: SocialCredentials
            do {
                fresh = try await refresh(session.network, scope: scope, stale: credentials)
            } catch let failure as SocialPlatformError where failure.kind == .unauthorized {
                throw error
            }
            return try await call(client, fresh)
        }
    }

    /// New credentials from the network's token endpoint, stored sealed. When another caller
    /// refreshed meanwhile, its credentials are used instead (refresh tokens may be single-use).
    func refresh(_ network: SocialNetwork, scope: TenantScope, stale: SocialCredentials) async throws -> SocialCredentials {
        try await database.withTenant(scope) { tx in
            guard let sealed = try await store.sealed(network, tenantID: scope.tenantID, locking: true, in: tx) else {
                throw SocialPlatformError(kind: .unauthorized, message: "\(network.displayName) is no longer connected")
            }
            let current = try open(sealed, network: network, tenantID: scope.tenantID)
            if current.accessToken != stale.accessToken && !current.expires(within: Self.refreshMargin) { return current }
            let next: SocialCredentials?
            do {
                next = try await clients.client(network).refreshed(current)
            } catch let error as SocialPlatformError where error.kind == .rejected || error.kind == .unauthorized {
                throw SocialPlatformError(
                    kind: .unauthorized, status: error.status, message: "\(network.displayName) refused to refresh the token (\(error.message)); connect again")
            }
            guard let next else {
                throw SocialPlatformError(
                    kind: .unauthorized, message: "the \(network.displayName) token expired and cannot be refreshed (no refresh token or client); connect again")
            }
            try await store.updateCredentials(
                network, sealed: try seal(next, network: network, tenantID: scope.tenantID), expiresAt: next.expiresAt, tenantID: scope.tenantID, in: tx)
            return next
        }
    }
}
