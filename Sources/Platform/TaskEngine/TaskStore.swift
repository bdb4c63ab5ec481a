import Foundation
import Logging
import PlatformDatabase
import PlatformSupport
import PostgresNIO

/// The durable queue. Every statement takes the transaction it runs in, so a task change, its
/// event-log entry and its notification commit together; callers pick the scope (a tenant's
/// for API calls, the platform's for workers).
public enum TaskStore {
    public static func json(_ value: JSONValue?) throws -> String? {
        try PlatformJSON.text(value)
    }

    public static func records(_ sql: SQL, in tx: DatabaseTransaction) async throws -> [TaskRecord] {
        var records: [TaskRecord] = []
        for try await row in try await tx.query(try sql.rendered()) { records.append(try TaskRecord(row: row)) }
        return records
    }

    public static func insert(_ new: NewTask, tenantID: UUID, ownerID: UUID?, in tx: DatabaseTransaction) async throws -> TaskRecord {
        let id = UUID.v7()
        let status: TaskStatus = new.enqueue ? .queued : .pending
        let rows = try await records(
            """
            INSERT INTO tasks AS t (tenant_id, id, owner_id, visibility, kind, task_type, task_name, status, priority, queue,
                               task_input, task_metadata, dependencies, project_id, platform_account_id, submit_id,
                               max_attempts, scheduled_at, enqueued_at)
            VALUES (\(tenantID), \(id), \(ownerID), \(new.visibility.rawValue)::visibility, \(new.kind.rawValue), \(new.taskType),
                    \(new.taskName), \(status.rawValue), \(new.priority), \(new.queue), \(try json(new.input))::jsonb,
                    \(try json(new.metadata))::jsonb, \(new.dependencies), \(new.projectID), \(new.platformAccountID), \(new.submitID),
                    \(new.maxAttempts), \(new.scheduledAt), CASE WHEN \(new.enqueue) THEN now() END)
            RETURNING \(unescaped: TaskRecord.columns)
            """, in: tx)
        guard let task = rows.first else { throw APIError.internalError }
        try await publish(task, "created", in: tx)
        if task.status == .queued { try await publish(task, "queued", in: tx) }
        return task
    }

    /// A task of the tenant that the transaction's scope may see (soft-deleted ones are gone).
    public static func find(_ id: UUID, tenantID: UUID, kind: TaskKind? = nil, in tx: DatabaseTransaction) async throws -> TaskRecord? {
        try await records(
            """
            SELECT \(unescaped: TaskRecord.columns) FROM tasks t
            WHERE t.tenant_id = \(tenantID) AND t.id = \(id) AND t.deleted_at IS NULL AND (\(kind?.rawValue)::text IS NULL OR t.kind = \(kind?.rawValue))
            """, in: tx
        ).first
    }

