import AsyncHTTPClient
import Foundation
import PlatformHTTP
import PlatformServices

/// Sign-in, sessions, API keys and the JWKS: assembles their controllers.
public struct AuthModule: Sendable {
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

    public func register(in registry: RouteRegistry) {
        let controller = AuthController(auth: auth, tokens: tokens, github: github, http: http)
        controller.register(in: registry.group("/api/v1/auth", tag: "auth"))
        let apiKeys = APIKeyController(keys: keys)
        apiKeys.register(in: registry.group("/api/v1/api-keys", tag: "api-keys"))
        apiKeys.registerSettings(in: registry.group("/api/v1/settings", tag: "api-keys"))
        controller.registerJWKS(in: registry.group("", tag: "auth"))
    }
}
