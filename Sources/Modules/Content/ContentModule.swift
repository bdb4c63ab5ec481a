import Foundation
import PlatformDatabase
import PlatformHTTP

/// The `content` rows of routes.tsv: the tenant's content items and the public CMS.
public struct ContentModule: Sendable {
    let database: Database
    let tenants: any TenantDirectory

    public init(database: Database, tenants: any TenantDirectory) {
        self.database = database
        self.tenants = tenants
    }

    public func register(in registry: RouteRegistry) {
        ContentController(database: database).register(in: registry.group("/api/v1/content", tag: "content"))
        CMSController(database: database, tenants: tenants).register(in: registry.group("/api/v1", tag: "cms"))
    }
}