    /// Ids among `ids` that are not tasks this scope can see.
    public static func missing(_ ids: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [UUID] {
        guard !ids.isEmpty else { return [] }
        let found: [UUID] = try await tx.all(
            "SELECT id FROM tasks WHERE tenant_id = \(tenantID) AND id = ANY(\(ids)) AND deleted_at IS NULL", as: UUID.self)
        let set = Set(found)
        return ids.filter { !set.contains($0) }
    }

    /// Moves a task to `target` if its current status allows it; otherwise 404 (not visible)
    /// or 409 naming the current status.
    public static func transition(
        _ id: UUID, tenantID: UUID, to target: TaskStatus, change: TaskStatusChange = TaskStatusChange(),
        kind: TaskKind? = nil, in tx: DatabaseTransaction
    ) async throws -> TaskRecord {
        let sources = TaskStatus.sources(of: target).map(\.rawValue)
        let rows = try await records(
            """
            UPDATE tasks AS t SET
                status = \(target.rawValue),
                task_output = coalesce(\(try json(change.output))::jsonb, t.task_output),
                error_message = coalesce(\(change.errorMessage)::text, CASE WHEN \(target.rawValue) IN ('completed', 'running') THEN NULL ELSE t.error_message END),
                progress = coalesce(\(change.progress)::int, CASE WHEN \(target.rawValue) = 'completed' THEN 100 WHEN \(target.rawValue) IN ('queued', 'pending') THEN 0 ELSE t.progress END),
                current_step = coalesce(\(change.currentStep)::text, t.current_step),
                task_metadata = t.task_metadata || coalesce(\(try json(change.metadata))::jsonb, '{}'::jsonb),
                attempts = CASE WHEN \(change.resetAttempts) THEN 0 ELSE t.attempts END
                           + CASE WHEN \(target.rawValue) = 'running' THEN 1 ELSE 0 END
                           - CASE WHEN \(change.refundAttempt) AND t.attempts > 0 THEN 1 ELSE 0 END,
                enqueued_at = CASE WHEN \(target.rawValue) = 'queued' THEN now() ELSE t.enqueued_at END,
                scheduled_at = CASE WHEN \(target.rawValue) = 'queued' THEN \(change.notBefore)::timestamptz ELSE t.scheduled_at END,
                started_at = CASE WHEN \(target.rawValue) = 'running' THEN clock_timestamp() ELSE t.started_at END,
                completed_at = CASE WHEN \(target.rawValue) IN ('completed', 'failed', 'cancelled') THEN clock_timestamp() END,
                lease_owner = CASE WHEN \(target.rawValue) = 'running' THEN \(change.leaseOwner)::text END,
                lease_seconds = CASE WHEN \(target.rawValue) = 'running' THEN \(change.leaseSeconds)::int END,
                lease_expires_at = CASE WHEN \(target.rawValue) = 'running' AND \(change.leaseSeconds)::int IS NOT NULL
                                        THEN now() + make_interval(secs => \(change.leaseSeconds)::int) END,
                updated_at = now()
            WHERE t.tenant_id = \(tenantID) AND t.id = \(id) AND t.deleted_at IS NULL AND t.status = ANY(\(sources))
              AND (\(kind?.rawValue)::text IS NULL OR t.kind = \(kind?.rawValue))
              AND (\(change.requireLeaseOwner)::text IS NULL OR t.lease_owner = \(change.requireLeaseOwner))
            RETURNING \(unescaped: TaskRecord.columns)
            """, in: tx)
        guard let task = rows.first else {
            guard let current = try await find(id, tenantID: tenantID, kind: kind, in: tx) else {
                throw APIError.notFound(kind == .command ? "Command" : "Task", code: kind == .command ? "COMMAND_NOT_FOUND" : "TASK_NOT_FOUND")
            }
            if let owner = change.requireLeaseOwner, current.workerId != owner, current.status == .running {
                throw APIError.conflict("The task's lease is held by another worker", code: "LEASE_LOST",
                                        details: ["current_status": .string(current.status.rawValue)])
            }
            throw invalidTransition(current, to: target)
        }
        try await publish(task, eventName(for: target), in: tx)
        if target == .failed || target == .cancelled {
            try await endDependents(of: task, in: tx)
        }
        return task
    }

    public static func invalidTransition(_ task: TaskRecord, to target: TaskStatus) -> APIError {
        APIError(
            .conflict, code: "INVALID_STATUS_TRANSITION",
            message: "A \(task.status.rawValue) \(task.kind.rawValue) cannot become \(target.rawValue)",
            details: ["current_status": .string(task.status.rawValue), "requested_status": .string(target.rawValue)])
    }

    static func eventName(for status: TaskStatus) -> String {
        switch status {
        case .pending: "pending"
        case .queued: "queued"
        case .running: "started"
        case .completed: "completed"
        case .failed: "failed"
        case .cancelled: "cancelled"
        }
    }

    /// Progress, step, metadata and output of a task without changing its status. A running
    /// task's lease is extended by the report.
    public static func report(
        _ id: UUID, tenantID: UUID, change: TaskStatusChange, kind: TaskKind? = nil, in tx: DatabaseTransaction
    ) async throws -> TaskRecord {
        let rows = try await records(
            """
            UPDATE tasks AS t SET
                progress = coalesce(\(change.progress)::int, t.progress),
                current_step = coalesce(\(change.currentStep)::text, t.current_step),
                task_output = coalesce(\(try json(change.output))::jsonb, t.task_output),
                error_message = coalesce(\(change.errorMessage)::text, t.error_message),
                task_metadata = t.task_metadata || coalesce(\(try json(change.metadata))::jsonb, '{}'::jsonb),
                lease_expires_at = CASE WHEN t.status = 'running' AND t.lease_seconds IS NOT NULL
                                        THEN now() + make_interval(secs => t.lease_seconds) ELSE t.lease_expires_at END,
                updated_at = now()
            WHERE t.tenant_id = \(tenantID) AND t.id = \(id) AND t.deleted_at IS NULL
              AND (\(kind?.rawValue)::text IS NULL OR t.kind = \(kind?.rawValue))
              AND (\(change.requireLeaseOwner)::text IS NULL OR (t.lease_owner = \(change.requireLeaseOwner) AND t.status = 'running'))
            RETURNING \(unescaped: TaskRecord.columns)
            """, in: tx)
        guard let task = rows.first else {
            if change.requireLeaseOwner != nil { throw CancellationError() }
            throw APIError.notFound("Task", code: "TASK_NOT_FOUND")
        }
        try await publish(task, change.progress != nil || change.currentStep != nil ? "progress" : "updated", in: tx)
        return task
    }

    /// Claims up to `limit` runnable tasks (queued, due, dependencies completed), most urgent
    /// first, skipping rows other workers hold. Each becomes `running` under `worker`'s lease.
    public static func claim(
        worker: String, leaseSeconds: Int, limit: Int, queues: [String]?, taskTypes: [String]?, internalTypes: [String] = [],
        tenantID: UUID?, in tx: DatabaseTransaction
    ) async throws -> [TaskRecord] {
        let claimed = try await records(
            """
            WITH candidate AS (
                SELECT c.tenant_id, c.id FROM tasks c
                WHERE c.status = 'queued' AND c.deleted_at IS NULL
                  AND (\(queues)::text[] IS NULL OR c.queue = ANY(\(queues)))
                  AND (\(taskTypes)::text[] IS NULL OR c.task_type = ANY(\(taskTypes)))
                  -- Internal jobs run only as internal types, and tenants' tasks never do.
                  AND CASE WHEN c.kind = 'internal' THEN c.task_type = ANY(\(internalTypes)::text[])
                           ELSE NOT (c.task_type = ANY(\(internalTypes)::text[])) END
                  AND (\(tenantID)::uuid IS NULL OR c.tenant_id = \(tenantID))
                  AND (c.scheduled_at IS NULL OR c.scheduled_at <= now())
                  AND NOT EXISTS (
                      SELECT 1 FROM unnest(c.dependencies) AS d(id)
                      WHERE NOT EXISTS (SELECT 1 FROM tasks x WHERE x.tenant_id = c.tenant_id AND x.id = d.id AND x.status = 'completed'))
                ORDER BY c.priority DESC, c.id
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            -- clock_timestamp(), not now(): the moment of the claim, not of BEGIN, so a dependent
            -- never seems to start before its dependency ended.
            UPDATE tasks AS t SET
                status = 'running', attempts = t.attempts + 1, started_at = clock_timestamp(), completed_at = NULL, progress = 0,
                lease_owner = \(worker), lease_seconds = \(leaseSeconds),
                lease_expires_at = now() + make_interval(secs => \(leaseSeconds)), updated_at = now()
            FROM candidate
            WHERE t.tenant_id = candidate.tenant_id AND t.id = candidate.id
            RETURNING \(unescaped: TaskRecord.columns)
            """, in: tx)
        for task in claimed { try await publish(task, "started", in: tx) }
        return claimed
    }

    /// Extends `worker`'s lease; false when the task is no longer running under it (cancelled,
    /// or the lease expired and another worker took it).
    public static func heartbeat(_ task: TaskRecord, worker: String, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.execute(
            """
            UPDATE tasks SET lease_expires_at = now() + make_interval(secs => lease_seconds), updated_at = now()
            WHERE tenant_id = \(task.tenantId) AND id = \(task.id) AND status = 'running' AND lease_owner = \(worker)
            RETURNING 1
            """) == 1
    }

    /// Tasks whose worker stopped renewing its lease go back to the queue (or fail when out of
    /// attempts). Runs in every worker; SKIP LOCKED keeps two reapers off the same rows.
    public static func reapExpiredLeases(in tx: DatabaseTransaction) async throws -> [TaskRecord] {
        let reaped = try await records(
            """
            WITH expired AS (
                SELECT e.tenant_id, e.id FROM tasks e
                WHERE e.status = 'running' AND e.lease_expires_at < now() AND e.deleted_at IS NULL
                LIMIT 100 FOR UPDATE SKIP LOCKED
            )
            UPDATE tasks AS t SET
                status = CASE WHEN t.attempts >= t.max_attempts THEN 'failed' ELSE 'queued' END,
                error_message = 'lease expired: worker ' || coalesce(t.lease_owner, 'unknown') || ' stopped reporting',
                completed_at = CASE WHEN t.attempts >= t.max_attempts THEN clock_timestamp() END,
                enqueued_at = now(), scheduled_at = NULL,
                lease_owner = NULL, lease_seconds = NULL, lease_expires_at = NULL, updated_at = now()
            FROM expired
            WHERE t.tenant_id = expired.tenant_id AND t.id = expired.id
            RETURNING \(unescaped: TaskRecord.columns)
            """, in: tx)
        for task in reaped {
            try await publish(task, "lease_expired", in: tx)
            try await publish(task, eventName(for: task.status), in: tx)
            if task.status == .failed { try await endDependents(of: task, in: tx) }
        }
        return reaped
    }

    /// Waiting tasks that depend (directly or through others) on a task that failed or was
    /// cancelled can never run: they are cancelled, saying why.
    static func endDependents(of task: TaskRecord, in tx: DatabaseTransaction) async throws {
        let reason = "dependency \(task.id.uuidString.lowercased()) \(task.status.rawValue)"
        let ended = try await records(
            """
            WITH RECURSIVE doomed AS (
                SELECT d.tenant_id, d.id FROM tasks d
                WHERE d.tenant_id = \(task.tenantId) AND d.dependencies @> ARRAY[\(task.id)]::uuid[]
                  AND d.status IN ('pending', 'queued') AND d.deleted_at IS NULL
                UNION
                SELECT d.tenant_id, d.id FROM tasks d JOIN doomed ON d.tenant_id = doomed.tenant_id AND d.dependencies @> ARRAY[doomed.id]
                WHERE d.status IN ('pending', 'queued') AND d.deleted_at IS NULL
            )
            UPDATE tasks AS t SET status = 'cancelled', error_message = \(reason), completed_at = clock_timestamp(), updated_at = now()
            FROM doomed WHERE t.tenant_id = doomed.tenant_id AND t.id = doomed.id
            RETURNING \(unescaped: TaskRecord.columns)
            """, in: tx)
        for dependent in ended { try await publish(dependent, "cancelled", in: tx) }
    }

    /// Appends to the task's event log and notifies every instance, when `tx` commits.
    public static func publish(_ task: TaskRecord, _ name: String, extra: [String: JSONValue] = [:], in tx: DatabaseTransaction) async throws {
        var data: [String: JSONValue] = [
            "task_id": .string(task.id.uuidString.lowercased()),
            "kind": .string(task.kind.rawValue),
            "task_type": .string(task.taskType),
            "status": .string(task.status.rawValue),
            "progress": .int(Int64(task.progress)),
            "attempts": .int(Int64(task.attempts)),
            "queue": .string(task.queue),
        ]
        if let step = task.currentStep { data["current_step"] = .string(step) }
        if let error = task.errorMessage, task.status == .failed || task.status == .cancelled || name == "lease_expired" {
            data["error_message"] = .string(String(error.prefix(500)))
        }
        if let worker = task.workerId { data["worker_id"] = .string(worker) }
        for (key, value) in extra { data[key] = value }
        // Internal jobs notify workers but stay out of the tenant's event log, its streams and
        // its webhooks (a delivery's own events must not become deliveries).
        let tenantID = task.kind == .internal ? nil : task.tenantId
        try await EventBus.publish(
            PlatformEvent(type: "\(task.kind.rawValue).\(name)", tenantId: tenantID, subjectId: task.id, data: .object(data)),
            in: tx)
    }

    /// Soft-deletes tasks; waiting ones count as cancelled, and what waited on them is ended.
    @discardableResult
    public static func softDelete(_ ids: [UUID], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [TaskRecord] {
        let deleted = try await records(
            """
            UPDATE tasks AS t SET deleted_at = now(), updated_at = now(),
                status = CASE WHEN t.status IN ('pending', 'queued') THEN 'cancelled' ELSE t.status END
            WHERE t.tenant_id = \(tenantID) AND t.id = ANY(\(ids)) AND t.deleted_at IS NULL
            RETURNING \(unescaped: TaskRecord.columns)
            """, in: tx)
        for task in deleted {
            try await publish(task, "deleted", in: tx)
            try await endDependents(of: task, in: tx)
        }
        return deleted
    }

    /// Cancels every queued task of the tenant (emptying its queues).
    public static func cancelQueued(tenantID: UUID, reason: String, in tx: DatabaseTransaction) async throws -> [TaskRecord] {
        let cancelled = try await records(
            """
            UPDATE tasks AS t SET status = 'cancelled', error_message = \(reason), completed_at = clock_timestamp(), updated_at = now()
            WHERE t.tenant_id = \(tenantID) AND t.status = 'queued' AND t.deleted_at IS NULL AND t.kind <> 'internal'
            RETURNING \(unescaped: TaskRecord.columns)
            """, in: tx)
        for task in cancelled {
            try await publish(task, "cancelled", in: tx)
            try await endDependents(of: task, in: tx)
        }
        return cancelled
    }

    // MARK: Context

    /// Replaces the task's context document, recording the change as an RFC 6902 patch.
    @discardableResult
    /// The task's context document, or nil when the task is gone.
    public static func context(of id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> JSONValue? {
        struct Row: Decodable { var context: JSONValue }
        return try await tx.row("SELECT context FROM tasks WHERE tenant_id = \(tenantID) AND id = \(id)", decoding: Row.self)?.context
    }

    public static func setContext(_ task: TaskRecord, to document: JSONValue, in tx: DatabaseTransaction) async throws -> Int {
        guard let text = try await tx.first(
            "SELECT context::text FROM tasks WHERE tenant_id = \(task.tenantId) AND id = \(task.id) FOR UPDATE", as: String.self)
        else { throw APIError.notFound("Task", code: "TASK_NOT_FOUND") }
        let current = try PlatformJSON.makeDecoder().decode(JSONValue.self, from: Data(text.utf8))
        let operations = JSONPatch.diff(from: current, to: document)
        guard !operations.isEmpty else { return task.contextVersion }
        guard let version = try await tx.first(
            """
            UPDATE tasks SET context = \(try json(document))::jsonb, context_version = context_version + 1, updated_at = now()
            WHERE tenant_id = \(task.tenantId) AND id = \(task.id) RETURNING context_version
            """, as: Int.self)
        else { throw APIError.internalError }
        try await tx.query(
            """
            INSERT INTO task_context_patches (tenant_id, task_id, version, operations)
            VALUES (\(task.tenantId), \(task.id), \(version), \(try json(.array(operations)))::jsonb)
            """)
        try await publish(task, "context_updated", extra: ["context_version": .int(Int64(version))], in: tx)
        return version
    }
}
