import FlowEngine
import Foundation
import PlatformDatabase
import PlatformSupport
import TaskEngine

/// How runs read in each seed's words.
enum RunViews {
    /// AutoMaticWorker's execution status.
    static func flowStatus(_ status: TaskStatus) -> String {
        switch status {
        case .pending, .queued: "queued"
        case .running: "running"
        case .completed: "completed"
        case .failed: "failed"
        case .cancelled: "cancelled"
        }
    }

    /// GoyaVision's task status.
    static func goyaStatus(_ status: TaskStatus) -> String {
        switch status {
        case .pending, .queued: "pending"
        case .running: "running"
        case .completed: "success"
        case .failed: "failed"
        case .cancelled: "cancelled"
        }
    }

    /// The content platform's history status.
    static func historyStatus(_ status: TaskStatus) -> String {
        switch status {
        case .pending, .queued: "pending"
        case .running: "running"
        case .completed: "success"
        case .failed: "failure"
        case .cancelled: "cancelled"
        }
    }

    /// A node as served: a node still marked running in a finished run did not finish.
    static func nodeStatus(_ node: StoredNodeRun, runFinished: Bool) -> String {
        if runFinished && (node.status == .running || node.status == .pending) { return FlowNodeStatus.skipped.rawValue }
        return node.status.rawValue
    }

    /// GoyaVision's `node_executions`: every node in definition order.
    static func nodeExecutions(_ nodes: [StoredNodeRun], runFinished: Bool) -> JSONValue {
        .array(nodes.map { node in
            var item: [String: JSONValue] = [
                "node_key": .string(node.nodeKey), "node_type": .string(node.nodeType),
                "status": .string(nodeStatus(node, runFinished: runFinished)), "attempts": .int(Int64(node.attempts)),
            ]
            if let error = node.error, node.status == .failed { item["error"] = .string(error) }
            if let started = node.startedAt { item["started_at"] = .string(RFC3339.string(from: started)) }
            if let completed = node.completedAt { item["completed_at"] = .string(RFC3339.string(from: completed)) }
            if let duration = node.durationMilliseconds { item["duration_ms"] = .int(Int64(duration)) }
            return .object(item)
        })
    }

    /// The fields GoyaVision reads on a workflow task (`/tasks/{id}`, trigger's answer).
    static func goyaTaskFields(_ task: TaskRecord, in tx: DatabaseTransaction) async throws -> [String: JSONValue] {
        let store = RunStore()
        guard let run = try await store.find(task.id, tenantID: task.tenantId, in: tx) else { return [:] }
        let nodes = try await store.nodes(of: task.id, tenantID: task.tenantId, in: tx)
        let running = nodes.filter { $0.status == .running }.max { ($0.startedAt ?? .distantPast) < ($1.startedAt ?? .distantPast) }
        return [
            "workflow_id": .string(run.workflowId.uuidString.lowercased()), "workflow_revision_id": .string(run.revisionId.uuidString.lowercased()),
            "workflow_revision": .int(Int64(run.revision)), "asset_id": run.assetId.map { .string($0.uuidString.lowercased()) } ?? .null,
            "input_params": run.input, "current_node": task.status == .running ? (running.map { .string($0.nodeKey) } ?? .null) : .null,
            "error": task.errorMessage.map { .string($0) } ?? .null,
            "node_executions": nodeExecutions(nodes, runFinished: task.status.isTerminal),
            "duration": .double(Double(run.durationMilliseconds ?? 0) / 1000),
        ]
    }

    /// GoyaVision's unnamed progress message: `{status, progress, current_node, node_executions, error}`.
    static func goyaProgressMessage(_ task: TaskRecord, in tx: DatabaseTransaction) async throws -> JSONValue? {
        let fields = try await goyaTaskFields(task, in: tx)
        guard !fields.isEmpty else { return nil }
        return [
            "status": .string(goyaStatus(task.status)), "progress": .int(Int64(task.progress)), "current_node": fields["current_node"] ?? .null,
            "node_executions": fields["node_executions"] ?? [], "error": fields["error"] ?? .null,
        ]
    }

    /// AutoMaticWorker's execution log: each node's start and end, with what it logged.
    static func logs(_ nodes: [StoredNodeRun]) -> [FlowLogLine] {
        var lines: [FlowLogLine] = []
        for node in nodes.sorted(by: { ($0.startedAt ?? .distantFuture, $0.position) < ($1.startedAt ?? .distantFuture, $1.position) }) {
            guard let started = node.startedAt else { continue }
            lines.append(FlowLogLine(timestamp: started, level: .info, nodeID: node.nodeKey, message: "\(node.nodeType) node \(node.nodeKey) started"))
            lines += node.logs
            if let completed = node.completedAt {
                switch node.status {
                case .success:
                    lines.append(FlowLogLine(timestamp: completed, level: .info, nodeID: node.nodeKey, message: "node \(node.nodeKey) succeeded"))
                case .failed:
                    lines.append(FlowLogLine(timestamp: completed, level: .error, nodeID: node.nodeKey, message: "node \(node.nodeKey) failed: \(node.error ?? "failed")"))
                default:
                    break
                }
            }
        }
        return Array(lines.prefix(1000))
    }
}
