import Foundation
import PlatformDatabase
import PlatformSupport

struct AlgorithmFilter: Sendable {
    var tenantID: UUID
    var status: AlgorithmStatus?
    var scenario: String?
    var tags: [String]?
    var keyword: String?

    var condition: SQL {
        let pattern = keyword.map { "%" + OperatorFilter.escapeLike($0) + "%" }
        return """
            a.tenant_id = \(tenantID) AND (\(status?.rawValue)::text IS NULL OR a.status = \(status?.rawValue))
            AND (\(scenario)::text IS NULL OR a.scenario = \(scenario)) AND (\(tags)::text[] IS NULL OR a.tags && \(tags)::text[])
            AND (\(pattern)::text IS NULL OR a.code ILIKE \(pattern) OR a.name ILIKE \(pattern) OR a.description ILIKE \(pattern))
            """
    }
}

/// Every statement on `algorithms` and `algorithm_versions`.
struct AlgorithmStore: Sendable {
    static let columns = """
        a.id, a.owner_id, a.visibility::text AS visibility, a.visible_role_ids, a.code, a.name, a.description, a.scenario, a.status, a.tags,
        a.created_at, a.updated_at
        """
    static let versionColumns = "v.id, v.algorithm_id, v.version, v.status, v.selection_policy, v.implementations, v.evaluations, v.published_at, v.created_at, v.updated_at"

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredAlgorithm? {
        try await tx.row("SELECT \(unescaped: Self.columns) FROM algorithms a WHERE a.tenant_id = \(tenantID) AND a.id = \(id)", decoding: StoredAlgorithm.self)
    }

    func find(code: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredAlgorithm? {
        try await tx.row("SELECT \(unescaped: Self.columns) FROM algorithms a WHERE a.tenant_id = \(tenantID) AND a.code = \(code)", decoding: StoredAlgorithm.self)
    }

    func list(_ filter: AlgorithmFilter, limit: Int, offset: Int, in tx: DatabaseTransaction) async throws -> [StoredAlgorithm] {
        try await tx.rows(
            "SELECT \(unescaped: Self.columns) FROM algorithms a WHERE \(filter.condition) ORDER BY a.created_at DESC, a.id DESC LIMIT \(limit) OFFSET \(offset)",
            decoding: StoredAlgorithm.self)
    }

    func count(_ filter: AlgorithmFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM algorithms a WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    func insert(_ fields: AlgorithmFields, tenantID: UUID, ownerID: UUID?, in tx: DatabaseTransaction) async throws -> StoredAlgorithm? {
        try await tx.row(
            """
            WITH a AS (
                INSERT INTO algorithms (tenant_id, id, owner_id, visibility, visible_role_ids, code, name, description, scenario, status, tags)
                VALUES (\(tenantID), \(UUID.v7()), \(ownerID), \(fields.visibility.rawValue)::visibility, \(fields.visibleRoleIds), \(fields.code), \(fields.name),
                    \(fields.description), \(fields.scenario), \(fields.status.rawValue), \(fields.tags))
                ON CONFLICT (tenant_id, code) DO NOTHING
                RETURNING *
            )
            SELECT \(unescaped: Self.columns) FROM a
            """, decoding: StoredAlgorithm.self)
    }

    func update(_ id: UUID, _ fields: AlgorithmFields, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredAlgorithm? {
        try await tx.row(
            """
            WITH a AS (
                UPDATE algorithms SET name = \(fields.name), description = \(fields.description), scenario = \(fields.scenario), status = \(fields.status.rawValue),
                    tags = \(fields.tags), visibility = \(fields.visibility.rawValue)::visibility, visible_role_ids = \(fields.visibleRoleIds), updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING *
            )
            SELECT \(unescaped: Self.columns) FROM a
            """, decoding: StoredAlgorithm.self)
    }

    func setStatus(_ id: UUID, _ status: AlgorithmStatus, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE algorithms SET status = \(status.rawValue), updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id)")
    }

    func delete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value("WITH d AS (DELETE FROM algorithms WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING 1) SELECT count(*)::int FROM d", as: Int.self) == 1
    }

    func versions(of ids: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [StoredAlgorithmVersion] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.versionColumns) FROM algorithm_versions v WHERE v.tenant_id = \(tenantID) AND v.algorithm_id = ANY(\(ids))
            ORDER BY v.created_at, v.id
            """, decoding: StoredAlgorithmVersion.self)
    }

    func version(_ id: UUID, algorithmID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredAlgorithmVersion? {
        try await tx.row(
            "SELECT \(unescaped: Self.versionColumns) FROM algorithm_versions v WHERE v.tenant_id = \(tenantID) AND v.algorithm_id = \(algorithmID) AND v.id = \(id)",
            decoding: StoredAlgorithmVersion.self)
    }

    /// The version a node runs: the named one, else the latest published.
    func runnable(algorithmID: UUID, version: String?, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredAlgorithmVersion? {
        try await tx.row(
            """
            SELECT \(unescaped: Self.versionColumns) FROM algorithm_versions v
            WHERE v.tenant_id = \(tenantID) AND v.algorithm_id = \(algorithmID)
              AND ((\(version)::text IS NOT NULL AND v.version = \(version)) OR (\(version)::text IS NULL AND v.status = 'published'))
            ORDER BY v.published_at DESC NULLS LAST, v.created_at DESC LIMIT 1
            """, decoding: StoredAlgorithmVersion.self)
    }

    func insertVersion(
        _ input: AlgorithmVersionInput, implementations: [Implementation], evaluations: [Evaluation], algorithmID: UUID, tenantID: UUID, in tx: DatabaseTransaction
    ) async throws -> StoredAlgorithmVersion? {
        let encoder = PlatformJSON.makeEncoder()
        let implementationText = String(decoding: try encoder.encode(implementations), as: UTF8.self)
        let evaluationText = String(decoding: try encoder.encode(evaluations), as: UTF8.self)
        return try await tx.row(
            """
            WITH v AS (
                INSERT INTO algorithm_versions (tenant_id, id, algorithm_id, version, status, selection_policy, implementations, evaluations)
                VALUES (\(tenantID), \(UUID.v7()), \(algorithmID), \(input.version), \((input.status ?? .draft).rawValue),
                    \((input.selectionPolicy ?? .stable).rawValue), \(implementationText)::jsonb, \(evaluationText)::jsonb)
                ON CONFLICT (tenant_id, algorithm_id, version) DO NOTHING
                RETURNING *
            )
            SELECT \(unescaped: Self.versionColumns) FROM v
            """, decoding: StoredAlgorithmVersion.self)
    }

    /// Publishes a version; the algorithm's other published versions are archived.
    func publish(_ id: UUID, algorithmID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredAlgorithmVersion? {
        try await tx.run(
            """
            UPDATE algorithm_versions SET status = 'archived', updated_at = now()
            WHERE tenant_id = \(tenantID) AND algorithm_id = \(algorithmID) AND status = 'published' AND id <> \(id)
            """)
        try await tx.run("UPDATE algorithms SET status = 'published', updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(algorithmID)")
        return try await tx.row(
            """
            WITH v AS (
                UPDATE algorithm_versions SET status = 'published', published_at = now(), updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING *
            )
            SELECT \(unescaped: Self.versionColumns) FROM v
            """, decoding: StoredAlgorithmVersion.self)
    }
}
