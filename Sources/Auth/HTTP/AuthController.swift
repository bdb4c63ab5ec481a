import AsyncHTTPClient
import Foundation
import Hummingbird
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// `/api/v1/auth/*` and the JWKS: routes and the request plumbing of their handlers; the work
/// is `AuthService`'s.
struct AuthController: Sendable {
    let auth: AuthService
    let tokens: TokenService
    let github: PlatformConfig.GitHubOAuth
    let http: HTTPClient

    static let signInErrors: [RouteResponse] = [
        .error(.unauthorized, "Wrong credentials, disabled account or unavailable tenant"),
        .error(.tooManyRequests, "Too many failed attempts; see Retry-After"),
    ]

    func register(in routes: RouteGroup) {
        routes.post("/login", "Sign in with username or e-mail and password", .public, body: AuthModels.LoginRequest.self, responses: Self.signInErrors, use: login)
        routes.post("/token", "Sign in (alias of /auth/login)", .public, body: AuthModels.LoginRequest.self, responses: Self.signInErrors, use: login)
        routes.post(
            "/refresh", "Exchange a refresh token for a new token pair (the old one is spent)", .public, body: AuthModels.RefreshRequest.self,
            responses: [.error(.unauthorized, "Invalid, expired or reused refresh token")], use: refresh)
        routes.post(
            "/github/callback", "Sign in with a GitHub OAuth code", .public, body: AuthModels.OAuthCallbackRequest.self,
            responses: [
                .error(.unauthorized, "GitHub refused the code"), .error(.forbidden, "No linked user and sign-up is off"),
                .error(.badGateway, "GitHub failed"), .error(.notFound, "GitHub sign-in is not configured on this server"),
            ],
            use: githubCallback)
        routes.post(
            "/logout", "End the current session; its tokens stop working at once", .authenticated,
            responses: [.error(.badRequest, "Called with an API key")], use: logout)
        for path in ["/profile", "/me"] {
            routes.get(path, "The caller: user, tenant, memberships, roles, permissions and menus", .authenticated, use: profile)
        }
        routes.put(
            "/password", "Change the password; ends the user's other sessions", .authenticated, body: AuthModels.PasswordChangeRequest.self,
            responses: [.error(.forbidden, "Called with an API key")], use: changePassword)
    }

    /// `/.well-known/jwks.json`, when tokens are signed with a key pair.
    func registerJWKS(in routes: RouteGroup) {
        guard tokens.jwks != nil else { return }
        routes.get(
            "/.well-known/jwks.json", "Public keys that verify access tokens", .public,
            responses: [RouteResponse(.ok, "JSON Web Key Set", schema: .schema(["type": "object"]))], use: jwks)
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

    func logout(_ request: Request, _ context: AuthenticatedContext) async throws -> AuthModels.Message {
        try await auth.logout(context.principal, client: AuthService.ClientInfo(ip: context.clientAddress?.ipAddress, userAgent: nil, requestID: context.requestID))
        return AuthModels.Message(message: "Logged out successfully")
    }

    func profile(_ request: Request, _ context: AuthenticatedContext) async throws -> AuthModels.Profile {
        try await auth.profile(context.principal)
    }

    func changePassword(_ request: Request, _ context: AuthenticatedContext) async throws -> AuthModels.Message {
        let body = try await request.decode(as: AuthModels.PasswordChangeRequest.self, context: context)
        try await auth.changePassword(body, principal: context.principal, client: Self.client(request, context.requestID, context.clientAddress?.ipAddress))
        return AuthModels.Message(message: "Password changed; your other sessions were signed out")
    }

    func jwks(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let data = try JSONEncoder().encode(tokens.jwks)
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: .init(bytes: data)))
    }
}
