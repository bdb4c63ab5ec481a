import Foundation
import PlatformDatabase
import PlatformSupport

struct OperatorFilter: Sendable {
    var tenantID: UUID
    var category: OperatorCategory?
    var type: String?
    var status: OperatorStatus?
    var origin: OperatorOrigin?
    var execMode: ExecMode?
    var tags: [String]?
    var keyword: String?
    var builtin: Bool?

    var condition: SQL {
        let pattern = keyword.map { "%" + Self.escapeLike($0) + "%" }
        return """
            o.tenant_id = \(tenantID) AND (\(category?.rawValue)::text IS NULL OR o.category = \(category?.rawValue))
            AND (\(type)::text IS NULL OR o.type = \(type)) AND (\(status?.rawValue)::text IS NULL OR o.status = \(status?.rawValue))
            AND (\(origin?.rawValue)::text IS NULL OR o.origin = \(origin?.rawValue)) AND (\(execMode?.rawValue)::text IS NULL OR o.exec_mode = \(execMode?.rawValue))
            AND (\(tags)::text[] IS NULL OR o.tags && \(tags)::text[]) AND (\(builtin)::boolean IS NULL OR (o.origin = 'builtin') = \(builtin))
            AND (\(pattern)::text IS NULL OR o.code ILIKE \(pattern) OR o.name ILIKE \(pattern) OR o.description ILIKE \(pattern))
            """
    }

    static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}

/// Every statement on `operators` and `operator_versions`.
struct OperatorStore: Sendable {
    static let columns = """
        o.id, o.owner_id, o.visibility::text AS visibility, o.visible_role_ids, o.code, o.name, o.description, o.category, o.type, o.origin,
        o.exec_mode, o.status, o.tags, o.active_version_id, o.template_id, o.created_at, o.updated_at
        """
    static let versionColumns = """
        v.id, v.operator_id, v.version, v.exec_mode, v.exec_config, v.input_schema, v.output_spec, v.config, v.changelog, v.status,
        v.tested_at, v.activated_at, v.created_at, v.updated_at
        """

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredOperator? {
        try await tx.row("SELECT \(unescaped: Self.columns) FROM operators o WHERE o.tenant_id = \(tenantID) AND o.id = \(id)", decoding: StoredOperator.self)
    }

