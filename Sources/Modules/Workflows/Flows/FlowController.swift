import FlowEngine
import Foundation
import HTTPTypes
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// AutoMaticWorker's flows: the editor's graphs (the same workflows GoyaVision's API edits),
/// executed synchronously or not, exported as Python or JSON.
struct FlowController: Sendable {
    let database: Database
    let bus: EventBus
    let service: WorkflowService
    /// How long a synchronous execution waits before answering 202.
    let syncWait: Duration
    var store: WorkflowStore { service.store }
    var runs: RunStore { service.runs }

    struct ExecuteInput: Codable, Sendable {
        var inputData: JSONValue?
        var async: Bool?
    }

    struct ExecutionAccepted: Codable, Sendable, ResponseEncodable {
        var executionId: UUID
        var status: String
        var message: String
    }

    struct ExecutionResult: Codable, Sendable {
        var output: JSONValue
        var executionTime: Double?
        var error: JSONValue?
    }

    struct ExecutionAnswer: Codable, Sendable, ResponseEncodable {
        var executionId: UUID
        var status: String
        var result: ExecutionResult?
        var message: String?
    }

    struct ExecutionNode: Codable, Sendable {
        var id: String
        var type: String
        var status: String
        var attempts: Int
        var startedAt: Date?
        var completedAt: Date?
        var durationMs: Int?
        var error: String?
    }

    struct ExecutionView: Codable, Sendable, ResponseEncodable {
        var executionId: UUID
        var flowId: UUID
        var status: String
        var startTime: Date?
        var endTime: Date?
        var executionTime: Double?
        var result: ExecutionResult?
        var logs: [FlowLogLine]
        var inputData: JSONValue
        var revision: Int
        var trigger: String
        var nodes: [ExecutionNode]
    }

    struct ExecutionSummary: Codable, Sendable {
        var executionId: UUID
        var status: String
        var startTime: Date?
        var endTime: Date?
        var executionTime: Double?
    }

    struct ExecutionList: Codable, Sendable, ResponseEncodable {
        var executions: [ExecutionSummary]
        var pagination: Pagination
    }

    enum FlowExecutionStatus: String, Codable, Sendable, CaseIterable, SchemaEnum {
        case queued, running, completed, failed, cancelled

        var taskStatuses: [String] {
            switch self {
            case .queued: ["pending", "queued"]
            default: [rawValue]
            }
        }
    }

    struct ExecutionsQuery: QueryInput {
        var paging: PageRequest
        var status: FlowExecutionStatus?
    }

    enum ExportFormat: String, Codable, Sendable, CaseIterable, SchemaEnum { case python, json }

    struct ExportQuery: QueryInput {
        var format: ExportFormat?
        static let parameterDocs: [String: QueryParameterDoc] = ["format": .init("python (a standalone script) or json (re-importable)", default: "python")]
    }

    func register(flows: RouteGroup, executions: RouteGroup) {
        let id = [RouteParameter.uuid("flow_id")]
        flows.get("", "List flows", .permission("workflow:definition:list"), query: PagingQuery.self, use: list)
        flows.post("", "Create a flow", .permission("workflow:definition:create"), body: FlowInput.self, use: create)
        flows.get("/{flow_id}", "One flow with its nodes and edges", .permission("workflow:definition:read"), parameters: id, use: get)
        flows.put("/{flow_id}", "Change a flow (a changed graph becomes a new revision)", .permission("workflow:definition:update"), parameters: id,
                  body: FlowInput.self, use: update)
        flows.delete("/{flow_id}", "Delete a flow", .permission("workflow:definition:delete"), parameters: id, use: delete)
        flows.post(
            "/{flow_id}/execute", "Run a flow: wait for its result, or with `async: true` get an execution id at once",
            .permission("workflow:definition:execute"), parameters: id, body: ExecuteInput.self, bodyRequired: false,
            responses: [
                .json(.ok, ExecutionAnswer.self, "The run finished (completed, failed or cancelled)"),
                .json(.accepted, ExecutionAccepted.self, "Queued (async), or still running when the wait ended"),
                .error(.conflict, "The flow is disabled or empty"),
            ], use: execute)
        flows.get("/{flow_id}/executions", "A flow's executions, newest first", .permission("workflow:execution:read"), query: ExecutionsQuery.self,
                  parameters: id, use: executionsOfFlow)
        flows.get(
            "/{flow_id}/export", "The flow as a standalone Python script or as re-importable JSON", .permission("workflow:definition:read"),
            query: ExportQuery.self, parameters: id,
            responses: [
                .text(contentType: "application/octet-stream", "The Python script (an attachment)"),
                .error(.unprocessableContent, "A node kind cannot be exported (details.nodes)"),
            ], use: export)
        executions.get("/{execution_id}", "One execution: status, timing, result and logs", .permission("workflow:execution:read"),
                       parameters: [.uuid("execution_id")], use: execution)
    }

