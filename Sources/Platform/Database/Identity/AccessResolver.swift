import Foundation
import PlatformSupport

/// What a user may do in a tenant: their enabled roles, the permission codes those roles grant,
/// and the widest data scope among them.
public struct ResolvedAccess: Sendable, Equatable {
    public var roleIDs: [UUID]
    public var roleCodes: [String]
    public var permissions: Set<String>
    public var dataScope: DataScope

    public init(roleIDs: [UUID] = [], roleCodes: [String] = [], permissions: Set<String> = [], dataScope: DataScope = .own) {
        self.roleIDs = roleIDs
        self.roleCodes = roleCodes
        self.permissions = permissions
        self.dataScope = dataScope
    }
}

/// Computes a member's access. Implemented by Tenancy (roles, menus, permissions); Auth calls
/// it while authenticating, so neither module imports the other.
public protocol AccessResolver: Sendable {
    /// Called on every authenticated request: implementations cache.
    func access(userID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> ResolvedAccess
    /// The access if it can be answered without the database (from a cache), else nil.
    func cachedAccess(userID: UUID, tenantID: UUID) -> ResolvedAccess?
    /// The menus the member sees, as a tree (for `/auth/profile`).
    func menuTree(userID: UUID, tenantID: UUID, isPlatformAdmin: Bool, in tx: DatabaseTransaction) async throws -> [JSONValue]
}

/// Password and session operations that administration needs but that belong to Auth.
public protocol CredentialAdministration: Sendable {
    /// Checks the password policy (422 `PASSWORD_POLICY` naming `field`) and hashes.
    func hashNewPassword(_ password: String, username: String, email: String?, field: String) async throws -> String
    /// Ends every session of the user, in every tenant.
    func endAllSessions(userID: UUID, reason: String, in tx: DatabaseTransaction) async throws -> Int
}
