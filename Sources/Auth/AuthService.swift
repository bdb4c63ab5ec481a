import Foundation
import Logging
import PlatformDatabase
import PlatformServices
import PlatformSupport

/// Sign-in, sessions and authentication of requests.
public struct AuthService: Sendable {
    let database: Database
    let tokens: TokenService
    let passwords: PasswordHasher
    let policy: PasswordPolicy
    let throttle: LoginThrottle
    let access: any AccessResolver
    let accounts = AccountStore()
    let sessions = SessionStore()

    public init(database: Database, tokens: TokenService, passwords: PasswordHasher, config: PlatformConfig, access: any AccessResolver) {
        self.database = database
        self.tokens = tokens
        self.passwords = passwords
        self.policy = .bundled()
        self.throttle = LoginThrottle(
            maxAccountFailures: config.login.maxAccountFailures, maxAddressFailures: config.login.maxAddressFailures,
            baseLockoutSeconds: config.login.lockoutSeconds)
        self.access = access
    }

    public struct ClientInfo: Sendable {
        public var ip: String?
        public var userAgent: String?
        public var requestID: String?

        public init(ip: String?, userAgent: String?, requestID: String?) {
            self.ip = ip
            self.userAgent = userAgent
            self.requestID = requestID
        }
    }

    // MARK: sign-in

    public func login(_ request: AuthModels.LoginRequest, client: ClientInfo) async throws -> AuthModels.TokenResponse {
        let identifier = (request.username ?? request.email ?? "").trimmingCharacters(in: .whitespaces)
        var problems: [String: String] = [:]
        if identifier.isEmpty { problems["username"] = "username or email is required" }
        if request.password.isEmpty { problems["password"] = "is required" }
        if identifier.count > 320 { problems["username"] = "is too long" }
        if request.password.count > PasswordPolicy.maximumLength { problems["password"] = "is too long" }
        if !problems.isEmpty { throw APIError.validation(problems) }

        let throttle = self.throttle
        if let wait = try await database.withPlatformScope({ tx in
            try await throttle.reserve(account: identifier, address: client.ip, in: tx)
        }) {
            throw APIError.lockedOut(retryAfter: wait)
        }

        let user = try await database.withPlatformScope { tx in try await accounts.user(identifier: identifier, in: tx) }
        let matches = try await passwords.verify(request.password, against: user?.passwordHash)
        guard let user, matches else {
            try await database.withPlatformScope { tx in
                try await AuditLog.append(
                    AuditEvent(
                        action: "auth.login", tenantID: nil, actorUserID: user?.id, outcome: "failure", clientIP: client.ip,
                        requestID: client.requestID, metadata: ["reason": user == nil ? "unknown_user" : "wrong_password"]),
                    in: tx)
            }
            throw APIError.invalidCredentials
        }
        guard user.status == "active" else { throw APIError.accountDisabled }

        let memberships = try await database.withPlatformScope { tx in try await accounts.memberships(userID: user.id, in: tx) }
        let membership = try Self.chooseTenant(request.tenant, from: memberships)
        let rehash = passwords.needsRehash(user.passwordHash ?? "") ? try await passwords.hash(request.password) : nil
        return try await database.withPlatformScope { tx in
            try await throttle.succeeded(account: identifier, address: client.ip, in: tx)
            try await accounts.recordLogin(userID: user.id, in: tx)
            if let rehash { try await accounts.setPasswordHash(userID: user.id, hash: rehash, in: tx) }
            let response = try await self.openSession(user: user, membership: membership, client: client, in: tx)
            try await AuditLog.append(
                AuditEvent(action: "auth.login", tenantID: membership.tenantID, actorUserID: user.id, clientIP: client.ip, requestID: client.requestID),
                in: tx)
            return response
        }
    }

