import Foundation

/// Looks tenants and memberships up for modules: a tenant named in a public request (the
/// CMS's `?tenant=`), a member named in a body (a task's new owner). Implemented by Tenancy, which owns the tenants table; handed to modules
/// by `Server`.
public protocol TenantDirectory: Sendable {
    /// The id of the active tenant with `code`, or nil.
    func activeTenantID(code: String) async throws -> UUID?

    /// Whether `userID` is an active member of `tenantID`, read in the caller's transaction.
    func isActiveMember(_ userID: UUID, of tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool

    /// The tenant's display name, read in the caller's transaction.
    func name(of tenantID: UUID, in tx: DatabaseTransaction) async throws -> String?

    /// The tenant's plan (for rate limits), or nil for an unknown tenant.
    func plan(of tenantID: UUID) async throws -> String?
}