    func find(code: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredOperator? {
        try await tx.row("SELECT \(unescaped: Self.columns) FROM operators o WHERE o.tenant_id = \(tenantID) AND o.code = \(code)", decoding: StoredOperator.self)
    }

    func list(_ filter: OperatorFilter, limit: Int, offset: Int, in tx: DatabaseTransaction) async throws -> [StoredOperator] {
        try await tx.rows(
            "SELECT \(unescaped: Self.columns) FROM operators o WHERE \(filter.condition) ORDER BY o.created_at DESC, o.id DESC LIMIT \(limit) OFFSET \(offset)",
            decoding: StoredOperator.self)
    }

    func count(_ filter: OperatorFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM operators o WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    /// Operators by id (those the caller can see).
    func find(ids: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [StoredOperator] {
        try await tx.rows(
            "SELECT \(unescaped: Self.columns) FROM operators o WHERE o.tenant_id = \(tenantID) AND o.id = ANY(\(ids))", decoding: StoredOperator.self)
    }

    func insert(id: UUID, _ fields: OperatorFields, tenantID: UUID, ownerID: UUID?, in tx: DatabaseTransaction) async throws -> StoredOperator? {
        try await tx.row(
            """
            WITH o AS (
                INSERT INTO operators (tenant_id, id, owner_id, visibility, visible_role_ids, code, name, description, category, type, origin, exec_mode,
                    status, tags, template_id)
                VALUES (\(tenantID), \(id), \(ownerID), \(fields.visibility.rawValue)::visibility, \(fields.visibleRoleIds), \(fields.code), \(fields.name),
                    \(fields.description), \(fields.category.rawValue), \(fields.type), \(fields.origin.rawValue), \(fields.execMode.rawValue),
                    \(fields.status.rawValue), \(fields.tags), \(fields.templateId))
                ON CONFLICT (tenant_id, code) DO NOTHING
                RETURNING *
            )
            SELECT \(unescaped: Self.columns) FROM o
            """, decoding: StoredOperator.self)
    }

    func update(_ id: UUID, tenantID: UUID, _ fields: OperatorFields, in tx: DatabaseTransaction) async throws -> StoredOperator? {
        try await tx.row(
            """
            WITH o AS (
                UPDATE operators SET name = \(fields.name), description = \(fields.description), category = \(fields.category.rawValue), type = \(fields.type),
                    tags = \(fields.tags), visibility = \(fields.visibility.rawValue)::visibility, visible_role_ids = \(fields.visibleRoleIds), updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING *
            )
            SELECT \(unescaped: Self.columns) FROM o
            """, decoding: StoredOperator.self)
    }

    func setStatus(_ id: UUID, tenantID: UUID, _ status: OperatorStatus, in tx: DatabaseTransaction) async throws -> StoredOperator? {
        try await tx.row(
            """
            WITH o AS (UPDATE operators SET status = \(status.rawValue), updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING *)
            SELECT \(unescaped: Self.columns) FROM o
            """, decoding: StoredOperator.self)
    }

    func delete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value("WITH d AS (DELETE FROM operators WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING 1) SELECT count(*)::int FROM d", as: Int.self) == 1
    }

    // MARK: - Versions

    func version(_ id: UUID, operatorID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredVersion? {
        try await tx.row(
            "SELECT \(unescaped: Self.versionColumns) FROM operator_versions v WHERE v.tenant_id = \(tenantID) AND v.operator_id = \(operatorID) AND v.id = \(id)",
            decoding: StoredVersion.self)
    }

    /// A version by id alone (an algorithm's `operator_version` binding).
    func version(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredVersion? {
        try await tx.row(
            "SELECT \(unescaped: Self.versionColumns) FROM operator_versions v WHERE v.tenant_id = \(tenantID) AND v.id = \(id)", decoding: StoredVersion.self)
    }

    func version(named version: String, operatorID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredVersion? {
        try await tx.row(
            """
            SELECT \(unescaped: Self.versionColumns) FROM operator_versions v
            WHERE v.tenant_id = \(tenantID) AND v.operator_id = \(operatorID) AND v.version = \(version)
            """, decoding: StoredVersion.self)
    }

    func versions(of operatorID: UUID, tenantID: UUID, status: VersionStatus?, limit: Int, offset: Int, in tx: DatabaseTransaction) async throws -> [StoredVersion] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.versionColumns) FROM operator_versions v
            WHERE v.tenant_id = \(tenantID) AND v.operator_id = \(operatorID) AND (\(status?.rawValue)::text IS NULL OR v.status = \(status?.rawValue))
            ORDER BY v.created_at DESC, v.id DESC LIMIT \(limit) OFFSET \(offset)
            """, decoding: StoredVersion.self)
    }

    func versionCount(of operatorID: UUID, tenantID: UUID, status: VersionStatus?, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value(
            """
            SELECT count(*)::int FROM operator_versions v
            WHERE v.tenant_id = \(tenantID) AND v.operator_id = \(operatorID) AND (\(status?.rawValue)::text IS NULL OR v.status = \(status?.rawValue))
            """, as: Int.self) ?? 0
    }

    /// The active versions of several operators, by operator id.
    func activeVersions(of operatorIDs: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [StoredVersion] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.versionColumns) FROM operator_versions v
            JOIN operators o ON o.tenant_id = v.tenant_id AND o.active_version_id = v.id
            WHERE v.tenant_id = \(tenantID) AND o.id = ANY(\(operatorIDs))
            """, decoding: StoredVersion.self)
    }

    func insertVersion(_ new: NewVersion, operatorID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredVersion? {
        let execConfig = try PlatformJSON.text(new.execConfig)
        let config = try PlatformJSON.text(new.config)
        let input = try PlatformJSON.text(new.inputSchema)
        let output = try PlatformJSON.text(new.outputSpec)
        return try await tx.row(
            """
            WITH v AS (
                INSERT INTO operator_versions (tenant_id, id, operator_id, version, exec_mode, exec_config, input_schema, output_spec, config, changelog, status)
                VALUES (\(tenantID), \(UUID.v7()), \(operatorID), \(new.version), \(new.execMode.rawValue), \(execConfig)::jsonb, \(input)::jsonb,
                    \(output)::jsonb, \(config)::jsonb, \(new.changelog), \(new.status.rawValue))
                ON CONFLICT (tenant_id, operator_id, version) DO NOTHING
                RETURNING *
            )
            SELECT \(unescaped: Self.versionColumns) FROM v
            """, decoding: StoredVersion.self)
    }

    /// Makes `version` the operator's active one; the one it replaces is archived.
    func activate(_ version: StoredVersion, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE operator_versions SET status = 'archived', updated_at = now()
            WHERE tenant_id = \(tenantID) AND operator_id = \(version.operatorId) AND status = 'active' AND id <> \(version.id)
            """)
        try await tx.run(
            """
            UPDATE operator_versions SET status = 'active', activated_at = clock_timestamp(), updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(version.id)
            """)
        try await tx.run(
            """
            UPDATE operators SET active_version_id = \(version.id), exec_mode = \(version.execMode.rawValue), updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(version.operatorId)
            """)
    }

    /// The version that was active before the current one.
    func previouslyActive(operatorID: UUID, current: UUID?, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredVersion? {
        try await tx.row(
            """
            SELECT \(unescaped: Self.versionColumns) FROM operator_versions v
            WHERE v.tenant_id = \(tenantID) AND v.operator_id = \(operatorID) AND v.activated_at IS NOT NULL
              AND (\(current)::uuid IS NULL OR v.id <> \(current))
            ORDER BY v.activated_at DESC LIMIT 1
            """, decoding: StoredVersion.self)
    }

    func archive(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredVersion? {
        try await tx.row(
            """
            WITH v AS (UPDATE operator_versions SET status = 'archived', updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING *)
            SELECT \(unescaped: Self.versionColumns) FROM v
            """, decoding: StoredVersion.self)
    }

    func markTested(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE operator_versions SET tested_at = now() WHERE tenant_id = \(tenantID) AND id = \(id)")
    }
}
