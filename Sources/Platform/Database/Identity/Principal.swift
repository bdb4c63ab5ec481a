import Foundation

/// How much of a tenant's data a role lets its holder see (RuoYi-style data scope).
public enum DataScope: String, Sendable, Codable, CaseIterable {
    /// Every row of the tenant.
    case all
    /// Only rows the user owns.
    case own = "self"
}

/// Who is calling, as established by authentication. Filled into `AppRequestContext.principal`.
public struct Principal: Sendable {
    public enum Credential: Sendable, Equatable {
        /// A user's access token, bound to a login session.
        case session(id: UUID)
        /// An API key, limited to its scopes.
        case apiKey(id: UUID)
    }

    public var userID: UUID
    public var tenantID: UUID
    public var credential: Credential
    public var isPlatformAdmin: Bool
    public var roleIDs: [UUID]
    public var permissions: Set<String>
    public var dataScope: DataScope
    /// The tenant's plan, for rate limits.
    public var plan: String?

    public init(
        userID: UUID, tenantID: UUID, credential: Credential, isPlatformAdmin: Bool = false,
        roleIDs: [UUID] = [], permissions: Set<String> = [], dataScope: DataScope = .own, plan: String? = nil
    ) {
        self.plan = plan
        self.userID = userID
        self.tenantID = tenantID
        self.credential = credential
        self.isPlatformAdmin = isPlatformAdmin
        self.roleIDs = roleIDs
        self.permissions = permissions
        self.dataScope = dataScope
    }

    /// Platform admins hold every permission; everyone else needs the exact code.
    public func holds(_ permission: String) -> Bool {
        isPlatformAdmin || permissions.contains(permission)
    }

    /// The database scope for this principal's requests.
    public var tenantScope: TenantScope {
        TenantScope(tenantID: tenantID, userID: userID, dataScope: dataScope, roleIDs: roleIDs)
    }
}

/// What a tenant-scoped transaction is allowed to see; set as `app.*` settings for that transaction only.
public struct TenantScope: Sendable, Hashable {
    public var tenantID: UUID
    public var userID: UUID?
    public var dataScope: DataScope
    public var roleIDs: [UUID]

    public init(tenantID: UUID, userID: UUID? = nil, dataScope: DataScope = .all, roleIDs: [UUID] = []) {
        self.tenantID = tenantID
        self.userID = userID
        self.dataScope = dataScope
        self.roleIDs = roleIDs
    }
}
