import Foundation
import PlatformDatabase
import PlatformSupport

/// Which project types a list shows.
struct ProjectTypeFilter: Sendable {
    var tenantID: UUID
    var category: String?
    var isActive: Bool?

    var condition: SQL {
        """
        tenant_id = \(tenantID) AND deleted_at IS NULL
        AND (\(category)::text IS NULL OR category = \(category))
        AND (\(isActive)::boolean IS NULL OR is_active = \(isActive))
        """
    }
}

/// Every statement on `project_types`.
struct ProjectTypeStore: Sendable {
    static let columns = """
        id, code, name, description, inspiration_workflow_id, transform_workflow_id, execution_workflow_id, default_parameters,
        parameter_schema, category, sort_order, is_active, created_at, updated_at
        """

    /// The live type with this code.
    func find(_ code: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredProjectType? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM project_types WHERE tenant_id = \(tenantID) AND code = \(code) AND deleted_at IS NULL",
            decoding: StoredProjectType.self)
    }

    func list(_ filter: ProjectTypeFilter, skip: Int, limit: Int, in tx: DatabaseTransaction) async throws -> [StoredProjectType] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM project_types WHERE \(filter.condition)
            ORDER BY sort_order, code LIMIT \(limit) OFFSET \(skip)
            """, decoding: StoredProjectType.self)
    }

    func categories(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [String] {
        struct Row: Decodable { var category: String }
        return try await tx.rows(
            """
            SELECT DISTINCT category FROM project_types
            WHERE tenant_id = \(tenantID) AND deleted_at IS NULL AND category IS NOT NULL ORDER BY category
            """, decoding: Row.self
        ).map(\.category)
    }

    /// Nil when a live type already has the code.
    func insert(_ fields: ProjectTypeFields, code: String, name: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredProjectType? {
        try await tx.row(
            """
            INSERT INTO project_types (tenant_id, id, code, name, description, inspiration_workflow_id, transform_workflow_id, execution_workflow_id,
                default_parameters, parameter_schema, category, sort_order, is_active)
            VALUES (\(tenantID), \(UUID.v7()), \(code), \(name), \(fields.description), \(fields.inspiration?.id), \(fields.transform?.id),
                \(fields.execution?.id), COALESCE(\(try PlatformJSON.text(fields.defaultParameters))::jsonb, '{}'::jsonb),
                \(try PlatformJSON.text(fields.parameterSchema))::jsonb, \(fields.category), COALESCE(\(fields.sortOrder), 0), COALESCE(\(fields.isActive), true))
            ON CONFLICT (tenant_id, code) WHERE deleted_at IS NULL DO NOTHING
            RETURNING \(unescaped: Self.columns)
            """, decoding: StoredProjectType.self)
    }

    /// Nil fields keep what is stored.
    func update(_ code: String, _ fields: ProjectTypeFields, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredProjectType? {
        func workflow(_ reference: WorkflowReference?, _ column: String) -> SQL {
            "CASE WHEN \(reference == .clear) THEN NULL ELSE COALESCE(\(reference?.id)::uuid, \(unescaped: column)) END"
        }
        return try await tx.row(
            """
            UPDATE project_types SET
                name = COALESCE(\(fields.name), name), description = COALESCE(\(fields.description), description),
                inspiration_workflow_id = \(workflow(fields.inspiration, "inspiration_workflow_id")),
                transform_workflow_id = \(workflow(fields.transform, "transform_workflow_id")),
                execution_workflow_id = \(workflow(fields.execution, "execution_workflow_id")),
                default_parameters = COALESCE(\(try PlatformJSON.text(fields.defaultParameters))::jsonb, default_parameters),
                parameter_schema = COALESCE(\(try PlatformJSON.text(fields.parameterSchema))::jsonb, parameter_schema),
                category = CASE WHEN \(fields.clearCategory) THEN NULL ELSE COALESCE(\(fields.category), category) END,
                sort_order = COALESCE(\(fields.sortOrder), sort_order), is_active = COALESCE(\(fields.isActive), is_active), updated_at = now()
            WHERE tenant_id = \(tenantID) AND code = \(code) AND deleted_at IS NULL
            RETURNING \(unescaped: Self.columns)
            """, decoding: StoredProjectType.self)
    }

    /// Soft delete; whether a live type was there.
    func delete(_ code: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.run(
            """
            UPDATE project_types SET deleted_at = now(), is_active = false, updated_at = now()
            WHERE tenant_id = \(tenantID) AND code = \(code) AND deleted_at IS NULL RETURNING 1
            """) > 0
    }
}
