import Foundation
import PlatformDatabase
import PlatformSupport

/// What a dependency check needs of each target: its code and active version.
struct DependencyTarget: Decodable, Sendable {
    var dependsOnId: UUID
    var minVersion: String?
    var isOptional: Bool
    var code: String?
    var activeVersion: String?
}

/// Every statement on `operator_dependencies`.
struct DependencyStore: Sendable {
    func list(of operatorID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [StoredDependency] {
        try await tx.rows(
            """
            SELECT id, operator_id, depends_on_id, min_version, is_optional, created_at FROM operator_dependencies
            WHERE tenant_id = \(tenantID) AND operator_id = \(operatorID) ORDER BY created_at, id
            """, decoding: StoredDependency.self)
    }

    /// Whether `operatorID` can be reached by following dependencies from any of `targets`
    /// (so depending on them would close a cycle).
    func reaches(_ operatorID: UUID, from targets: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value(
            """
            WITH RECURSIVE reach(id) AS (
                SELECT unnest(\(targets)::uuid[])
                UNION
                SELECT d.depends_on_id FROM operator_dependencies d JOIN reach r ON d.operator_id = r.id WHERE d.tenant_id = \(tenantID)
            )
            SELECT EXISTS (SELECT 1 FROM reach WHERE id = \(operatorID))
            """, as: Bool.self) ?? false
    }

    func replace(_ operatorID: UUID, with dependencies: [DependencyInput], tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("DELETE FROM operator_dependencies WHERE tenant_id = \(tenantID) AND operator_id = \(operatorID)")
        for dependency in dependencies {
            try await tx.run(
                """
                INSERT INTO operator_dependencies (tenant_id, id, operator_id, depends_on_id, min_version, is_optional, created_at)
                VALUES (\(tenantID), \(UUID.v7()), \(operatorID), \(dependency.dependsOnId), \(dependency.minVersion), \(dependency.isOptional ?? false),
                        clock_timestamp())
                """)
        }
    }

    func targets(of operatorID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [DependencyTarget] {
        try await tx.rows(
            """
            SELECT d.depends_on_id, d.min_version, d.is_optional, o.code, v.version AS active_version
            FROM operator_dependencies d
            LEFT JOIN operators o ON o.tenant_id = d.tenant_id AND o.id = d.depends_on_id
            LEFT JOIN operator_versions v ON v.tenant_id = o.tenant_id AND v.id = o.active_version_id
            WHERE d.tenant_id = \(tenantID) AND d.operator_id = \(operatorID) ORDER BY d.created_at, d.id
            """, decoding: DependencyTarget.self)
    }
}
