import Foundation
import PlatformDatabase
import PlatformSupport
import TaskEngine

/// Which projects a list shows.
struct ProjectFilter: Sendable {
    var tenantID: UUID
    var status: ProjectStatus?
    var projectTypeCode: String?
    var inspirationID: UUID?

    var condition: SQL {
        """
        tenant_id = \(tenantID) AND deleted_at IS NULL
        AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
        AND (\(projectTypeCode)::text IS NULL OR project_type_code = \(projectTypeCode))
        AND (\(inspirationID)::uuid IS NULL OR inspiration_id = \(inspirationID))
        """
    }
}

/// Every statement on `projects`, and the reads of their tasks.
struct ProjectStore: Sendable {
    static let columns = """
        id, owner_id, name, project_type_code, initial_parameters, status, inspiration_id, score, score_details, review_notes,
        used_transform_workflow_id, used_execution_workflow_id, total_tasks, completed_tasks, failed_tasks, output_asset_id, error_message,
        created_at, updated_at
        """

    func find(_ id: UUID, tenantID: UUID, forUpdate: Bool = false, in tx: DatabaseTransaction) async throws -> StoredProject? {
        try await tx.row(
            """
            SELECT \(unescaped: Self.columns) FROM projects WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL
            \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """, decoding: StoredProject.self)
    }

    /// The tenant of a live project, by its id alone (n8n's callbacks carry nothing else).
    func tenant(of id: UUID, in tx: DatabaseTransaction) async throws -> UUID? {
        try await tx.value("SELECT tenant_id FROM projects WHERE id = \(id) AND deleted_at IS NULL", as: UUID.self)
    }

    func byInspiration(_ inspirationID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredProject? {
        try await tx.row(
            """
            SELECT \(unescaped: Self.columns) FROM projects
            WHERE tenant_id = \(tenantID) AND inspiration_id = \(inspirationID) AND deleted_at IS NULL
            """, decoding: StoredProject.self)
    }

    func list(_ filter: ProjectFilter, skip: Int, limit: Int, in tx: DatabaseTransaction) async throws -> [StoredProject] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM projects WHERE \(filter.condition)
            ORDER BY created_at DESC, id DESC LIMIT \(limit) OFFSET \(skip)
            """, decoding: StoredProject.self)
    }

    /// The live tasks of these projects, oldest first, by project.
    func tasks(of projects: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [UUID: [TaskRecord]] {
        guard !projects.isEmpty else { return [:] }
        let records = try await TaskStore.records(
            """
            SELECT \(unescaped: TaskRecord.columns) FROM tasks t
            WHERE t.tenant_id = \(tenantID) AND t.project_id = ANY(\(projects)) AND t.kind = 'task' AND t.deleted_at IS NULL
            ORDER BY t.id
            """, in: tx)
        return Dictionary(grouping: records) { $0.projectId ?? UUID() }
    }

    /// Nil when the inspiration already has a live project.
    func insert(_ new: NewProject, tenantID: UUID, ownerID: UUID?, in tx: DatabaseTransaction) async throws -> StoredProject? {
        try await tx.row(
            """
            INSERT INTO projects (tenant_id, id, owner_id, name, project_type_code, initial_parameters, status, inspiration_id, score,
                score_details, review_notes, used_transform_workflow_id)
            VALUES (\(tenantID), \(UUID.v7()), \(ownerID), \(new.name), \(new.type.code), \(try PlatformJSON.text(new.initialParameters))::jsonb,
                \(new.status.rawValue), \(new.inspirationID), \(new.score), COALESCE(\(try PlatformJSON.text(new.scoreDetails))::jsonb, '{}'::jsonb),
                \(new.reviewNotes), \(new.usedTransformWorkflowID))
            ON CONFLICT (tenant_id, inspiration_id) WHERE inspiration_id IS NOT NULL AND deleted_at IS NULL DO NOTHING
            RETURNING \(unescaped: Self.columns)
            """, decoding: StoredProject.self)
    }

    /// Nil fields keep what is stored.
    func update(_ id: UUID, _ fields: ProjectFields, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredProject? {
        try await tx.row(
            """
            UPDATE projects SET
                name = COALESCE(\(fields.name), name),
                initial_parameters = COALESCE(\(try PlatformJSON.text(fields.initialParameters))::jsonb, initial_parameters),
                status = COALESCE(\(fields.status?.rawValue), status), score = COALESCE(\(fields.score), score),
                score_details = COALESCE(\(try PlatformJSON.text(fields.scoreDetails))::jsonb, score_details),
                review_notes = COALESCE(\(fields.reviewNotes), review_notes), output_asset_id = COALESCE(\(fields.outputAssetId), output_asset_id),
                error_message = COALESCE(\(fields.errorMessage), error_message),
                used_execution_workflow_id = COALESCE(\(fields.usedExecutionWorkflowId), used_execution_workflow_id),
                updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL
            RETURNING \(unescaped: Self.columns)
            """, decoding: StoredProject.self)
    }

    /// Soft delete; whether a live project was there.
    func delete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.run(
            "UPDATE projects SET deleted_at = now(), updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL RETURNING 1"
        ) > 0
    }

    // MARK: Task counters

    /// Recounts the projects `touched` names (`SELECT tenant_id, project_id ...`) from their live
    /// tasks; a queued project one of whose tasks has started becomes running.
    static func recount(_ touched: SQL) -> SQL {
        """
        WITH touched AS (\(touched)),
        counts AS (
            SELECT p.tenant_id, p.id,
                   count(t.id) AS total,
                   count(t.id) FILTER (WHERE t.status = 'completed') AS completed,
                   count(t.id) FILTER (WHERE t.status = 'failed') AS failed,
                   coalesce(bool_or(t.status IN ('running', 'completed', 'failed')), false) AS started
            FROM projects p
            JOIN (SELECT DISTINCT tenant_id, project_id FROM touched) x ON x.tenant_id = p.tenant_id AND x.project_id = p.id
            LEFT JOIN tasks t ON t.tenant_id = p.tenant_id AND t.project_id = p.id AND t.kind = 'task' AND t.deleted_at IS NULL
            WHERE p.deleted_at IS NULL
            GROUP BY p.tenant_id, p.id
        )
        UPDATE projects p SET total_tasks = c.total, completed_tasks = c.completed, failed_tasks = c.failed,
            status = CASE WHEN p.status = 'queued' AND c.started THEN 'running' ELSE p.status END,
            updated_at = CASE WHEN (p.total_tasks, p.completed_tasks, p.failed_tasks) IS DISTINCT FROM (c.total::int, c.completed::int, c.failed::int)
                                   OR (p.status = 'queued' AND c.started) THEN now() ELSE p.updated_at END
        FROM counts c WHERE p.tenant_id = c.tenant_id AND p.id = c.id
        """
    }

    /// One project's counters, from its tasks.
    func recount(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(Self.recount("SELECT \(tenantID)::uuid AS tenant_id, \(id)::uuid AS project_id"))
    }

    /// The counters of every project one of these tasks belongs to.
    func recount(tasks: [(tenantID: UUID, taskID: UUID)], in tx: DatabaseTransaction) async throws {
        guard !tasks.isEmpty else { return }
        try await tx.run(Self.recount(
            """
            SELECT t.tenant_id, t.project_id FROM unnest(\(tasks.map { $0.tenantID })::uuid[], \(tasks.map { $0.taskID })::uuid[]) AS s(tenant_id, id)
            JOIN tasks t ON t.tenant_id = s.tenant_id AND t.id = s.id WHERE t.project_id IS NOT NULL
            """))
    }
}
