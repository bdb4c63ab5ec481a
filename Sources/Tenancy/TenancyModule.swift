import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// Tenants, users, roles, menus, the permission catalog and the audit log.
public struct TenancyModule: Sendable {
    let database: Database
    public let cache: RBACCache
    let credentials: any CredentialAdministration

    public init(database: Database, cache: RBACCache, credentials: any CredentialAdministration) {
        self.database = database
        self.cache = cache
        self.credentials = credentials
    }

    public var accessResolver: TenancyAccessResolver { TenancyAccessResolver(cache: cache) }

    public func register(in registry: RouteRegistry) {
        TenantController(database: database).register(in: registry.group("/api/v1/tenants", tag: "tenants"))
        UserController(database: database, cache: cache, credentials: credentials).register(in: registry.group("/api/v1/users", tag: "users"))
        RoleController(database: database, cache: cache).register(in: registry.group("/api/v1/roles", tag: "roles"))
        MenuController(database: database, cache: cache).register(in: registry.group("/api/v1/menus", tag: "menus"))
        PermissionController(database: database).register(in: registry.group("/api/v1/permissions", tag: "permissions"))
        AuditLogController(database: database).register(in: registry.group("/api/v1/audit-logs", tag: "audit"))
    }
}
