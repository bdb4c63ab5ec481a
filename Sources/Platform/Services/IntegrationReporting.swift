import Foundation
import PlatformDatabase
import PlatformSupport

/// A module's part of the tenant's integrations report (`GET /api/v1/settings/integrations`).
/// Settings lists what it is handed and never reads another module's tables; each module that
/// has an integration to show (Webhooks, Files) implements this, and `Server` passes them on.
public protocol IntegrationReporting: Sendable {
    /// The module's integrations as the caller's transaction sees them (its tenant, its scope).
    func integrations(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [IntegrationState]
}

public enum IntegrationStatus: String, Codable, Sendable, SchemaEnum, CaseIterable {
    case connected, pending, error
    case notConfigured = "not_configured"
}

/// One integration as the report shows it: never a secret, an address or a key.
public struct IntegrationState: Codable, Sendable {
    public var name: String
    public var kind: String
    public var status: IntegrationStatus
    public var configuredAt: Date?
    public var details: JSONValue

    public init(name: String, kind: String, status: IntegrationStatus, configuredAt: Date?, details: JSONValue) {
        self.name = name
        self.kind = kind
        self.status = status
        self.configuredAt = configuredAt
        self.details = details
    }
}
