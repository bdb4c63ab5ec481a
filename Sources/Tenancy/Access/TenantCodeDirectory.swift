import Foundation
import PlatformDatabase

/// `TenantDirectory` over Tenancy's tables, for modules and the platform layer.
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
        try await TenantStore().isActiveMember(userID, of: tenantID, in: tx)
    }

    public func name(of tenantID: UUID, in tx: DatabaseTransaction) async throws -> String? {
        try await TenantStore().name(of: tenantID, in: tx)
    }

    public func plan(of tenantID: UUID) async throws -> String? {
        // Platform scope: rate limiting runs before the request's tenant scope exists.
        try await database.withPlatformScope { tx in try await TenantStore().plan(of: tenantID, in: tx) }
    }
}
