import Hummingbird
import PlatformSupport

/// The only way routes are added: modules register through `RouteGroup`s made here, each route
/// with its declaration, and the access it declares is enforced by the route itself, so a route
/// cannot exist undeclared, ungrouped or unguarded.
///
/// Literal path segments win over `{parameter}` siblings whatever the registration order
/// (Hummingbird's trie resolves children by specificity; `RouteRegistryTests` holds it to that).
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

    /// Adds a declared route; a protected one checks its caller before the handler runs.
    func add<Output: ResponseGenerator>(
        _ declaration: RouteDeclaration,
        handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output
    ) {
        table.append(declaration)
        let access = declaration.access
        guard access != .public else {
            router.on(RouterPath(declaration.path), method: declaration.method, use: handler)
            return
        }
        let authorize = self.authorize
        router.on(RouterPath(declaration.path), method: declaration.method) { request, context in
            try authorize(access, try AuthenticatedContext(context: context))
            return try await handler(request, context)
        }
    }
}
