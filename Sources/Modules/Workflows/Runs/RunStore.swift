import FlowEngine
import Foundation
import PlatformDatabase
import PlatformSupport
import TaskEngine

/// A run as stored, with its task's status and times.
struct StoredRun: Decodable, Sendable {
    var taskId: UUID
    var workflowId: UUID
    var workflowName: String
    var workflowCode: String
    var revisionId: UUID
    var revision: Int
    var trigger: String
    var assetId: UUID?
    var input: JSONValue
    var output: JSONValue?
    var failedNode: String?
    var errorMessage: String?
    var status: TaskStatus
    var progress: Int
    var currentStep: String?
    var taskError: String?
    var startedAt: Date?
    var completedAt: Date?
    var createdAt: Date

    var durationMilliseconds: Int? {
        guard let startedAt else { return nil }
        return Int(((completedAt ?? Date()).timeIntervalSince(startedAt) * 1000).rounded())
    }

    var isFinished: Bool { status.isTerminal }
}

struct StoredNodeRun: Decodable, Sendable {
    var nodeKey: String
    var nodeType: String
    var position: Int
    var status: FlowNodeStatus
    var attempts: Int
    var output: JSONValue?
    var error: String?
    var logs: [FlowLogLine]
    var startedAt: Date?
    var completedAt: Date?

    var durationMilliseconds: Int? {
        guard let startedAt, let completedAt else { return nil }
        return Int((completedAt.timeIntervalSince(startedAt) * 1000).rounded())
    }
}

/// Which runs a history shows; page and count share it.
struct RunFilter: Sendable {
    var tenantID: UUID
    var workflowID: UUID?
    /// Task statuses.
    var statuses: [String]?
    var since: Date?

    var condition: SQL {
        """
        r.tenant_id = \(tenantID) AND t.deleted_at IS NULL
        AND (\(workflowID)::uuid IS NULL OR r.workflow_id = \(workflowID))
        AND (\(statuses)::text[] IS NULL OR t.status = ANY(\(statuses)))
        AND (\(since)::timestamptz IS NULL OR r.created_at >= \(since))
        """
    }
}

/// Statements on runs: starting one (its task, its row, a row per node), the journal's
/// writes, and the reads of the history routes.
struct RunStore: Sendable {
    static let taskType = "workflow.run"
    static let queue = "workflows"

    static let columns = """
        r.task_id, r.workflow_id, w.name AS workflow_name, w.code AS workflow_code, r.revision_id, r.revision, r.trigger, r.asset_id,
        r.input, r.output, r.failed_node, r.error_message, t.status, t.progress, t.current_step, t.error_message AS task_error,
        coalesce(r.started_at, t.started_at) AS started_at, coalesce(r.completed_at, t.completed_at) AS completed_at, r.created_at
        """
    static let from = "workflow_runs r JOIN tasks t ON t.tenant_id = r.tenant_id AND t.id = r.task_id JOIN workflows w ON w.tenant_id = r.tenant_id AND w.id = r.workflow_id"
    static let nodeColumns = "node_key, node_type, position, status, attempts, output, error, logs, started_at, completed_at"

    struct NewRun: Sendable {
        var workflow: StoredWorkflow
        var revision: StoredRevision
        var trigger: String
        var triggerKey: String?
        var assetID: UUID?
        var input: JSONValue
        var ownerID: UUID?
        var depth = 0
    }

