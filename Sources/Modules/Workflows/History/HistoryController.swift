import FlowEngine
import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// The content platform's workflow history and statistics, computed from real runs.
struct HistoryController: Sendable {
    let database: Database
    let runs = RunStore()
    let workflows = WorkflowStore()

    enum HistoryStatus: String, Codable, Sendable, CaseIterable, SchemaEnum {
        case success, failure, pending, running, cancelled

        var taskStatuses: [String] {
            switch self {
            case .success: ["completed"]
            case .failure: ["failed"]
            case .pending: ["pending", "queued"]
            case .running: ["running"]
            case .cancelled: ["cancelled"]
            }
        }
    }

    struct HistoryQuery: QueryInput {
        var paging: PageRequest
        var status: HistoryStatus?
        var workflowId: UUID?
    }

    struct WorkflowHistoryQuery: QueryInput {
        var paging: PageRequest
        var status: HistoryStatus?
    }

    struct WindowQuery: QueryInput {
        var days: Int?
        var workflowId: UUID?
        static let parameterDocs: [String: QueryParameterDoc] = ["days": .init("The window, in days", minimum: 1, maximum: 365)]
    }

    struct Item: Codable, Sendable {
        var id: UUID
        var workflowId: UUID
        var workflowName: String
        var workflowType: String
        var status: String
        var startedAt: Date?
        var completedAt: Date?
        var durationMs: Int?
        var errorMessage: String?
    }

    struct History: Codable, Sendable, ResponseEncodable {
        var executions: [Item]
        var total: Int
        var limit: Int
        var offset: Int
        var statusFilter: String?
    }

    struct WorkflowHistory: Codable, Sendable, ResponseEncodable {
        var workflowId: UUID
        var executions: [Item]
        var total: Int
        var limit: Int
        var offset: Int
    }

    struct Step: Codable, Sendable {
        var stepName: String
        var nodeType: String
        var status: String
        var durationMs: Int?
        var output: JSONValue?
        var startedAt: Date?
        var completedAt: Date?
        var attempts: Int
        var error: String?
    }

    struct Details: Codable, Sendable, ResponseEncodable {
        var id: UUID
        var workflowId: UUID
        var workflowName: String
        var status: String
        var startedAt: Date?
        var completedAt: Date?
        var durationMs: Int?
        var inputData: JSONValue
        var outputData: JSONValue?
        var errorMessage: String?
        var steps: [Step]
    }

    struct WorkflowStatistics: Codable, Sendable {
        var workflowId: UUID
        var workflowName: String
        var workflowType: String
        var executions: Int
        var completed: Int
        var failed: Int
        var successRate: Double
        var avgDurationMs: Int?
    }

    struct Statistics: Codable, Sendable, ResponseEncodable {
        var totalExecutions: Int
        var successRate: Double
        var avgDurationMs: Int?
        var workflows: [WorkflowStatistics]
        var periodDays: Int
        var completedExecutions: Int
        var failedExecutions: Int
        var firstExecution: Date?
        var lastExecution: Date?
        var mostCommonWorkflow: String?
    }

    struct NodeTypeMetrics: Codable, Sendable {
        var nodeType: String
        var executions: Int
        var avgDurationMs: Int?
        var peakDurationMs: Int?
        var failureRate: Double
    }

    struct Performance: Codable, Sendable, ResponseEncodable {
        var throughput: Double
        var throughputUnit: String
        var avgLatencyMs: Int?
        var peakLatencyMs: Int?
        var bottleneck: String?
        var windowDays: Int
        var nodeTypes: [NodeTypeMetrics]
    }

    func register(in routes: RouteGroup) {
        routes.get("/history", "Runs of the tenant's workflows, newest first", .permission("workflow:execution:read"), query: HistoryQuery.self, use: history)
        routes.get("/statistics", "Run counts, success rate and durations, per workflow", .permission("workflow:execution:stats"), query: WindowQuery.self, use: statistics)
        routes.get(
            "/performance-metrics", "Throughput, latency and the slowest node kind over a window", .permission("workflow:execution:stats"),
            query: WindowQuery.self, use: performance)
        // The seed names these {execution_id} and {workflow_id}; the router needs one name for
        // the segment both share, so it is {id} (the URLs are the seed's).
        routes.get(
            "/{id}/details", "One run, step by step", .permission("workflow:execution:read"),
            parameters: [.uuid("id", description: "The execution (run) id")], use: details)
        routes.get(
            "/{id}/history", "One workflow's runs, newest first", .permission("workflow:execution:read"), query: WorkflowHistoryQuery.self,
            parameters: [.uuid("id", description: "The workflow id")], use: workflowHistory)
    }

    static func item(_ run: StoredRun) -> Item {
        Item(
            id: run.taskId, workflowId: run.workflowId, workflowName: run.workflowName, workflowType: run.workflowCode,
            status: RunViews.historyStatus(run.status), startedAt: run.startedAt, completedAt: run.isFinished ? run.completedAt : nil,
            durationMs: run.isFinished ? run.durationMilliseconds : nil, errorMessage: run.errorMessage ?? (run.status == .failed ? run.taskError : nil))
    }

    static func ratio(_ part: Int, _ whole: Int) -> Double { whole == 0 ? 0 : (Double(part) / Double(whole) * 10_000).rounded() / 10_000 }

