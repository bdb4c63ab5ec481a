import Foundation

/// A tenant's settings as other modules need them (its time zone, a named setting), read in the
/// caller's transaction. Implemented by Settings, which owns `tenant_settings`; handed to
/// modules by `Server`.
public protocol TenantPreferences: Sendable {
    /// The setting `key` as text (a string setting's value, any other setting's JSON), or nil.
    func setting(_ key: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> String?
}

extension TenantPreferences {
    /// The tenant's `timezone` setting; UTC when it is unset or not an IANA zone.
    public func timeZone(of tenantID: UUID, in tx: DatabaseTransaction) async throws -> TimeZone {
        let utc = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current
        guard let name = try await setting("timezone", tenantID: tenantID, in: tx) else { return utc }
        return TimeZone(identifier: name) ?? utc
    }
}
