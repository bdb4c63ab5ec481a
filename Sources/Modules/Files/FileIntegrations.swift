import Foundation
import PlatformDatabase
import PlatformServices
import PlatformSupport

/// File storage's part of the integrations report: what the tenant stores, against its quota.
extension FilesModule: IntegrationReporting {
    public func integrations(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [IntegrationState] {
        let usage = try await FileStore().usage(tenantID: tenantID, in: tx)
        return [
            IntegrationState(
                name: "file_storage", kind: "storage", status: .connected, configuredAt: nil,
                details: ["backend": "local_disk", "files": .int(Int64(usage?.files ?? 0)), "bytes": .int(usage?.bytes ?? 0),
                          "quota_bytes": .int(limits.tenantQuotaBytes)])
        ]
    }
}
