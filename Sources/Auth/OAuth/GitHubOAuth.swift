import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PlatformDatabase
import PlatformServices
import PlatformSupport

/// GitHub's OAuth web flow, server side: exchange the code, read the user and their verified
/// e-mail addresses. The endpoints are configurable (tests point them at a local stub).
struct GitHubOAuthClient: Sendable {
    struct Profile: Sendable {
        var id: String
        var login: String
        var name: String?
        var verifiedEmail: String?
    }

    let settings: PlatformConfig.GitHubOAuth
    let http: HTTPClient
    static let timeout: TimeAmount = .seconds(10)
    static let maxResponseBytes = 1 << 20

    func profile(forCode code: String) async throws -> Profile {
        guard let clientID = settings.clientID, let clientSecret = settings.clientSecret else {
            let missing = [settings.clientID == nil ? "GITHUB_CLIENT_ID" : nil, settings.clientSecret == nil ? "GITHUB_CLIENT_SECRET" : nil].compactMap { $0 }
            throw APIError.oauthNotConfigured(missing: missing)
        }
        var exchange = HTTPClientRequest(url: settings.tokenURL)
        exchange.method = .POST
        exchange.headers.add(name: "Accept", value: "application/json")
        exchange.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        exchange.headers.add(name: "User-Agent", value: "platform")
        var form = URLComponents()
        form.queryItems = [.init(name: "client_id", value: clientID), .init(name: "client_secret", value: clientSecret), .init(name: "code", value: code)]
        exchange.body = .bytes(ByteBuffer(string: form.percentEncodedQuery ?? ""))
        let token = try await send(exchange)
        guard let accessToken = token["access_token"]?.stringValue else {
            let reason = token["error"]?.stringValue ?? "no access token in the answer"
            throw APIError.oauthCodeInvalid(reason)
        }
        let user = try await get("/user", token: accessToken)
        guard let id = user["id"].flatMap(Self.idString), let login = user["login"]?.stringValue else {
            throw Self.providerError("GitHub's user answer has no id or login")
        }
        let emails = try await get("/user/emails", token: accessToken)
        var verified: String?
        if case .array(let entries) = emails {
            let usable = entries.filter { $0["verified"] == .bool(true) }
            verified = (usable.first { $0["primary"] == .bool(true) } ?? usable.first)?["email"]?.stringValue
        }
        return Profile(id: id, login: login, name: user["name"]?.stringValue, verifiedEmail: verified)
    }

    static func idString(_ value: JSONValue) -> String? {
        switch value {
        case .int(let number): String(number)
        case .string(let text): text
        default: nil
        }
    }

    func get(_ path: String, token: String) async throws -> JSONValue {
        var request = HTTPClientRequest(url: settings.apiURL.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/vnd.github+json")
        request.headers.add(name: "User-Agent", value: "platform")
        return try await send(request)
    }

    func send(_ request: HTTPClientRequest) async throws -> JSONValue {
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: Self.timeout)
        } catch {
            throw Self.providerError("GitHub could not be reached")
        }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: Self.maxResponseBytes)
        } catch {
            throw Self.providerError("GitHub's answer was too large or broken")
        }
        guard (200..<300).contains(response.status.code) else {
            if response.status.code == 401 {
                throw APIError.oauthTokenRefused
            }
            throw Self.providerError("GitHub answered \(response.status.code)")
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)) else {
            throw Self.providerError("GitHub's answer is not JSON")
        }
        return value
    }

    static func providerError(_ message: String) -> APIError { .oauthProvider(message) }
}

extension AuthService {
    /// Signs in with a GitHub code: links by GitHub id, else by verified e-mail, else creates
    /// the user in `OAUTH_DEFAULT_TENANT` (never in a tenant the request names: that would
    /// let anyone join any tenant).
    func githubCallback(
        _ request: AuthModels.OAuthCallbackRequest, settings: PlatformConfig.GitHubOAuth, http: HTTPClient, client: ClientInfo
    ) async throws -> AuthModels.TokenResponse {
        guard !request.code.isEmpty, request.code.count <= 512 else { throw APIError.validation(["code": "is required"]) }
        let profile = try await GitHubOAuthClient(settings: settings, http: http).profile(forCode: request.code)
        let identities = IdentityStore()
        return try await database.withPlatformScope { tx in
            var user: UserRecord?
            if let linked = try await identities.linkedUserID(provider: "github", providerUserID: profile.id, in: tx) {
                user = try await accounts.user(id: linked, in: tx)
            }
            if user == nil, let email = profile.verifiedEmail {
                user = try await accounts.user(email: email, in: tx)
            }
            if user == nil {
                guard let tenantCode = settings.defaultTenant, let tenantID = try await accounts.tenantID(code: tenantCode, in: tx) else {
                    throw APIError.oauthNoAccount
                }
                let id = UUID.v7()
                let username = try await freeUsername(profile.login, in: tx)
                try await accounts.insertUser(id: id, username: username, email: profile.verifiedEmail, displayName: profile.name, in: tx)
                try await accounts.addDefaultMembership(userID: id, tenantID: tenantID, in: tx)
                try await AuditLog.append(
                    AuditEvent(action: "user.create", tenantID: tenantID, actorUserID: id, targetType: "user", targetID: id.uuidString.lowercased(), clientIP: client.ip, requestID: client.requestID, metadata: ["via": "github"]),
                    in: tx)
                user = try await accounts.user(id: id, in: tx)
            }
            guard let user else { throw APIError.invalidCredentials }
            guard user.status == "active" else { throw APIError.accountDisabled }
            try await identities.link(provider: "github", providerUserID: profile.id, userID: user.id, email: profile.verifiedEmail, in: tx)
            let membership = try Self.chooseTenant(request.tenant, from: try await accounts.memberships(userID: user.id, in: tx))
            try await accounts.recordLogin(userID: user.id, in: tx)
            let response = try await self.openSession(user: user, membership: membership, client: client, in: tx)
            try await AuditLog.append(
                AuditEvent(action: "auth.login", tenantID: membership.tenantID, actorUserID: user.id, clientIP: client.ip, requestID: client.requestID, metadata: ["via": "github"]),
                in: tx)
            return response
        }
    }

    /// `wanted`, or `wanted-2`, `wanted-3`, ...: the first username no live user has.
    func freeUsername(_ wanted: String, in tx: DatabaseTransaction) async throws -> String {
        let base = String(wanted.prefix(90))
        var candidate = base
        var suffix = 1
        while try await accounts.usernameTaken(candidate, in: tx) {
            suffix += 1
            candidate = "\(base)-\(suffix)"
        }
        return candidate
    }
}