    /// Queues a run: the task, the run pinned to its revision, every node pending. Nil when
    /// the trigger key already started one (a schedule or event seen twice).
    func start(_ run: NewRun, tenantID: UUID, in tx: DatabaseTransaction) async throws -> TaskRecord? {
        if let key = run.triggerKey, try await tx.value(
            "SELECT 1 FROM workflow_runs WHERE tenant_id = \(tenantID) AND workflow_id = \(run.workflow.id) AND trigger_key = \(key)", as: Int.self) != nil {
            return nil
        }
        var task = NewTask(taskType: Self.taskType)
        task.taskName = "\(run.workflow.name) #\(run.revision.revision)"
        task.queue = Self.queue
        task.priority = 50
        task.maxAttempts = 5
        task.enqueue = true
        task.visibility = run.workflow.visibility == .public ? .tenant : run.workflow.visibility
        task.input = [
            "workflow_id": .string(run.workflow.id.uuidString.lowercased()), "revision_id": .string(run.revision.id.uuidString.lowercased()),
            "revision": .int(Int64(run.revision.revision)), "trigger": .string(run.trigger), "input": run.input, "depth": .int(Int64(run.depth)),
            "asset_id": run.assetID.map { .string($0.uuidString.lowercased()) } ?? .null,
        ]
        task.metadata = [
            "workflow_id": .string(run.workflow.id.uuidString.lowercased()), "workflow_code": .string(run.workflow.code),
            "asset_id": run.assetID.map { .string($0.uuidString.lowercased()) } ?? .null,
        ]
        let record = try await TaskStore.insert(task, tenantID: tenantID, ownerID: run.ownerID, in: tx)
        try await tx.run(
            """
            INSERT INTO workflow_runs (tenant_id, task_id, owner_id, workflow_id, revision_id, revision, trigger, trigger_key, asset_id, input)
            VALUES (\(tenantID), \(record.id), \(run.ownerID), \(run.workflow.id), \(run.revision.id), \(run.revision.revision), \(run.trigger),
                    \(run.triggerKey), \(run.assetID), \(try PlatformJSON.text(run.input))::jsonb)
            """)
        let nodes = run.revision.definition.graph.nodes
        try await tx.run(
            """
            INSERT INTO workflow_node_runs (tenant_id, task_id, node_key, node_type, position, status)
            SELECT \(tenantID), \(record.id), n.key, n.type, n.position::int, 'pending'
            FROM unnest(\(nodes.map(\.key))::text[], \(nodes.map(\.type))::text[]) WITH ORDINALITY AS n(key, type, position)
            """)
        return record
    }

