import FlowEngine
import Foundation
import PlatformDatabase
import PlatformSupport
import TaskEngine

/// Runs one workflow run (a `workflow.run` task): its pinned revision's graph on the engine,
/// node states journaled as they change, so another worker resumes after this one dies.
struct WorkflowRunHandler: TaskHandler {
    let database: Database
    let executor: FlowExecutor
    let runs = RunStore()
    let workflows = WorkflowStore()

    func run(_ job: TaskJob) async throws -> JSONValue? {
        let task = job.task
        let scope = job.tenantScope
        guard let (run, revision) = try await database.withTenant(scope, { tx -> (StoredRun, StoredRevision)? in
            guard let run = try await runs.find(task.id, tenantID: task.tenantId, in: tx),
                  let revision = try await workflows.revision(id: run.revisionId, tenantID: task.tenantId, in: tx) else { return nil }
            try await runs.markStarted(task.id, tenantID: task.tenantId, in: tx)
            return (run, revision)
        }) else { throw TaskFailure("the run's workflow or revision is gone", retryable: false) }
        var context = try await currentContext(job)
        if case .object(let existing) = context, !existing.isEmpty {} else { context = Self.initialContext(run: run, revision: revision) }
        let info = FlowRunInfo(
            tenantID: task.tenantId, ownerID: task.ownerId, runID: task.id, workflowID: run.workflowId,
            depth: JSONSchema.integer(task.taskInput["depth"] ?? 0) ?? 0)
        let journal = DatabaseRunJournal(database: database, job: job, total: revision.definition.graph.nodes.count)
        let started = Date()
        let result: FlowRunResult
        do {
            result = try await executor.run(revision.definition.graph, input: run.input, run: info, context: context, journal: journal)
        } catch let deferral as FlowDeferral {
            throw TaskDeferral(until: deferral.until, reason: "waiting at \(deferral.nodeKey)")
        }
        let seconds = (Date().timeIntervalSince(run.startedAt ?? started) * 1000).rounded() / 1000
        try await database.withTenant(scope) { tx in
            try await runs.finish(task.id, tenantID: task.tenantId, output: result.output, failedNode: result.failedNode, error: result.errorMessage, in: tx)
            var data: [String: JSONValue] = [
                "flow_id": .string(run.workflowId.uuidString.lowercased()), "workflow_id": .string(run.workflowId.uuidString.lowercased()),
                "execution_id": .string(task.id.uuidString.lowercased()), "revision": .int(Int64(run.revision)),
                "status": .string(result.status == .completed ? "completed" : "failed"),
                "result": ["output": result.output, "execution_time": .double(seconds)],
            ]
            if let node = result.failedNode { data["error"] = ["node_id": .string(node), "message": .string(result.errorMessage ?? "failed")] }
            try await EventBus.publish(
                PlatformEvent(type: result.status == .completed ? "flow.executed" : "flow.failed", tenantId: task.tenantId, subjectId: task.id, data: .object(data)),
                in: tx)
        }
        guard result.status == .completed else {
            throw TaskFailure("node \(result.failedNode ?? "?") failed: \(result.errorMessage ?? "failed")", retryable: false)
        }
        return ["output": result.output, "execution_time": .double(seconds)]
    }

    func currentContext(_ job: TaskJob) async throws -> JSONValue {
        try await database.withTenant(job.tenantScope) { tx in
            try await TaskStore.context(of: job.task.id, tenantID: job.task.tenantId, in: tx)
        } ?? [:]
    }

    /// GoyaVision's layout: meta, vars (declared defaults, then the input), shared, nodes.
    static func initialContext(run: StoredRun, revision: StoredRevision) -> JSONValue {
        var vars: [String: JSONValue] = [:]
        if case .object(let declared)? = revision.definition.contextSpec["vars"] {
            for (name, spec) in declared { if let value = spec["default"] { vars[name] = value } }
        }
        if case .object(let input) = run.input { for (name, value) in input { vars[name] = value } }
        return [
            "meta": [
                "task_id": .string(run.taskId.uuidString.lowercased()), "workflow_id": .string(run.workflowId.uuidString.lowercased()),
                "workflow_code": .string(run.workflowCode), "revision": .int(Int64(run.revision)),
                "asset_id": run.assetId.map { .string($0.uuidString.lowercased()) } ?? .null,
                "initialized_at": .string(RFC3339.string(from: Date())),
            ],
            "vars": .object(vars), "shared": [:], "nodes": [:], "artifacts": [:],
        ]
    }
}

/// The journal over the run's tables: each change in one transaction with its task event, the
/// task's progress (which renews the lease) and, when a node finishes, the context document.
struct DatabaseRunJournal: FlowRunJournal {
    let database: Database
    let job: TaskJob
    let total: Int
    let runs = RunStore()

    func recordedStates() async throws -> [String: FlowNodeState] {
        let nodes = try await database.withTenant(job.tenantScope) { tx in
            try await runs.nodes(of: job.task.id, tenantID: job.task.tenantId, in: tx)
        }
        var states: [String: FlowNodeState] = [:]
        for node in nodes where node.status != .pending {
            states[node.nodeKey] = FlowNodeState(
                key: node.nodeKey, type: node.nodeType, status: node.status, attempts: node.attempts, output: node.output, error: node.error,
                startedAt: node.startedAt, completedAt: node.completedAt, logs: node.logs)
        }
        return states
    }

    func nodeStarted(_ state: FlowNodeState, progress: FlowProgress) async throws {
        try await record(state, event: "node_started", progress: progress, context: nil)
    }

    func nodeFinished(_ state: FlowNodeState, context: JSONValue, progress: FlowProgress) async throws {
        let event = switch state.status {
        case .success: "node_succeeded"
        case .failed: "node_failed"
        default: "node_skipped"
        }
        try await record(state, event: event, progress: progress, context: context)
    }

    func record(_ state: FlowNodeState, event: String, progress: FlowProgress, context: JSONValue?) async throws {
        let task = job.task
        var change = TaskStatusChange(progress: progress.percent, currentStep: progress.currentNode ?? state.key)
        change.requireLeaseOwner = job.workerID
        try await database.withTenant(job.tenantScope) { tx in
            try await runs.recordNode(state, taskID: task.id, tenantID: task.tenantId, in: tx)
            let current = try await TaskStore.report(task.id, tenantID: task.tenantId, change: change, in: tx)
            var extra: [String: JSONValue] = [
                "node_key": .string(state.key), "node_type": .string(state.type), "attempt": .int(Int64(state.attempts)),
                "node_status": .string(state.status.rawValue), "event_type": .string(event),
            ]
            if let error = state.error, state.status == .failed { extra["error"] = .string(String(error.prefix(500))) }
            if let duration = state.durationMilliseconds, state.status.isFinishedState { extra["duration_ms"] = .int(Int64(duration)) }
            if let context {
                let version = try await TaskStore.setContext(current, to: context, in: tx)
                extra["context_version"] = .int(Int64(version))
            }
            try await TaskStore.publish(current, event, extra: extra, in: tx)
        }
    }
}

extension FlowNodeStatus {
    var isFinishedState: Bool { self == .success || self == .failed || self == .skipped }
}