    /// The membership named by code or id, or the default one; never a suspended tenant.
    static func chooseTenant(_ requested: String?, from memberships: [MembershipRecord]) throws -> MembershipRecord {
        let chosen: MembershipRecord?
        if let requested, !requested.isEmpty {
            let id = UUID(uuidString: requested)
            chosen = memberships.first { $0.tenantCode == requested.lowercased() || $0.tenantID == id }
        } else {
            chosen = memberships.first(where: \.isUsable)
        }
        guard let chosen, chosen.isUsable else { throw APIError.tenantUnavailable }
        return chosen
    }

    /// A new session with its first refresh token, and an access token for it.
    func openSession(user: UserRecord, membership: MembershipRecord, client: ClientInfo, in tx: DatabaseTransaction) async throws -> AuthModels.TokenResponse {
        let expiresAt = Date().addingTimeInterval(TimeInterval(tokens.refreshTokenTTL))
        let sessionID = try await sessions.create(
            tenantID: membership.tenantID, userID: user.id, expiresAt: expiresAt, clientIP: client.ip, userAgent: client.userAgent, in: tx)
        return try await issueTokens(user: user, membership: membership, sessionID: sessionID, in: tx)
    }

    func issueTokens(user: UserRecord, membership: MembershipRecord, sessionID: UUID, in tx: DatabaseTransaction) async throws -> AuthModels.TokenResponse {
        let refreshToken = "rt_" + Secrets.random()
        try await sessions.addRefreshToken(
            tenantID: membership.tenantID, sessionID: sessionID, hash: Secrets.hash(refreshToken),
            expiresAt: Date().addingTimeInterval(TimeInterval(tokens.refreshTokenTTL)), in: tx)
        let access = try await tokens.issueAccessToken(userID: user.id, tenantID: membership.tenantID, sessionID: sessionID)
        return AuthModels.TokenResponse(
            accessToken: access.token, refreshToken: refreshToken, tokenType: "Bearer", expiresIn: access.expiresIn,
            user: Self.summary(user), tenant: AuthModels.TenantSummary(id: membership.tenantID, code: membership.tenantCode, name: membership.tenantName))
    }

    static func summary(_ user: UserRecord) -> AuthModels.UserSummary {
        AuthModels.UserSummary(id: user.id, username: user.username, email: user.email, displayName: user.displayName, isPlatformAdmin: user.isPlatformAdmin)
    }

    // MARK: refresh and logout

    public func refresh(_ request: AuthModels.RefreshRequest, client: ClientInfo) async throws -> AuthModels.TokenResponse {
        guard request.refreshToken.hasPrefix("rt_"), request.refreshToken.count < 200 else { throw APIError.invalidRefreshToken }
        let hash = Secrets.hash(request.refreshToken)
        // Spending the token and issuing its successor happen in one transaction: a concurrent
        // spend of the same token waits on the row lock, then finds it spent and ends the family.
        let result: Result<AuthModels.TokenResponse, APIError> = try await database.withPlatformScope { tx in
            switch try await sessions.consumeRefreshToken(hash: hash, in: tx) {
            case .invalid:
                return .failure(APIError.invalidRefreshToken)
            case .reused(let tenantID, let sessionID, let userID):
                // A spent token came back: whoever holds the family may be an attacker. End it.
                try await sessions.revoke(tenantID: tenantID, sessionID: sessionID, reason: "refresh_token_reuse", in: tx)
                try await AuditLog.append(
                    AuditEvent(
                        action: "auth.refresh_token_reuse", tenantID: tenantID, actorUserID: userID, targetType: "session",
                        targetID: sessionID.uuidString.lowercased(), outcome: "failure", clientIP: client.ip, requestID: client.requestID),
                    in: tx)
                return .failure(APIError.refreshTokenReused)
            case .consumed(let tenantID, let sessionID, let userID):
                guard let state = try await sessions.state(tenantID: tenantID, sessionID: sessionID, userID: userID, in: tx),
                    state.usable, let user = try await accounts.user(id: userID, in: tx),
                    let membership = try await accounts.memberships(userID: userID, in: tx).first(where: { $0.tenantID == tenantID })
                else { return .failure(APIError.invalidRefreshToken) }
                try await sessions.touch(tenantID: tenantID, sessionID: sessionID, in: tx)
                try await AuditLog.append(
                    AuditEvent(action: "auth.refresh", tenantID: tenantID, actorUserID: userID, targetType: "session", targetID: sessionID.uuidString.lowercased(), clientIP: client.ip, requestID: client.requestID),
                    in: tx)
                return .success(try await self.issueTokens(user: user, membership: membership, sessionID: sessionID, in: tx))
            }
        }
        // Failures are returned, not thrown, so the revocation above commits.
        return try result.get()
    }

