import Foundation
import PlatformHTTP
import PlatformSupport

/// Who a permission is for: tenants' roles, or platform administrators.
enum PermissionScope: String, Codable, Sendable, CaseIterable, SchemaEnum { case tenant, platform }

/// An entry of the permission catalog (and a row of `permissions`).
struct PermissionView: Codable, Sendable {
    var code: String
    var name: String
    var description: String?
    var scope: String
}

struct PermissionListQuery: QueryInput {
    var paging: PageRequest
    var scope: PermissionScope?
}
