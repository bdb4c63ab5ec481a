import AsyncHTTPClient
import Foundation
import Hummingbird
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// `/api/v1/auth/*`, `/api/v1/api-keys*`, `/api/v1/settings/api-keys` and the JWKS.
public struct AuthController: Sendable {
    let auth: AuthService
    let keys: APIKeyService
    let tokens: TokenService
    let github: PlatformConfig.GitHubOAuth
    let http: HTTPClient

    public init(auth: AuthService, keys: APIKeyService, tokens: TokenService, github: PlatformConfig.GitHubOAuth, http: HTTPClient = .shared) {
        self.auth = auth
        self.keys = keys
        self.tokens = tokens
        self.github = github
        self.http = http
    }

    static let tag = "auth"
    static let signInErrors: [RouteResponse] = [
        .error(.unauthorized, "Wrong credentials, disabled account or unavailable tenant"),
        .error(.tooManyRequests, "Too many failed attempts; see Retry-After"),
    ]

    public func register(in registry: RouteRegistry) {
        for path in ["/api/v1/auth/login", "/api/v1/auth/token"] {
            registry.addPublic(
                RouteDeclaration(
                    .post, path, summary: path.hasSuffix("token") ? "Sign in (alias of /auth/login)" : "Sign in with username or e-mail and password",
                    tag: Self.tag, access: .public, body: .type(AuthModels.LoginRequest.self),
                    responses: [.json(.ok, AuthModels.TokenResponse.self)] + Self.signInErrors)
            ) { request, context in try await self.login(request, context) }
        }
        registry.addPublic(
            RouteDeclaration(
                .post, "/api/v1/auth/refresh", summary: "Exchange a refresh token for a new token pair (the old one is spent)",
                tag: Self.tag, access: .public, body: .type(AuthModels.RefreshRequest.self),
                responses: [.json(.ok, AuthModels.TokenResponse.self), .error(.unauthorized, "Invalid, expired or reused refresh token")])
        ) { request, context in try await self.refresh(request, context) }
        registry.addPublic(
            RouteDeclaration(
                .post, "/api/v1/auth/github/callback", summary: "Sign in with a GitHub OAuth code", tag: Self.tag, access: .public,
                body: .type(AuthModels.OAuthCallbackRequest.self),
                responses: [
                    .json(.ok, AuthModels.TokenResponse.self), .error(.unauthorized, "GitHub refused the code"),
                    .error(.forbidden, "No linked user and sign-up is off"), .error(.badGateway, "GitHub failed"),
                    .error(.notFound, "GitHub sign-in is not configured on this server"),
                ])
        ) { request, context in try await self.githubCallback(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/auth/logout", summary: "End the current session; its tokens stop working at once",
                tag: Self.tag, access: .authenticated,
                responses: [.json(.ok, AuthModels.Message.self), .error(.badRequest, "Called with an API key")])
        ) { _, context in try await self.logout(context) }
        for path in ["/api/v1/auth/profile", "/api/v1/auth/me"] {
            registry.addProtected(
                RouteDeclaration(
                    .get, path, summary: "The caller: user, tenant, memberships, roles, permissions and menus", tag: Self.tag,
                    access: .authenticated, responses: [.json(.ok, AuthModels.Profile.self)])
            ) { _, context in try await self.auth.profile(context.principal) }
        }
        registry.addProtected(
            RouteDeclaration(
                .put, "/api/v1/auth/password", summary: "Change the password; ends the user's other sessions", tag: Self.tag,
                access: .authenticated, body: .type(AuthModels.PasswordChangeRequest.self),
                responses: [.json(.ok, AuthModels.Message.self), .error(.forbidden, "Called with an API key")])
        ) { request, context in try await self.changePassword(request, context) }

        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/api-keys", summary: "The caller's API keys (never their secrets)", tag: "api-keys",
                access: .authenticated, parameters: RouteParameter.paging, responses: [.json(.ok, Page<APIKeyService.Key>.self)])
        ) { request, context in try await self.keys.list(principal: context.principal, page: try PageRequest(request: request)) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/api-keys", summary: "Create an API key; its secret is shown once", tag: "api-keys",
                access: .authenticated, body: .type(APIKeyService.CreateRequest.self),
                responses: [.json(.created, APIKeyService.CreatedKey.self), .error(.forbidden, "Scopes the caller does not hold")])
        ) { request, context in try await self.createKey(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .delete, "/api/v1/api-keys/{id}", summary: "Revoke an API key", tag: "api-keys", access: .authenticated,
                parameters: [.path("id", ["type": "string", "format": "uuid"])], responses: [.noContent("Revoked")])
        ) { request, context in try await self.revokeKey(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/settings/api-keys", summary: "The caller's active API keys (content platform shape)", tag: "api-keys",
                access: .authenticated, responses: [.json(.ok, APIKeyService.SettingsList.self)])
        ) { _, context in try await self.keys.settingsList(principal: context.principal) }

        if let jwks = tokens.jwks {
            registry.addPublic(
                RouteDeclaration(
                    .get, "/.well-known/jwks.json", summary: "Public keys that verify access tokens", tag: Self.tag, access: .public,
                    responses: [RouteResponse(.ok, "JSON Web Key Set", schema: .schema(["type": "object"]))])
            ) { _, _ in
                let data = try JSONEncoder().encode(jwks)
                return Response(
                    status: .ok, headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"],
                    body: .init(byteBuffer: .init(bytes: data)))
            }
        }
    }

    static func client(_ request: Request, _ requestID: String, _ ip: String?) -> AuthService.ClientInfo {
        AuthService.ClientInfo(ip: ip, userAgent: request.headers[.userAgent], requestID: requestID)
    }

    func login(_ request: Request, _ context: AppRequestContext) async throws -> AuthModels.TokenResponse {
        let body = try await request.decode(as: AuthModels.LoginRequest.self, context: context)
        return try await auth.login(body, client: Self.client(request, context.requestID, context.clientIP))
    }

    func refresh(_ request: Request, _ context: AppRequestContext) async throws -> AuthModels.TokenResponse {
        let body = try await request.decode(as: AuthModels.RefreshRequest.self, context: context)
        return try await auth.refresh(body, client: Self.client(request, context.requestID, context.clientIP))
    }

    func githubCallback(_ request: Request, _ context: AppRequestContext) async throws -> AuthModels.TokenResponse {
        let body = try await request.decode(as: AuthModels.OAuthCallbackRequest.self, context: context)
        return try await auth.githubCallback(body, settings: github, http: http, client: Self.client(request, context.requestID, context.clientIP))
    }

    func logout(_ context: AuthenticatedContext) async throws -> AuthModels.Message {
        try await auth.logout(context.principal, client: AuthService.ClientInfo(ip: context.clientAddress?.ipAddress, userAgent: nil, requestID: context.requestID))
        return AuthModels.Message(message: "Logged out successfully")
    }

    func changePassword(_ request: Request, _ context: AuthenticatedContext) async throws -> AuthModels.Message {
        let body = try await request.decode(as: AuthModels.PasswordChangeRequest.self, context: context)
        try await auth.changePassword(body, principal: context.principal, client: Self.client(request, context.requestID, context.clientAddress?.ipAddress))
        return AuthModels.Message(message: "Password changed; your other sessions were signed out")
    }

    func createKey(_ request: Request, _ context: AuthenticatedContext) async throws -> EditedResponse<APIKeyService.CreatedKey> {
        let body = try await request.decode(as: APIKeyService.CreateRequest.self, context: context)
        let created = try await keys.create(body, principal: context.principal, client: Self.client(request, context.requestID, context.clientAddress?.ipAddress))
        return EditedResponse(status: .created, response: created)
    }

    func revokeKey(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: UUID.self) else { throw APIError.notFound("API key", code: "API_KEY_NOT_FOUND") }
        try await keys.revoke(id: id, principal: context.principal, client: Self.client(request, context.requestID, context.clientAddress?.ipAddress))
        return Response(status: .noContent)
    }
}
