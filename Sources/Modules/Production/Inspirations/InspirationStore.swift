import Foundation
import PlatformDatabase
import PlatformSupport

/// Which inspirations a list shows.
struct InspirationFilter: Sendable {
    var tenantID: UUID
    var status: InspirationStatus?
    var projectTypeCode: String?

    var condition: SQL {
        """
        tenant_id = \(tenantID) AND deleted_at IS NULL
        AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
        AND (\(projectTypeCode)::text IS NULL OR project_type_code = \(projectTypeCode))
        """
    }
}

/// Every statement on `inspirations`.
struct InspirationStore: Sendable {
    static let columns = """
        id, owner_id, title, description, project_type_code, source, parameters, status, score, score_details, review_notes,
        generated_content, inspiration_workflow_id, transform_workflow_id, created_at, updated_at
        """

    func find(_ id: UUID, tenantID: UUID, forUpdate: Bool = false, in tx: DatabaseTransaction) async throws -> StoredInspiration? {
        try await tx.row(
            """
            SELECT \(unescaped: Self.columns) FROM inspirations WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL
            \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """, decoding: StoredInspiration.self)
    }

    /// The tenant of a live inspiration, by its id alone (n8n's callbacks carry nothing else).
    func tenant(of id: UUID, in tx: DatabaseTransaction) async throws -> UUID? {
        try await tx.value("SELECT tenant_id FROM inspirations WHERE id = \(id) AND deleted_at IS NULL", as: UUID.self)
    }

    func list(_ filter: InspirationFilter, skip: Int, limit: Int, in tx: DatabaseTransaction) async throws -> [StoredInspiration] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM inspirations WHERE \(filter.condition)
            ORDER BY created_at DESC, id DESC LIMIT \(limit) OFFSET \(skip)
            """, decoding: StoredInspiration.self)
    }

    func insert(_ fields: InspirationFields, title: String, tenantID: UUID, ownerID: UUID?, in tx: DatabaseTransaction) async throws -> StoredInspiration? {
        try await tx.row(
            """
            INSERT INTO inspirations (tenant_id, id, owner_id, title, description, project_type_code, source, parameters, status, score,
                score_details, review_notes)
            VALUES (\(tenantID), \(UUID.v7()), \(ownerID), \(title), \(fields.description), \(fields.projectTypeCode), \(fields.source),
                COALESCE(\(try PlatformJSON.text(fields.parameters))::jsonb, '{}'::jsonb), COALESCE(\(fields.status?.rawValue), 'pending'),
                \(fields.score), COALESCE(\(try PlatformJSON.text(fields.scoreDetails))::jsonb, '{}'::jsonb), \(fields.reviewNotes))
            RETURNING \(unescaped: Self.columns)
            """, decoding: StoredInspiration.self)
    }

    /// Nil fields keep what is stored; `parameters` and `score_details` replace theirs.
    func update(_ id: UUID, _ fields: InspirationFields, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredInspiration? {
        try await tx.row(
            """
            UPDATE inspirations SET
                title = COALESCE(\(fields.title), title), description = COALESCE(\(fields.description), description),
                project_type_code = COALESCE(\(fields.projectTypeCode), project_type_code), source = COALESCE(\(fields.source), source),
                parameters = COALESCE(\(try PlatformJSON.text(fields.parameters))::jsonb, parameters),
                status = COALESCE(\(fields.status?.rawValue), status), score = COALESCE(\(fields.score), score),
                score_details = COALESCE(\(try PlatformJSON.text(fields.scoreDetails))::jsonb, score_details),
                review_notes = COALESCE(\(fields.reviewNotes), review_notes),
                generated_content = COALESCE(\(try PlatformJSON.text(fields.generatedContent))::jsonb, generated_content),
                updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL
            RETURNING \(unescaped: Self.columns)
            """, decoding: StoredInspiration.self)
    }

    /// Records which registry entry a call went to (its secret authenticates the callback).
    func setWorkflow(_ id: UUID, purpose: N8nCallPurpose, registryID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        switch purpose {
        case .inspiration:
            try await tx.run("UPDATE inspirations SET inspiration_workflow_id = \(registryID) WHERE tenant_id = \(tenantID) AND id = \(id)")
        case .transform:
            try await tx.run("UPDATE inspirations SET transform_workflow_id = \(registryID) WHERE tenant_id = \(tenantID) AND id = \(id)")
        case .execution:
            return
        }
    }

    /// n8n took the generation: `pending` becomes `generating` (later states stay).
    func markGenerating(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            "UPDATE inspirations SET status = 'generating', updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id) AND status = 'pending'")
    }

    /// Soft delete; whether a live inspiration was there.
    func delete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.run(
            "UPDATE inspirations SET deleted_at = now(), updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL RETURNING 1"
        ) > 0
    }
}