    public func logout(_ principal: Principal, client: ClientInfo) async throws {
        guard case .session(let sessionID) = principal.credential else {
            throw APIError.notASession
        }
        try await database.withTenant(principal.tenantScope) { tx in
            try await sessions.revoke(tenantID: principal.tenantID, sessionID: sessionID, reason: "logout", in: tx)
            try await AuditLog.append(
                AuditEvent(action: "auth.logout", tenantID: principal.tenantID, actorUserID: principal.userID, targetType: "session", targetID: sessionID.uuidString.lowercased(), clientIP: client.ip, requestID: client.requestID),
                in: tx)
        }
    }

    // MARK: password

    public func changePassword(_ request: AuthModels.PasswordChangeRequest, principal: Principal, client: ClientInfo) async throws {
        guard case .session(let sessionID) = principal.credential else {
            throw APIError.passwordNeedsSession
        }
        let user = try await database.withPlatformScope { tx in try await accounts.user(id: principal.userID, in: tx) }
        guard let user else { throw APIError.sessionRevoked }
        guard try await passwords.verify(request.oldPassword, against: user.passwordHash) else {
            throw APIError.wrongCurrentPassword
        }
        var problems = policy.problems(password: request.newPassword, username: user.username, email: user.email)
        if request.newPassword == request.oldPassword { problems.append("must differ from the current password") }
        if !problems.isEmpty {
            throw APIError.passwordPolicy(problems, field: "new_password", message: "The new password does not meet the password policy")
        }
        let hash = try await passwords.hash(request.newPassword)
        try await database.withPlatformScope { tx in
            try await accounts.setPasswordHash(userID: user.id, hash: hash, in: tx)
            let ended = try await sessions.revokeOthers(userID: user.id, except: sessionID, reason: "password_changed", in: tx)
            try await AuditLog.append(
                AuditEvent(action: "auth.password_change", tenantID: principal.tenantID, actorUserID: user.id, targetType: "user", targetID: user.id.uuidString.lowercased(), clientIP: client.ip, requestID: client.requestID, metadata: ["sessions_ended": .int(Int64(ended))]),
                in: tx)
        }
    }

    public func validateNewPassword(_ password: String, username: String, email: String?) throws {
        let problems = policy.problems(password: password, username: username, email: email)
        if !problems.isEmpty { throw APIError.passwordPolicy(problems, field: "password") }
    }

    // MARK: profile

    public func profile(_ principal: Principal) async throws -> AuthModels.Profile {
        let (user, memberships, resolved, menus) = try await database.withPlatformScope { tx in
            (try await accounts.user(id: principal.userID, in: tx),
             try await accounts.memberships(userID: principal.userID, in: tx),
             try await self.access.access(userID: principal.userID, tenantID: principal.tenantID, in: tx),
             try await self.access.menuTree(userID: principal.userID, tenantID: principal.tenantID, isPlatformAdmin: principal.isPlatformAdmin, in: tx))
        }
        guard let user, let current = memberships.first(where: { $0.tenantID == principal.tenantID }) else { throw APIError.sessionRevoked }
        let credential: String
        switch principal.credential {
        case .session: credential = "session"
        case .apiKey: credential = "api_key"
        }
        return AuthModels.Profile(
            userId: user.id, email: user.email, name: user.displayName ?? user.username, avatarUrl: nil,
            user: Self.summary(user),
            tenant: AuthModels.TenantSummary(id: current.tenantID, code: current.tenantCode, name: current.tenantName),
            memberships: memberships.map {
                AuthModels.Membership(tenantId: $0.tenantID, code: $0.tenantCode, name: $0.tenantName, status: $0.isUsable ? "active" : "inactive", isDefault: $0.isDefault)
            },
            roles: resolved.roleCodes, permissions: principal.permissions.sorted(), dataScope: principal.dataScope,
            menus: menus, credential: credential)
    }

