import Foundation
import PlatformDatabase
import PlatformSupport
import Synchronization

/// Per-process cache of who holds which roles and what each role grants. Cleared on every
/// RBAC change: locally at once, on other instances through `RBACChangeListener`.
public final class RBACCache: Sendable {
    /// A role a member holds (and a row of `AccessStore.roles`).
    struct Role: Sendable, Equatable, Decodable {
        var id: UUID
        var code: String
        var dataScope: DataScope
    }

    private struct Key: Hashable {
        var tenantID: UUID
        var id: UUID
    }

    private struct State {
        var userRoles: [Key: [Role]] = [:]
        var rolePermissions: [Key: Set<String>] = [:]
        var tenantCodes: Set<String>?
    }

    private let state = Mutex(State())
    /// Entries stop being trusted after this long even without a notification (the backstop
    /// for a listener that was reconnecting when a change happened).
    let maximumAge: Duration
    private let filled = Mutex(ContinuousClock.now)

    public init(maximumAge: Duration = .seconds(60)) {
        self.maximumAge = maximumAge
    }

    public func invalidateAll() {
        state.withLock { $0 = State() }
        filled.withLock { $0 = .now }
    }

    private func expireIfStale() {
        let stale = filled.withLock { ContinuousClock.now - $0 > maximumAge }
        if stale { invalidateAll() }
    }

    func roles(tenantID: UUID, userID: UUID) -> [Role]? {
        expireIfStale()
        return state.withLock { $0.userRoles[Key(tenantID: tenantID, id: userID)] }
    }

    func store(roles: [Role], tenantID: UUID, userID: UUID) {
        state.withLock { $0.userRoles[Key(tenantID: tenantID, id: userID)] = roles }
    }

    func permissions(tenantID: UUID, roleID: UUID) -> Set<String>? {
        state.withLock { $0.rolePermissions[Key(tenantID: tenantID, id: roleID)] }
    }

    func store(permissions: Set<String>, tenantID: UUID, roleID: UUID) {
        state.withLock { $0.rolePermissions[Key(tenantID: tenantID, id: roleID)] = permissions }
    }

    var tenantPermissionCodes: Set<String>? { state.withLock { $0.tenantCodes } }

    func store(tenantPermissionCodes: Set<String>) {
        state.withLock { $0.tenantCodes = tenantPermissionCodes }
    }
}