    // MARK: Views

    static func view(_ workflow: StoredWorkflow) -> FlowView {
        FlowView(
            id: workflow.id, name: workflow.name, description: workflow.description, nodes: GraphCoding.flowNodes(workflow.graph),
            edges: GraphCoding.flowEdges(workflow.graph), triggerType: workflow.triggerType, status: workflow.status,
            currentRevision: workflow.currentRevision, createdAt: workflow.createdAt, updatedAt: workflow.updatedAt)
    }

    static func seconds(_ run: StoredRun) -> Double? {
        guard run.isFinished, let milliseconds = run.durationMilliseconds else { return nil }
        return Double(milliseconds) / 1000
    }

    static func result(_ run: StoredRun) -> ExecutionResult? {
        guard run.isFinished else { return nil }
        var error: JSONValue?
        if run.status != .completed {
            error = ["node_id": run.failedNode.map { .string($0) } ?? .null, "message": .string(run.errorMessage ?? run.taskError ?? run.status.rawValue)]
        }
        return ExecutionResult(output: run.output ?? .null, executionTime: seconds(run), error: error)
    }

    func find(_ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> StoredWorkflow {
        let id = try context.pathUUID("flow_id", or: .flowNotFound)
        guard let workflow = try await store.find(id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.flowNotFound }
        return workflow
    }

    func graph(_ input: FlowInput) throws -> FlowGraph? {
        guard input.nodes != nil || input.edges != nil || input.connections != nil else { return nil }
        do {
            return try GraphCoding.graph(fromFlow: input.nodes ?? [], input.edges ?? input.connections ?? [])
        } catch {
            throw APIError.validation(error.fields)
        }
    }

    // MARK: Handlers

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> FlowList {
        let page = try request.query(PagingQuery.self).paging
        let filter = WorkflowFilter(tenantID: context.principal.tenantID)
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.count(filter, in: tx)
            let items = try await store.list(filter, page: page, order: "w.updated_at DESC, w.id DESC", in: tx).map { workflow in
                FlowSummary(
                    id: workflow.id, name: workflow.name, description: workflow.description, createdAt: workflow.createdAt, updatedAt: workflow.updatedAt,
                    nodesCount: workflow.graph.nodes.count, edgesCount: workflow.graph.edges.count, connectionsCount: workflow.graph.edges.count)
            }
            return FlowList(flows: items, pagination: Pagination(page: page, total: total))
        }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<FlowView> {
        let input = try await request.decode(as: FlowInput.self, context: context)
        guard let name = input.name?.trimmingCharacters(in: .whitespaces), !name.isEmpty else { throw APIError.validation(["name": "must not be empty"]) }
        // The editor starts every flow with a start and an end, joined so that it runs.
        let graph = try graph(input) ?? FlowGraph(
            nodes: [
                FlowNode(key: "start", type: "start", config: ["label": "Start"], position: FlowPosition(x: 100, y: 150)),
                FlowNode(key: "end", type: "end", config: ["label": "End"], position: FlowPosition(x: 500, y: 150)),
            ],
            edges: [FlowEdge(id: "edge-1", source: "start", target: "end")])
        let id = UUID.v7()
        let fields = WorkflowFields(
            code: "flow-" + id.uuidString.lowercased().replacingOccurrences(of: "-", with: "").suffix(12), name: name,
            description: input.description ?? "", triggerType: .manual, status: .enabled, graph: graph)
        let workflow = try await database.withTenant(context.tenant) { tx in
            try await service.create(fields, origin: "flows", scope: context.tenant, ownerID: context.principal.userID, in: tx)
        }
        return Created(Self.view(workflow))
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> FlowView {
        try await database.withTenant(context.tenant) { tx in Self.view(try await find(context, in: tx)) }
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> FlowView {
        let input = try await request.decode(as: FlowInput.self, context: context)
        if let name = input.name, name.trimmingCharacters(in: .whitespaces).isEmpty { throw APIError.validation(["name": "must not be empty"]) }
        let newGraph = try graph(input)
        return try await database.withTenant(context.tenant) { tx in
            let current = try await find(context, in: tx)
            var graph = newGraph
            if input.nodes == nil, let edges = newGraph?.edges { graph = FlowGraph(nodes: current.graph.nodes, edges: edges) }
            let fields = WorkflowFields(name: input.name?.trimmingCharacters(in: .whitespaces), description: input.description, graph: graph)
            return Self.view(try await service.update(current, fields, scope: context.tenant, by: context.principal.userID, in: tx))
        }
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> Message {
        try await database.withTenant(context.tenant) { tx in
            let workflow = try await find(context, in: tx)
            try await store.softDelete(workflow.id, tenantID: context.principal.tenantID, in: tx)
            try await service.publish("workflow.deleted", workflow, tenantID: context.principal.tenantID, in: tx)
        }
        return Message(message: "Flow deleted successfully")
    }

    func execute(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let body = try await request.decodeIfPresent(as: ExecuteInput.self, context: context) ?? ExecuteInput()
        let input = body.inputData ?? [:]
        guard case .object = input else { throw APIError.validation(["input_data": "must be an object"]) }
        let tenantID = context.principal.tenantID
        // Subscribe before the run exists, so its end cannot slip by unseen.
        let subscription = bus.subscribe(tenantID: tenantID, typePrefixes: ["task.completed", "task.failed", "task.cancelled"])
        defer { bus.unsubscribe(subscription.id) }
        let task = try await database.withTenant(context.tenant) { tx -> TaskRecord in
            let workflow = try await find(context, in: tx)
            if workflow.status == .disabled { throw APIError.workflowDisabled }
            guard let task = try await service.startRun(workflow, input: input, trigger: "api", tenantID: tenantID, ownerID: context.principal.userID, in: tx) else {
                throw APIError.internalError
            }
            return task
        }
        if body.async == true {
            return try Self.encode(ExecutionAccepted(executionId: task.id, status: "queued", message: "Flow execution queued"), status: .accepted, request, context)
        }
        let finished = await Self.waitForEnd(of: task.id, events: subscription.events, limit: syncWait)
        let run = try await database.withTenant(context.tenant) { tx in try await runs.find(task.id, tenantID: tenantID, in: tx) }
        guard let run, finished || run.isFinished else {
            return try Self.encode(
                ExecutionAnswer(executionId: task.id, status: "running", result: nil, message: "Execution continues asynchronously"),
                status: .accepted, request, context)
        }
        return try Self.encode(ExecutionAnswer(executionId: task.id, status: RunViews.flowStatus(run.status), result: Self.result(run)), status: .ok, request, context)
    }

    /// Whether the task's end arrived within `limit`.
    static func waitForEnd(of taskID: UUID, events: AsyncStream<PlatformEvent>, limit: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await event in events where event.subjectId == taskID { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    static func encode(_ value: some ResponseEncodable, status: HTTPResponse.Status, _ request: Request, _ context: AuthenticatedContext) throws -> Response {
        var response = try value.response(from: request, context: context)
        response.status = status
        return response
    }

    func executionsOfFlow(_ request: Request, _ context: AuthenticatedContext) async throws -> ExecutionList {
        let query = try request.query(ExecutionsQuery.self)
        return try await database.withTenant(context.tenant) { tx in
            let workflow = try await find(context, in: tx)
            let filter = RunFilter(tenantID: context.principal.tenantID, workflowID: workflow.id, statuses: query.status?.taskStatuses)
            let total = try await runs.count(filter, in: tx)
            let items = try await runs.list(filter, page: query.paging, in: tx).map { run in
                ExecutionSummary(
                    executionId: run.taskId, status: RunViews.flowStatus(run.status), startTime: run.startedAt, endTime: run.completedAt,
                    executionTime: Self.seconds(run))
            }
            return ExecutionList(executions: items, pagination: Pagination(page: query.paging, total: total))
        }
    }

    func execution(_ request: Request, _ context: AuthenticatedContext) async throws -> ExecutionView {
        let id = try context.pathUUID("execution_id", or: .executionNotFound)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            guard let run = try await runs.find(id, tenantID: tenantID, in: tx) else { throw APIError.executionNotFound }
            let nodes = try await runs.nodes(of: id, tenantID: tenantID, in: tx)
            return ExecutionView(
                executionId: run.taskId, flowId: run.workflowId, status: RunViews.flowStatus(run.status), startTime: run.startedAt,
                endTime: run.completedAt, executionTime: Self.seconds(run), result: Self.result(run), logs: RunViews.logs(nodes),
                inputData: run.input, revision: run.revision, trigger: run.trigger,
                nodes: nodes.map { node in
                    ExecutionNode(
                        id: node.nodeKey, type: node.nodeType, status: RunViews.nodeStatus(node, runFinished: run.isFinished), attempts: node.attempts,
                        startedAt: node.startedAt, completedAt: node.completedAt, durationMs: node.durationMilliseconds, error: node.error)
                })
        }
    }

    func export(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let format = try request.query(ExportQuery.self).format ?? .python
        let workflow = try await database.withTenant(context.tenant) { tx in try await find(context, in: tx) }
        let stem = "flow_\(workflow.id.uuidString.lowercased())"
        switch format {
        case .python:
            let script: String
            do {
                script = try PythonExport.script(name: workflow.name, graph: workflow.graph, registry: service.registry)
            } catch let unsupported as PythonExport.Unsupported {
                throw APIError(
                    .unprocessableContent, code: "EXPORT_UNSUPPORTED", message: "Some nodes need the platform and cannot be exported",
                    details: ["nodes": .object(unsupported.nodes.mapValues { .string($0) })])
            }
            return Response(
                status: .ok,
                headers: [.contentType: "application/octet-stream", .contentDisposition: "attachment; filename=\"\(stem).py\""],
                body: .init(byteBuffer: ByteBuffer(string: script)))
        case .json:
            let document: JSONValue = [
                "name": .string(workflow.name), "description": .string(workflow.description),
                "nodes": try JSONValue.encoding(GraphCoding.flowNodes(workflow.graph)), "edges": try JSONValue.encoding(GraphCoding.flowEdges(workflow.graph)),
                "trigger_type": .string(workflow.triggerType.rawValue), "trigger_conf": workflow.triggerConf, "context_spec": workflow.contextSpec,
                "exported_at": .string(RFC3339.string(from: Date())), "format_version": 1,
            ]
            return Response(
                status: .ok,
                headers: [.contentType: "application/json", .contentDisposition: "attachment; filename=\"\(stem).json\""],
                body: .init(byteBuffer: ByteBuffer(string: FlowExpression.json(document))))
        }
    }
}

extension JSONValue {
    /// Any Encodable as a JSON value, with the platform's conventions.
    static func encoding(_ value: some Encodable) throws -> JSONValue {
        try PlatformJSON.makeDecoder().decode(JSONValue.self, from: PlatformJSON.makeEncoder().encode(value))
    }
}