    func history(_ request: Request, _ context: AuthenticatedContext) async throws -> History {
        let query = try request.query(HistoryQuery.self)
        let filter = RunFilter(tenantID: context.principal.tenantID, workflowID: query.workflowId, statuses: query.status?.taskStatuses)
        return try await database.withTenant(context.tenant) { tx in
            let total = try await runs.count(filter, in: tx)
            let items = try await runs.list(filter, page: query.paging, in: tx).map(Self.item)
            return History(executions: items, total: total, limit: query.paging.limit, offset: query.paging.offset, statusFilter: query.status?.rawValue)
        }
    }

    func workflowHistory(_ request: Request, _ context: AuthenticatedContext) async throws -> WorkflowHistory {
        let id = try context.pathUUID("id", or: .workflowNotFound)
        let query = try request.query(WorkflowHistoryQuery.self)
        let filter = RunFilter(tenantID: context.principal.tenantID, workflowID: id, statuses: query.status?.taskStatuses)
        return try await database.withTenant(context.tenant) { tx in
            guard try await workflows.find(id, tenantID: context.principal.tenantID, in: tx) != nil else { throw APIError.workflowNotFound }
            let total = try await runs.count(filter, in: tx)
            let items = try await runs.list(filter, page: query.paging, in: tx).map(Self.item)
            return WorkflowHistory(workflowId: id, executions: items, total: total, limit: query.paging.limit, offset: query.paging.offset)
        }
    }

    func details(_ request: Request, _ context: AuthenticatedContext) async throws -> Details {
        let id = try context.pathUUID("id", or: .executionNotFound)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            guard let run = try await runs.find(id, tenantID: tenantID, in: tx) else { throw APIError.executionNotFound }
            let nodes = try await runs.nodes(of: id, tenantID: tenantID, in: tx)
            let ordered = nodes.sorted { ($0.startedAt ?? .distantFuture, $0.position) < ($1.startedAt ?? .distantFuture, $1.position) }
            let steps = ordered.map { node in
                let status = RunViews.nodeStatus(node, runFinished: run.isFinished)
                return Step(
                    stepName: node.nodeKey, nodeType: node.nodeType, status: status == "success" ? "completed" : status,
                    durationMs: node.durationMilliseconds, output: node.output, startedAt: node.startedAt, completedAt: node.completedAt,
                    attempts: node.attempts, error: node.error)
            }
            return Details(
                id: run.taskId, workflowId: run.workflowId, workflowName: run.workflowName, status: RunViews.historyStatus(run.status),
                startedAt: run.startedAt, completedAt: run.isFinished ? run.completedAt : nil, durationMs: run.isFinished ? run.durationMilliseconds : nil,
                inputData: run.input, outputData: run.output, errorMessage: run.errorMessage, steps: steps)
        }
    }

    func statistics(_ request: Request, _ context: AuthenticatedContext) async throws -> Statistics {
        let query = try request.query(WindowQuery.self)
        let days = query.days ?? 30
        let filter = RunFilter(tenantID: context.principal.tenantID, workflowID: query.workflowId, since: Date().addingTimeInterval(-Double(days) * 86_400))
        return try await database.withTenant(context.tenant) { tx in
            let totals = try await runs.totals(filter, in: tx)
            let per = try await runs.perWorkflow(filter, in: tx)
            return Statistics(
                totalExecutions: totals.total, successRate: Self.ratio(totals.completed, totals.completed + totals.failed),
                avgDurationMs: totals.averageMilliseconds.map { Int($0.rounded()) },
                workflows: per.map {
                    WorkflowStatistics(
                        workflowId: $0.workflowId, workflowName: $0.workflowName, workflowType: $0.workflowType, executions: $0.executions,
                        completed: $0.completed, failed: $0.failed, successRate: Self.ratio($0.completed, $0.completed + $0.failed),
                        avgDurationMs: $0.averageMilliseconds.map { Int($0.rounded()) })
                },
                periodDays: days, completedExecutions: totals.completed, failedExecutions: totals.failed, firstExecution: totals.firstExecution,
                lastExecution: totals.lastExecution, mostCommonWorkflow: per.first?.workflowName)
        }
    }

    func performance(_ request: Request, _ context: AuthenticatedContext) async throws -> Performance {
        let query = try request.query(WindowQuery.self)
        let days = query.days ?? 7
        let filter = RunFilter(
            tenantID: context.principal.tenantID, workflowID: query.workflowId, statuses: ["completed", "failed"],
            since: Date().addingTimeInterval(-Double(days) * 86_400))
        return try await database.withTenant(context.tenant) { tx in
            let totals = try await runs.totals(filter, in: tx)
            let kinds = try await runs.perNodeType(filter, in: tx)
            let finished = totals.completed + totals.failed
            return Performance(
                throughput: (Double(finished) / (Double(days) * 24) * 100).rounded() / 100, throughputUnit: "runs_per_hour",
                avgLatencyMs: totals.averageMilliseconds.map { Int($0.rounded()) }, peakLatencyMs: totals.peakMilliseconds.map { Int($0.rounded()) },
                bottleneck: kinds.first?.nodeType, windowDays: days,
                nodeTypes: kinds.map {
                    NodeTypeMetrics(
                        nodeType: $0.nodeType, executions: $0.executions, avgDurationMs: $0.averageMilliseconds.map { Int($0.rounded()) },
                        peakDurationMs: $0.peakMilliseconds.map { Int($0.rounded()) }, failureRate: Self.ratio($0.failures, $0.executions))
                })
        }
    }
}
