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
        TenantAdmin(database: database, cache: cache).register(in: registry)
        UserAdmin(database: database, cache: cache, credentials: credentials).register(in: registry)
        RoleAdmin(database: database, cache: cache).register(in: registry)
        MenuAdmin(database: database, cache: cache).register(in: registry)
        AuditLogController(database: database).register(in: registry)
    }
}
