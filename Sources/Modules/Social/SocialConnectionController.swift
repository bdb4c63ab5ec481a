import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// `POST /social/connect` and `GET /social/platforms` (the content platform seed).
struct SocialConnectionController: Sendable {
    let database: Database
    let connections: SocialConnections
    let accounts = PlatformAccountStore()
    let quota: PlatformAccountQuota

    func register(in routes: RouteGroup) {
        routes.get(
            "/platforms", "The networks, whether each is connected, its account and a fresh follower count", .permission("social:platform:list"),
            use: platforms)
        routes.post(
            "/connect", "Connect a network: the credentials are verified with a real call (the account's identity), then stored sealed",
            .permission("social:platform:connect"), body: ConnectInput.self,
            responses: [
                .error(.badGateway, "The network could not be reached or failed"),
                .error(.serviceUnavailable, "The network is rate limiting, or no secrets key is configured"),
            ], use: connect)
    }

    func connect(_ request: Request, _ context: AuthenticatedContext) async throws -> ConnectResult {
        let input = try await request.decode(as: ConnectInput.self, context: context)
        guard let network = SocialNetwork(name: input.platform) else {
            throw APIError.validation(["platform": "must be one of \(SocialNetwork.allCases.map(\.rawValue).joined(separator: ", ")) (x is accepted for twitter)"])
        }
        let (parsed, problems) = CredentialsInput.parse(input.credentials, for: network)
        guard let credentials = parsed else { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        if let accountID = input.platformAccountId {
            let account = try await database.withTenant(context.tenant) { tx in
                try await accounts.find(accountID, tenantID: tenantID, day: try await quota.days.today(tenantID, in: tx), in: tx)
            }
            guard let account else { throw APIError.validation(["platform_account_id": "no platform account \(accountID.uuidString.lowercased())"]) }
            guard SocialNetwork(name: account.platform) == network else {
                throw APIError.validation(["platform_account_id": "is a \(account.platform) account, not \(network.rawValue)"])
            }
        }
        let identity: SocialIdentity
        do {
            identity = try await connections.clients.client(network).identity(credentials)
        } catch let error as SocialPlatformError {
            switch error.kind {
            case .unauthorized, .rejected, .notFound:
                throw APIError.validation(["credentials": "\(network.displayName) did not accept them: \(error.message)"], message: "The credentials were refused")
            case .refused:
                throw APIError.validation([network == .mastodon ? "credentials.instance_url" : "credentials": error.message])
            default:
                throw error.apiError(network)
            }
        }
        let sealed = try connections.seal(credentials, network: network, tenantID: tenantID)
        let connection = try await database.withTenant(context.tenant) { tx -> StoredConnection? in
            let connection = try await connections.store.upsert(
                ConnectionFields(
                    platform: network, identity: identity, sealedCredentials: sealed, tokenExpiresAt: credentials.expiresAt,
                    platformAccountID: input.platformAccountId, connectedBy: context.principal.userID),
                tenantID: tenantID, in: tx)
            try await AuditLog.append(
                AuditEvent(
                    action: "social.connect", tenantID: tenantID, actorUserID: context.principal.userID, targetType: "social_connection",
                    targetID: network.rawValue, requestID: context.requestID, metadata: ["account": .string(identity.account)]),
                in: tx)
            return connection
        }
        guard let connection else { throw APIError.internalError }
        return ConnectResult(
            success: true, platform: network, connected: true, account: connection.account, accountId: connection.remoteAccountId,
            displayName: connection.displayName, followers: connection.followers, platformAccountId: connection.platformAccountId,
            tokenExpiresAt: connection.tokenExpiresAt, message: "\(network.displayName) connected as \(connection.account)")
    }

    /// Every network; a connected one's profile is read afresh (concurrently, refreshing its
    /// token when needed) and its stored values answered when the read fails, with the error.
    func platforms(_ request: Request, _ context: AuthenticatedContext) async throws -> PlatformStates {
        let scope = context.tenant
        let stored = try await database.withTenant(scope) { tx in try await connections.store.all(tenantID: scope.tenantID, in: tx) }
        let checked = await withTaskGroup(of: PlatformState.self) { group in
            for connection in stored {
                group.addTask { await self.check(connection, scope: scope) }
            }
            var states: [PlatformState] = []
            for await state in group { states.append(state) }
            return states
        }
        return PlatformStates(platforms: SocialNetwork.allCases.map { network in
            checked.first { $0.name == network }
                ?? PlatformState(name: network, displayName: network.displayName, connected: false)
        })
    }

    func check(_ connection: StoredConnection, scope: TenantScope) async -> PlatformState {
        let network = connection.platform
        var state = PlatformState(
            name: network, displayName: network.displayName, connected: true, account: connection.account, followers: connection.followers,
            platformAccountId: connection.platformAccountId, checkedAt: connection.checkedAt)
        do {
            guard let session = try await connections.session(network, scope: scope) else { return state }
            let identity = try await connections.call(session, scope: scope) { client, credentials in try await client.identity(credentials) }
            state.account = identity.account
            state.followers = identity.followers
            state.checkedAt = Date()
            try await database.withTenant(scope) { tx in
                try await connections.store.recordCheck(network, identity: identity, error: nil, tenantID: scope.tenantID, in: tx)
            }
        } catch {
            let message = (error as? SocialPlatformError)?.message ?? "the profile could not be read"
            state.error = message
            try? await database.withTenant(scope) { tx in
                try await connections.store.recordCheck(network, identity: nil, error: message, tenantID: scope.tenantID, in: tx)
            }
        }
        return state
    }
}
