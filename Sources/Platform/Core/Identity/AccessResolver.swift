import Foundation

/// What a user may do in a tenant: their enabled roles, the permission codes those roles grant,
/// and the widest data scope among them.
public struct ResolvedAccess: Sendable, Equatable {
    public var roleIDs: [UUID]
    public var roleCodes: [String]
    public var permissions: Set<String>
    public var dataScope: DataScope
    /// The menu tree the member sees, for the front end.
    public var menus: [JSONValue]

    public init(roleIDs: [UUID] = [], roleCodes: [String] = [], permissions: Set<String> = [], dataScope: DataScope = .own, menus: [JSONValue] = []) {
        self.roleIDs = roleIDs
        self.roleCodes = roleCodes
        self.permissions = permissions
        self.dataScope = dataScope
        self.menus = menus
    }
}

/// Computes a member's access. Implemented by Tenancy (roles, menus, permissions); Auth calls
/// it while authenticating, so neither module imports the other.
public protocol AccessResolver: Sendable {
    func access(userID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> ResolvedAccess
}
