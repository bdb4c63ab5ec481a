import Foundation

/// Looks tenants up by code, for modules that serve a tenant named in a public request (the
/// CMS's `?tenant=`). Implemented by Tenancy, which owns the tenants table; handed to modules
/// by `Server`.
public protocol TenantDirectory: Sendable {
    /// The id of the active tenant with `code`, or nil.
    func activeTenantID(code: String) async throws -> UUID?
}
