import Foundation
import HTTPTypes
import Hummingbird
import Platform

/// Establishes who is calling: `Authorization: Bearer <access token | API key>` or
/// `X-API-Key: <key>`. No credential leaves the principal empty (public routes work, protected
/// ones answer 401); a credential that does not check out is refused at once.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let auth: AuthService
    let keys: APIKeyService

    public init(auth: AuthService, keys: APIKeyService) {
        self.auth = auth
        self.keys = keys
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw APIError(.unauthorized, code: "UNAUTHORIZED", message: "Use 'Authorization: Bearer <token>'", headers: [.wwwAuthenticate: "Bearer"])
            }
            let credential = parts[1].trimmingCharacters(in: .whitespaces)
            if credential.hasPrefix("sk_") {
                context.principal = try await keys.principal(forKey: credential)
            } else if credential.hasPrefix("rt_") {
                throw AuthError.invalidToken("a refresh token is not an access token")
            } else {
                context.principal = try await auth.principal(forAccessToken: credential)
            }
        } else if let key = request.headers[.xAPIKey] {
            context.principal = try await keys.principal(forKey: key.trimmingCharacters(in: .whitespaces))
        }
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let xAPIKey = HTTPField.Name("X-API-Key")!
}