    func find(_ taskID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredRun? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from) WHERE r.tenant_id = \(tenantID) AND r.task_id = \(taskID) AND t.deleted_at IS NULL",
            decoding: StoredRun.self)
    }

    func list(_ filter: RunFilter, page: PageRequest, in tx: DatabaseTransaction) async throws -> [StoredRun] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from) WHERE \(filter.condition)
            ORDER BY r.created_at DESC, r.task_id DESC LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: StoredRun.self)
    }

    func count(_ filter: RunFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value(
            "SELECT count(*)::int FROM workflow_runs r JOIN tasks t ON t.tenant_id = r.tenant_id AND t.id = r.task_id WHERE \(filter.condition)",
            as: Int.self) ?? 0
    }

    func nodes(of taskID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [StoredNodeRun] {
        try await tx.rows(
            "SELECT \(unescaped: Self.nodeColumns) FROM workflow_node_runs WHERE tenant_id = \(tenantID) AND task_id = \(taskID) ORDER BY position",
            decoding: StoredNodeRun.self)
    }

    // MARK: The journal's writes

    func recordNode(_ state: FlowNodeState, taskID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        let logs = String(decoding: try PlatformJSON.makeEncoder().encode(state.logs), as: UTF8.self)
        try await tx.run(
            """
            UPDATE workflow_node_runs SET status = \(state.status.rawValue), attempts = \(state.attempts),
                   output = \(try PlatformJSON.text(state.output))::jsonb, error = \(state.error.map { String($0.prefix(10_000)) }),
                   logs = \(logs)::jsonb, started_at = \(state.startedAt), completed_at = \(state.completedAt), updated_at = now()
            WHERE tenant_id = \(tenantID) AND task_id = \(taskID) AND node_key = \(state.key)
            """)
    }

    func markStarted(_ taskID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE workflow_runs SET started_at = coalesce(started_at, now()) WHERE tenant_id = \(tenantID) AND task_id = \(taskID)")
    }

    func finish(_ taskID: UUID, tenantID: UUID, output: JSONValue?, failedNode: String?, error: String?, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE workflow_runs SET output = \(try PlatformJSON.text(output))::jsonb, failed_node = \(failedNode), error_message = \(error),
                   completed_at = now()
            WHERE tenant_id = \(tenantID) AND task_id = \(taskID)
            """)
    }

    // MARK: Statistics

    struct Totals: Decodable, Sendable {
        var total: Int
        var completed: Int
        var failed: Int
        var averageMilliseconds: Double?
        var peakMilliseconds: Double?
        var firstExecution: Date?
        var lastExecution: Date?
    }

    func totals(_ filter: RunFilter, in tx: DatabaseTransaction) async throws -> Totals {
        try await tx.row(
            """
            SELECT count(*)::int AS total, count(*) FILTER (WHERE t.status = 'completed')::int AS completed,
                   count(*) FILTER (WHERE t.status = 'failed')::int AS failed,
                   (avg(extract(epoch FROM t.completed_at - t.started_at)) FILTER (WHERE t.status = 'completed') * 1000)::float8 AS average_milliseconds,
                   (max(extract(epoch FROM t.completed_at - t.started_at)) FILTER (WHERE t.status IN ('completed', 'failed')) * 1000)::float8 AS peak_milliseconds,
                   min(r.created_at) AS first_execution, max(r.created_at) AS last_execution
            FROM workflow_runs r JOIN tasks t ON t.tenant_id = r.tenant_id AND t.id = r.task_id WHERE \(filter.condition)
            """, decoding: Totals.self) ?? Totals(total: 0, completed: 0, failed: 0)
    }

    struct PerWorkflow: Decodable, Sendable {
        var workflowId: UUID
        var workflowName: String
        var workflowType: String
        var executions: Int
        var completed: Int
        var failed: Int
        var averageMilliseconds: Double?
    }

    func perWorkflow(_ filter: RunFilter, in tx: DatabaseTransaction) async throws -> [PerWorkflow] {
        try await tx.rows(
            """
            SELECT r.workflow_id, w.name AS workflow_name, w.code AS workflow_type, count(*)::int AS executions,
                   count(*) FILTER (WHERE t.status = 'completed')::int AS completed, count(*) FILTER (WHERE t.status = 'failed')::int AS failed,
                   (avg(extract(epoch FROM t.completed_at - t.started_at)) FILTER (WHERE t.status = 'completed') * 1000)::float8 AS average_milliseconds
            FROM \(unescaped: Self.from) WHERE \(filter.condition)
            GROUP BY r.workflow_id, w.name, w.code ORDER BY count(*) DESC, w.name
            """, decoding: PerWorkflow.self)
    }

    struct PerNodeType: Decodable, Sendable {
        var nodeType: String
        var executions: Int
        var averageMilliseconds: Double?
        var peakMilliseconds: Double?
        var failures: Int
    }

    func perNodeType(_ filter: RunFilter, in tx: DatabaseTransaction) async throws -> [PerNodeType] {
        try await tx.rows(
            """
            SELECT n.node_type, count(*)::int AS executions,
                   (avg(extract(epoch FROM n.completed_at - n.started_at)) * 1000)::float8 AS average_milliseconds,
                   (max(extract(epoch FROM n.completed_at - n.started_at)) * 1000)::float8 AS peak_milliseconds,
                   count(*) FILTER (WHERE n.status = 'failed')::int AS failures
            FROM workflow_node_runs n JOIN workflow_runs r ON r.tenant_id = n.tenant_id AND r.task_id = n.task_id
            JOIN tasks t ON t.tenant_id = r.tenant_id AND t.id = r.task_id
            WHERE \(filter.condition) AND n.started_at IS NOT NULL AND n.completed_at IS NOT NULL
            GROUP BY n.node_type ORDER BY avg(extract(epoch FROM n.completed_at - n.started_at)) DESC
            """, decoding: PerNodeType.self)
    }
}