    // MARK: request authentication

    /// The principal behind a verified access token, if its session, user, membership and
    /// tenant are all still active. Checked on every request, so a logout or suspension takes
    /// effect at once on every instance. `requestedTenant` (`X-Tenant-ID`) switches tenant for
    /// this request where the user is an active member of it (platform admins: any tenant).
    public func principal(forAccessToken token: String, requestedTenant: UUID? = nil) async throws -> Principal {
        let verified = try await tokens.verifyAccessToken(token)
        let access = self.access
        if let requestedTenant, requestedTenant != verified.tenantID {
            return try await switchedPrincipal(verified, to: requestedTenant)
        }
        // The common path: one self-scoping statement checks the session; access comes from
        // the RBAC cache, or a scoped transaction when the cache is cold.
        guard let state = try await sessions.selfScopedState(
            tenantID: verified.tenantID, sessionID: verified.sessionID, userID: verified.userID, on: database),
            state.usable
        else { throw APIError.sessionRevoked }
        var resolved = access.cachedAccess(userID: verified.userID, tenantID: verified.tenantID)
        if resolved == nil {
            resolved = try await database.withTenant(TenantScope(tenantID: verified.tenantID, userID: verified.userID)) { tx in
                try await access.access(userID: verified.userID, tenantID: verified.tenantID, in: tx)
            }
        }
        let granted = resolved ?? ResolvedAccess()
        return Principal(
            userID: verified.userID, tenantID: verified.tenantID, credential: .session(id: verified.sessionID),
            isPlatformAdmin: state.isPlatformAdmin, roleIDs: granted.roleIDs, permissions: granted.permissions,
            dataScope: state.isPlatformAdmin ? .all : granted.dataScope, plan: state.plan)
    }

    /// `X-Tenant-ID` naming another tenant: the session must be live in its own tenant, and the
    /// user an active member of the other (platform administrators: any active tenant).
    func switchedPrincipal(_ verified: VerifiedAccessToken, to tenantID: UUID) async throws -> Principal {
        let state = try await database.withTenant(TenantScope(tenantID: verified.tenantID, userID: verified.userID)) { tx in
            try await sessions.state(tenantID: verified.tenantID, sessionID: verified.sessionID, userID: verified.userID, in: tx)
        }
        guard let state, state.live, state.userStatus == "active" else { throw APIError.sessionRevoked }
        let access = self.access
        return try await database.withTenant(TenantScope(tenantID: tenantID, userID: verified.userID)) { tx in
            guard let target = try await sessions.tenantAccess(tenantID: tenantID, userID: verified.userID, in: tx),
                target.tenantStatus == "active", target.membershipStatus == "active" || state.isPlatformAdmin
            else { throw APIError.tenantSwitchDenied }
            let resolved = try await access.access(userID: verified.userID, tenantID: tenantID, in: tx)
            return Principal(
                userID: verified.userID, tenantID: tenantID, credential: .session(id: verified.sessionID),
                isPlatformAdmin: state.isPlatformAdmin, roleIDs: resolved.roleIDs, permissions: resolved.permissions,
                dataScope: state.isPlatformAdmin ? .all : resolved.dataScope, plan: target.plan)
        }
    }
}
