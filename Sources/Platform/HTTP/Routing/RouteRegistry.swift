import Hummingbird
import PlatformDatabase
import PlatformSupport

/// The only way modules add routes: each one comes with its declaration, and the access it
/// declares is enforced by the route itself, so a route cannot exist undeclared or unguarded.
public struct RouteRegistry {
    public typealias PermissionCheck = @Sendable (RouteAccess, AuthenticatedContext) throws -> Void

    let router: Router<AppRequestContext>
    public let table: RouteTable
    let authorize: PermissionCheck

    /// - Parameter authorize: decides whether an authenticated caller may use a route (RBAC).
    public init(router: Router<AppRequestContext>, table: RouteTable, authorize: @escaping PermissionCheck = RouteRegistry.holdsPermission) {
        self.router = router
        self.table = table
        self.authorize = authorize
    }

    /// The default check: the principal holds the declared permission code.
    public static let holdsPermission: PermissionCheck = { access, context in
        if let code = access.permissionCode, !context.principal.holds(code) {
            throw APIError.forbidden(permission: code)
        }
    }

    /// Adds a route anyone may call.
    public func addPublic<Output: ResponseGenerator>(
        _ declaration: RouteDeclaration,
        handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output
    ) {
        precondition(declaration.access == .public, "\(declaration.path): use addProtected for a route that is not public")
        table.append(declaration)
        router.on(RouterPath(declaration.path), method: declaration.method, use: handler)
    }

    /// Adds a route for signed-in callers; the handler sees a non-optional principal.
    public func addProtected<Output: ResponseGenerator>(
        _ declaration: RouteDeclaration,
        handler: @escaping @Sendable (Request, AuthenticatedContext) async throws -> Output
    ) {
        precondition(declaration.access != .public, "\(declaration.path): a protected route must name its permission")
        table.append(declaration)
        let access = declaration.access
        let authorize = self.authorize
        router.on(RouterPath(declaration.path), method: declaration.method) { request, context in
            let authenticated = try AuthenticatedContext(context: context)
            try authorize(access, authenticated)
            return try await handler(request, authenticated)
        }
    }
}
