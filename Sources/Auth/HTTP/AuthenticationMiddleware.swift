import Foundation
import HTTPTypes
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// Establishes who is calling: `Authorization: Bearer <access token | API key>` or
/// `X-API-Key: <key>`. No credential leaves the principal empty (public routes work, protected
/// ones answer 401); a credential that does not check out is refused at once.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let auth: AuthService
    let keys: APIKeyService
    /// Route templates that check their own credential (the Prometheus scrape token): their
    /// `Authorization` header is theirs to read, not a platform credential.
    let selfAuthenticated: Set<String>

    public init(auth: AuthService, keys: APIKeyService, selfAuthenticated: Set<String> = []) {
        self.auth = auth
        self.keys = keys
        self.selfAuthenticated = selfAuthenticated
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let route = context.endpointPath, selfAuthenticated.contains(route) { return try await next(request, context) }
        var context = context
        var requestedTenant: UUID?
        if let header = request.headers[.xTenantID] {
            guard let id = UUID(uuidString: header.trimmingCharacters(in: .whitespaces)) else {
                throw APIError.validation(["X-Tenant-ID": "must be a tenant id (UUID)"])
            }
            requestedTenant = id
        }
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw APIError(.unauthorized, code: "UNAUTHORIZED", message: "Use 'Authorization: Bearer <token>'", headers: [.wwwAuthenticate: "Bearer"])
            }
            context.principal = try await bearerPrincipal(parts[1].trimmingCharacters(in: .whitespaces), requestedTenant)
        } else if let key = request.headers[.xAPIKey] {
            context.principal = try await keyPrincipal(key.trimmingCharacters(in: .whitespaces), requestedTenant)
        } else if let token = Self.streamToken(request) {
            context.principal = try await bearerPrincipal(token, requestedTenant)
        }
        return try await next(request, context)
    }

    func bearerPrincipal(_ credential: String, _ requestedTenant: UUID?) async throws -> Principal {
        if credential.hasPrefix("sk_") { return try await keyPrincipal(credential, requestedTenant) }
        if credential.hasPrefix("rt_") { throw APIError.invalidToken("a refresh token is not an access token") }
        return try await auth.principal(forAccessToken: credential, requestedTenant: requestedTenant)
    }

    /// `?token=` on a GET of an event stream: browsers' EventSource cannot send headers (the
    /// Video Annotation Viewer sends its token this way). Nowhere else, so tokens stay out of
    /// other URLs; access logs record paths without their query.
    static func streamToken(_ request: Request) -> String? {
        guard request.method == .get, request.uri.path.hasSuffix("/stream"),
            let token = request.uri.queryParameters["token"].map(String.init), !token.isEmpty
        else { return nil }
        return token
    }

    /// A key belongs to one tenant: `X-Tenant-ID` may only repeat it.
    func keyPrincipal(_ key: String, _ requestedTenant: UUID?) async throws -> Principal {
        let principal = try await keys.principal(forKey: key)
        if let requestedTenant, requestedTenant != principal.tenantID { throw APIError.tenantSwitchDenied }
        return principal
    }
}

extension HTTPField.Name {
    static let xAPIKey = HTTPField.Name("X-API-Key")!
    static let xTenantID = HTTPField.Name("X-Tenant-ID")!
}
