import Foundation
import PlatformDatabase
import PlatformSupport

/// Every statement on `n8n_calls`, the outbox of calls to n8n.
struct N8nCallStore: Sendable {
    static let viewColumns = """
        id, purpose, registry_id AS workflow_id, status, attempts, last_error, response_status, n8n_execution_id, created_at, sent_at
        """

    func insert(
        id: UUID, _ call: NewN8nCall, payload: JSONValue, callbackURL: String?, tenantID: UUID, in tx: DatabaseTransaction
    ) async throws {
        try await tx.run(
            """
            INSERT INTO n8n_calls (tenant_id, id, purpose, inspiration_id, project_id, registry_id, payload, callback_url)
            VALUES (\(tenantID), \(id), \(call.purpose.rawValue), \(call.inspirationID), \(call.projectID), \(call.registryID),
                    \(try PlatformJSON.text(payload))::jsonb, \(callbackURL))
            """)
    }

    func setTask(_ id: UUID, taskID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE n8n_calls SET task_id = \(taskID) WHERE tenant_id = \(tenantID) AND id = \(id)")
    }

    /// Calls for the same subject and purpose that were not sent yet will not be: a newer one replaces them.
    func supersede(_ purpose: N8nCallPurpose, inspirationID: UUID?, projectID: UUID?, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE n8n_calls SET status = 'superseded', updated_at = now()
            WHERE tenant_id = \(tenantID) AND purpose = \(purpose.rawValue) AND status IN ('queued', 'retrying')
              AND inspiration_id IS NOT DISTINCT FROM \(inspirationID) AND project_id IS NOT DISTINCT FROM \(projectID)
            """)
    }

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredN8nCall? {
        try await tx.row(
            """
            SELECT id, purpose, inspiration_id, project_id, registry_id, payload, callback_url, status
            FROM n8n_calls WHERE tenant_id = \(tenantID) AND id = \(id)
            """, decoding: StoredN8nCall.self)
    }

    /// n8n accepted the call.
    func markSent(
        _ id: UUID, attempts: Int, statusCode: Int, body: JSONValue, n8nExecutionID: String?, tenantID: UUID, in tx: DatabaseTransaction
    ) async throws {
        try await tx.run(
            """
            UPDATE n8n_calls SET status = 'sent', attempts = \(attempts), response_status = \(statusCode),
                response_body = \(try PlatformJSON.text(body))::jsonb, n8n_execution_id = \(n8nExecutionID), last_error = NULL,
                sent_at = now(), updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(id)
            """)
    }

    /// An attempt failed; `final` when no other follows.
    func markFailed(
        _ id: UUID, attempts: Int, error: String, statusCode: Int?, final: Bool, tenantID: UUID, in tx: DatabaseTransaction
    ) async throws {
        try await tx.run(
            """
            UPDATE n8n_calls SET status = CASE WHEN \(final) THEN 'failed' ELSE 'retrying' END, attempts = \(attempts),
                last_error = \(String(error.prefix(2000))), response_status = \(statusCode), updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(id) AND status IN ('queued', 'retrying')
            """)
    }

    /// The latest call of each inspiration.
    func latest(inspirations ids: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [UUID: WorkflowCallView] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await tx.rows(
            """
            SELECT DISTINCT ON (inspiration_id) inspiration_id AS subject, \(unescaped: Self.viewColumns)
            FROM n8n_calls WHERE tenant_id = \(tenantID) AND inspiration_id = ANY(\(ids))
            ORDER BY inspiration_id, created_at DESC, id DESC
            """, decoding: LatestRow.self)
        return Dictionary(rows.map { ($0.subject, $0.view) }, uniquingKeysWith: { first, _ in first })
    }

    /// The latest call of each project.
    func latest(projects ids: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [UUID: WorkflowCallView] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await tx.rows(
            """
            SELECT DISTINCT ON (project_id) project_id AS subject, \(unescaped: Self.viewColumns)
            FROM n8n_calls WHERE tenant_id = \(tenantID) AND project_id = ANY(\(ids))
            ORDER BY project_id, created_at DESC, id DESC
            """, decoding: LatestRow.self)
        return Dictionary(rows.map { ($0.subject, $0.view) }, uniquingKeysWith: { first, _ in first })
    }
}

/// A subject's latest call, read flat.
struct LatestRow: Decodable, Sendable {
    var subject: UUID
    var id: UUID
    var purpose: N8nCallPurpose
    var workflowId: UUID
    var status: N8nCallStatus
    var attempts: Int
    var lastError: String?
    var responseStatus: Int?
    var n8nExecutionId: String?
    var createdAt: Date
    var sentAt: Date?

    var view: WorkflowCallView {
        WorkflowCallView(
            id: id, purpose: purpose, workflowId: workflowId, status: status, attempts: attempts, lastError: lastError,
            responseStatus: responseStatus, n8nExecutionId: n8nExecutionId, createdAt: createdAt, sentAt: sentAt)
    }
}
