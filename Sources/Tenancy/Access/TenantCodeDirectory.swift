import Foundation
import PlatformDatabase

/// `TenantDirectory` over the tenants table, for modules that serve a tenant named by code.
public struct TenantCodeDirectory: TenantDirectory {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func activeTenantID(code: String) async throws -> UUID? {
        // Platform scope: the code is the only thing a public request has to go on.
        try await database.withPlatformScope { tx in
            try await TenantStore().activeTenantID(code: code, in: tx)
        }
    }

    public func isActiveMember(_ userID: UUID, of tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value(
            "SELECT 1 FROM tenant_memberships WHERE tenant_id = \(tenantID) AND user_id = \(userID) AND status = 'active'", as: Int.self) != nil
    }
}
