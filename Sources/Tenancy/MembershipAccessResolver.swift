import Foundation
import Platform

/// A member's access in a tenant. Roles, menus and permission codes arrive with RBAC; until
/// then a member holds no permission codes (platform administrators hold all of them through
/// `Principal.isPlatformAdmin`), and sees only their own rows.
public struct MembershipAccessResolver: AccessResolver {
    public init() {}

    public func access(userID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> ResolvedAccess {
        ResolvedAccess(dataScope: .own)
    }
}
