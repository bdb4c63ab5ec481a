import FlowEngine
import Foundation
import PlatformDatabase
import PlatformSupport

/// Which workflows a list shows; the page and its count share it.
struct WorkflowFilter: Sendable {
    var tenantID: UUID
    var status: WorkflowStatus?
    var triggerType: TriggerType?
    /// Any of these tags.
    var tags: [String]?
    var keyword: String?

    var condition: SQL {
        let pattern = keyword.map { "%" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%" }
        return """
            w.tenant_id = \(tenantID) AND w.deleted_at IS NULL
            AND (\(status?.rawValue)::text IS NULL OR w.status = \(status?.rawValue))
            AND (\(triggerType?.rawValue)::text IS NULL OR w.trigger_type = \(triggerType?.rawValue))
            AND (\(tags)::text[] IS NULL OR w.tags && \(tags)::text[])
            AND (\(pattern)::text IS NULL OR w.name ILIKE \(pattern) OR w.code ILIKE \(pattern) OR w.description ILIKE \(pattern))
            """
    }
}

/// A workflow as written; nil fields keep what is stored on update.
struct WorkflowFields: Sendable {
    var code: String?
    var name: String?
    var description: String?
    var version: String?
    var triggerType: TriggerType?
    var triggerConf: JSONValue?
    var contextSpec: JSONValue?
    var status: WorkflowStatus?
    var tags: [String]?
    var visibility: RowVisibility?
    var visibleRoleIds: [UUID]?
    var graph: FlowGraph?
}

/// Every statement on `workflows`, `workflow_revisions` and `workflow_schedules`.
struct WorkflowStore: Sendable {
    static let columns = """
        w.id, w.owner_id, w.visibility::text AS visibility, w.visible_role_ids, w.code, w.name, w.description, w.version, w.trigger_type,
        w.trigger_conf, w.context_spec, w.status, w.tags, w.graph, w.origin, w.current_revision_id, w.current_revision, w.created_at, w.updated_at
        """
    static let revisionColumns = "r.id, r.workflow_id, r.revision, r.status, r.definition, r.created_at, r.updated_at"

    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try PlatformJSON.makeEncoder().encode(value), as: UTF8.self)
    }

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredWorkflow? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM workflows w WHERE w.tenant_id = \(tenantID) AND w.id = \(id) AND w.deleted_at IS NULL",
            decoding: StoredWorkflow.self)
    }

    /// A workflow another tenant made public, for reading only.
    func findPublic(_ id: UUID, in tx: DatabaseTransaction) async throws -> StoredWorkflow? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM workflows w WHERE w.id = \(id) AND w.visibility = 'public' AND w.deleted_at IS NULL",
            decoding: StoredWorkflow.self)
    }

    func list(_ filter: WorkflowFilter, page: PageRequest, order: String = "w.created_at DESC, w.id DESC", in tx: DatabaseTransaction) async throws -> [StoredWorkflow] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM workflows w WHERE \(filter.condition)
            ORDER BY \(unescaped: order) LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: StoredWorkflow.self)
    }

    func count(_ filter: WorkflowFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM workflows w WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    func codeTaken(_ code: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value("SELECT 1 FROM workflows WHERE tenant_id = \(tenantID) AND code = \(code) AND deleted_at IS NULL", as: Int.self) != nil
    }

    func insert(id: UUID, _ fields: WorkflowFields, origin: String, tenantID: UUID, ownerID: UUID, in tx: DatabaseTransaction) async throws -> StoredWorkflow {
        guard let row = try await tx.row(
            """
            INSERT INTO workflows AS w (tenant_id, id, owner_id, visibility, visible_role_ids, code, name, description, version, trigger_type,
                                        trigger_conf, context_spec, status, tags, graph, origin)
            VALUES (\(tenantID), \(id), \(ownerID), \((fields.visibility ?? .private).rawValue)::visibility, \(fields.visibleRoleIds ?? []),
                    \(fields.code ?? ""), \(fields.name ?? ""), \(fields.description ?? ""), \(fields.version ?? "1.0.0"),
                    \((fields.triggerType ?? .manual).rawValue), \(try PlatformJSON.text(fields.triggerConf ?? [:]))::jsonb,
                    \(try PlatformJSON.text(fields.contextSpec ?? [:]))::jsonb, \((fields.status ?? .draft).rawValue), \(fields.tags ?? []),
                    \(try Self.json(fields.graph ?? FlowGraph()))::jsonb, \(origin))
            RETURNING \(unescaped: Self.columns)
            """, decoding: StoredWorkflow.self)
        else { throw APIError.internalError }
        return row
    }

    func update(_ id: UUID, tenantID: UUID, _ fields: WorkflowFields, in tx: DatabaseTransaction) async throws -> StoredWorkflow? {
        let graph = try fields.graph.map(Self.json)
        return try await tx.row(
            """
            UPDATE workflows AS w SET
                name = coalesce(\(fields.name), w.name),
                description = coalesce(\(fields.description), w.description),
                version = coalesce(\(fields.version), w.version),
                trigger_type = coalesce(\(fields.triggerType?.rawValue), w.trigger_type),
                trigger_conf = coalesce(\(try PlatformJSON.text(fields.triggerConf))::jsonb, w.trigger_conf),
                context_spec = coalesce(\(try PlatformJSON.text(fields.contextSpec))::jsonb, w.context_spec),
                status = coalesce(\(fields.status?.rawValue), w.status),
                tags = coalesce(\(fields.tags)::text[], w.tags),
                visibility = coalesce(\(fields.visibility?.rawValue)::visibility, w.visibility),
                visible_role_ids = coalesce(\(fields.visibleRoleIds)::uuid[], w.visible_role_ids),
                graph = coalesce(\(graph)::jsonb, w.graph),
                updated_at = now()
            WHERE w.tenant_id = \(tenantID) AND w.id = \(id) AND w.deleted_at IS NULL
            RETURNING \(unescaped: Self.columns)
            """, decoding: StoredWorkflow.self)
    }

    func softDelete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE workflows SET deleted_at = now(), updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id)")
        try await tx.run("DELETE FROM workflow_schedules WHERE tenant_id = \(tenantID) AND workflow_id = \(id)")
    }

    // MARK: Revisions

    /// Adds the next revision; when `activate`, it becomes the workflow's active one (the
    /// previous active is archived) and the workflow takes its definition.
    func addRevision(
        _ definition: WorkflowDefinition, workflowID: UUID, tenantID: UUID, activate: Bool, by userID: UUID, in tx: DatabaseTransaction
    ) async throws -> StoredRevision {
        if activate {
            try await tx.run(
                "UPDATE workflow_revisions SET status = 'archived', updated_at = now() WHERE tenant_id = \(tenantID) AND workflow_id = \(workflowID) AND status = 'active'")
        }
        guard let revision = try await tx.row(
            """
            INSERT INTO workflow_revisions AS r (tenant_id, id, workflow_id, revision, status, definition, created_by)
            SELECT \(tenantID), \(UUID.v7()), \(workflowID), coalesce(max(revision), 0) + 1, \(activate ? "active" : "draft"),
                   \(try Self.json(definition))::jsonb, \(userID)
            FROM workflow_revisions WHERE tenant_id = \(tenantID) AND workflow_id = \(workflowID)
            RETURNING \(unescaped: Self.revisionColumns)
            """, decoding: StoredRevision.self)
        else { throw APIError.internalError }
        if activate { try await adopt(revision, tenantID: tenantID, in: tx) }
        return revision
    }

    /// The workflow takes the revision's definition as its current one.
    func adopt(_ revision: StoredRevision, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        let definition = revision.definition
        try await tx.run(
            """
            UPDATE workflows SET current_revision_id = \(revision.id), current_revision = \(revision.revision), version = \(definition.version),
                   trigger_type = \(definition.triggerType.rawValue), trigger_conf = \(try PlatformJSON.text(definition.triggerConf))::jsonb,
                   context_spec = \(try PlatformJSON.text(definition.contextSpec))::jsonb, graph = \(try Self.json(definition.graph))::jsonb,
                   updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(revision.workflowId)
            """)
    }

    func revisions(of workflowID: UUID, tenantID: UUID, page: PageRequest, in tx: DatabaseTransaction) async throws -> [StoredRevision] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.revisionColumns) FROM workflow_revisions r WHERE r.tenant_id = \(tenantID) AND r.workflow_id = \(workflowID)
            ORDER BY r.revision DESC LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: StoredRevision.self)
    }

    func revisionCount(of workflowID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM workflow_revisions WHERE tenant_id = \(tenantID) AND workflow_id = \(workflowID)", as: Int.self) ?? 0
    }

    func revision(_ number: Int, of workflowID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredRevision? {
        try await tx.row(
            """
            SELECT \(unescaped: Self.revisionColumns) FROM workflow_revisions r
            WHERE r.tenant_id = \(tenantID) AND r.workflow_id = \(workflowID) AND r.revision = \(number)
            """, decoding: StoredRevision.self)
    }

    func revision(id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredRevision? {
        try await tx.row(
            "SELECT \(unescaped: Self.revisionColumns) FROM workflow_revisions r WHERE r.tenant_id = \(tenantID) AND r.id = \(id)",
            decoding: StoredRevision.self)
    }

    // MARK: Schedules

    func schedule(_ workflowID: UUID, tenantID: UUID, next: Date?, in tx: DatabaseTransaction) async throws {
        guard let next else {
            try await tx.run("DELETE FROM workflow_schedules WHERE tenant_id = \(tenantID) AND workflow_id = \(workflowID)")
            return
        }
        try await tx.run(
            """
            INSERT INTO workflow_schedules (tenant_id, workflow_id, next_fire_at) VALUES (\(tenantID), \(workflowID), \(next))
            ON CONFLICT (tenant_id, workflow_id) DO UPDATE SET next_fire_at = EXCLUDED.next_fire_at
            """)
    }

    struct DueSchedule: Decodable, Sendable {
        var tenantId: UUID
        var workflowId: UUID
        var nextFireAt: Date
    }

    /// Schedules due now, locked so that no other instance fires them too.
    func claimDue(limit: Int, in tx: DatabaseTransaction) async throws -> [DueSchedule] {
        try await tx.rows(
            """
            SELECT tenant_id, workflow_id, next_fire_at FROM workflow_schedules
            WHERE next_fire_at <= now() ORDER BY next_fire_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """, decoding: DueSchedule.self)
    }

    func fired(_ due: DueSchedule, next: Date?, in tx: DatabaseTransaction) async throws {
        guard let next else {
            try await tx.run("DELETE FROM workflow_schedules WHERE tenant_id = \(due.tenantId) AND workflow_id = \(due.workflowId)")
            return
        }
        try await tx.run(
            """
            UPDATE workflow_schedules SET next_fire_at = \(next), last_fired_at = \(due.nextFireAt)
            WHERE tenant_id = \(due.tenantId) AND workflow_id = \(due.workflowId)
            """)
    }

    /// Enabled workflows started by an event type (or one of the asset triggers).
    func eventTriggered(tenantID: UUID, triggerTypes: [String], in tx: DatabaseTransaction) async throws -> [StoredWorkflow] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM workflows w
            WHERE w.tenant_id = \(tenantID) AND w.status = 'enabled' AND w.deleted_at IS NULL AND w.trigger_type = ANY(\(triggerTypes))
            """, decoding: StoredWorkflow.self)
    }
}
