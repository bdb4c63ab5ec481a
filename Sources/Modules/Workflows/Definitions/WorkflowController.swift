import FlowEngine
import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// GoyaVision's workflows: definitions with immutable revisions, enable/disable, trigger.
struct WorkflowController: Sendable {
    let database: Database
    let service: WorkflowService
    var store: WorkflowStore { service.store }

    struct ListQuery: QueryInput {
        var paging: PageRequest
        var status: WorkflowStatus?
        var triggerType: TriggerType?
        var tags: String?
        var keyword: String?
        static let parameterDocs: [String: QueryParameterDoc] = [
            "tags": .init("Comma-separated; a workflow with any of them matches"), "keyword": .init("Words in the name, code or description", maxLength: 200),
        ]
    }

    struct DetailQuery: QueryInput {
        var withNodes: Bool?
        static let parameterDocs: [String: QueryParameterDoc] = ["with_nodes": .init("Include nodes and edges", default: false)]
    }

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("id")]
        routes.get("", "List workflows", .permission("workflow:definition:list"), query: ListQuery.self, use: list)
        routes.post(
            "", "Create a workflow (revision 1 is made and activated)", .permission("workflow:definition:create"), body: WorkflowInput.self,
            responses: [.error(.conflict, "The code is taken in this tenant")], use: create)
        routes.get("/{id}", "One workflow (?with_nodes=true for its graph)", .permission("workflow:definition:read"), query: DetailQuery.self, parameters: id, use: get)
        routes.put(
            "/{id}", "Change a workflow; a change of definition becomes a new active revision", .permission("workflow:definition:update"),
            parameters: id, body: WorkflowInput.self, use: update)
        routes.delete("/{id}", "Delete a workflow (runs in flight finish on their revision)", .permission("workflow:definition:delete"), parameters: id,
                      responses: [.noContent("Deleted")], use: delete)
        routes.post(
            "/{id}/enable", "Enable a workflow (its schedule and triggers start)", .permission("workflow:definition:publish"), parameters: id,
            responses: [.error(.conflict, "The workflow has no nodes")], use: enable)
        routes.post("/{id}/disable", "Disable a workflow", .permission("workflow:definition:publish"), parameters: id, use: disable)
        routes.post(
            "/{id}/trigger", "Run a workflow now: the answer is the run's task", .permission("workflow:definition:execute"), parameters: id,
            body: TriggerInput.self, bodyRequired: false, responses: [.json(.accepted, TaskView.self), .error(.conflict, "The workflow is not enabled, or empty")],
            use: trigger)
        routes.get("/{id}/revisions", "The workflow's revisions, newest first", .permission("workflow:definition:read"), query: PagingQuery.self,
                   parameters: id, use: revisions)
        routes.get(
            "/{id}/revisions/{revision}", "One revision by its number", .permission("workflow:definition:read"),
            parameters: id + [.path("revision", ["type": "integer", "minimum": 1])], use: revision)
        routes.post(
            "/{id}/revisions", "Make a revision of the current definition (or of `from_revision`); `activate` makes it the active one",
            .permission("workflow:definition:update"), parameters: id, body: RevisionInput.self, bodyRequired: false,
            responses: [.json(.created, RevisionView.self)], use: createRevision)
    }

    // MARK: Views

    static func view(_ workflow: StoredWorkflow, withNodes: Bool) -> WorkflowView {
        WorkflowView(
            id: workflow.id, code: workflow.code, name: workflow.name, description: workflow.description, version: workflow.version,
            currentRevisionId: workflow.currentRevisionId, currentRevision: workflow.currentRevision, triggerType: workflow.triggerType,
            triggerConf: workflow.triggerConf, contextSpec: workflow.contextSpec, status: workflow.status, tags: workflow.tags,
            visibility: workflow.visibility, visibleRoleIds: workflow.visibleRoleIds, createdAt: workflow.createdAt, updatedAt: workflow.updatedAt,
            nodes: withNodes ? GraphCoding.goyaNodes(workflow.graph, workflowID: workflow.id) : nil,
            edges: withNodes ? GraphCoding.goyaEdges(workflow.graph, workflowID: workflow.id) : nil)
    }

    static func view(_ revision: StoredRevision) -> RevisionView {
        let definition = revision.definition
        return RevisionView(
            id: revision.id, workflowId: revision.workflowId, revision: revision.revision, status: revision.status,
            definition: GoyaDefinition(
                version: definition.version, triggerType: definition.triggerType, triggerConf: definition.triggerConf, contextSpec: definition.contextSpec,
                nodes: GraphCoding.goyaNodes(definition.graph, workflowID: revision.workflowId), edges: GraphCoding.goyaEdges(definition.graph, workflowID: revision.workflowId)),
            createdAt: revision.createdAt, updatedAt: revision.updatedAt)
    }

    func fields(_ input: WorkflowInput) throws -> WorkflowFields {
        var graph: FlowGraph?
        if input.nodes != nil || input.edges != nil {
            do {
                graph = try GraphCoding.graph(fromGoya: input.nodes ?? [], input.edges ?? [])
            } catch {
                throw APIError.validation(error.fields)
            }
        }
        return WorkflowFields(
            code: input.code, name: input.name?.trimmingCharacters(in: .whitespaces), description: input.description, version: input.version,
            triggerType: input.triggerType, triggerConf: input.triggerConf, contextSpec: input.contextSpec, status: input.status, tags: input.tags,
            visibility: input.visibility?.value, visibleRoleIds: input.visibleRoleIds, graph: graph)
    }

    func find(_ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> StoredWorkflow {
        let id = try context.pathUUID("id", or: .workflowNotFound)
        guard let workflow = try await store.find(id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.workflowNotFound }
        return workflow
    }

    // MARK: Handlers

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> WorkflowList {
        let query = try request.query(ListQuery.self)
        let tags = query.tags.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        let filter = WorkflowFilter(tenantID: context.principal.tenantID, status: query.status, triggerType: query.triggerType, tags: tags, keyword: query.keyword)
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.count(filter, in: tx)
            let items = try await store.list(filter, page: query.paging, in: tx).map { Self.view($0, withNodes: false) }
            return WorkflowList(items: items, total: total, limit: query.paging.limit, offset: query.paging.offset, hasMore: query.paging.offset + items.count < total)
        }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> WorkflowView {
        let withNodes = try request.query(DetailQuery.self).withNodes ?? false
        let id = try context.pathUUID("id", or: .workflowNotFound)
        return try await database.withTenant(context.tenant) { tx in
            // Another tenant's public workflow may be read, never changed.
            if let own = try await store.find(id, tenantID: context.principal.tenantID, in: tx) { return Self.view(own, withNodes: withNodes) }
            guard let shared = try await store.findPublic(id, in: tx) else { throw APIError.workflowNotFound }
            return Self.view(shared, withNodes: withNodes)
        }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<WorkflowView> {
        let input = try await request.decode(as: WorkflowInput.self, context: context)
        if input.triggerType == nil { throw APIError.validation(["trigger_type": "is required (manual, schedule, event, asset_new or asset_done)"]) }
        let fields = try fields(input)
        let workflow = try await database.withTenant(context.tenant) { tx in
            try await service.create(fields, origin: "workflows", scope: context.tenant, ownerID: context.principal.userID, in: tx)
        }
        return Created(Self.view(workflow, withNodes: true))
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> WorkflowView {
        let input = try await request.decode(as: WorkflowInput.self, context: context)
        if input.code != nil { throw APIError.validation(["code": "cannot be changed"]) }
        let fields = try fields(input)
        return try await database.withTenant(context.tenant) { tx in
            let current = try await find(context, in: tx)
            var change = fields
            // Edges alone replace the edges; nodes (even none) replace the graph.
            if input.nodes == nil, input.edges != nil, let edges = fields.graph?.edges { change.graph = FlowGraph(nodes: current.graph.nodes, edges: edges) }
            return Self.view(try await service.update(current, change, scope: context.tenant, by: context.principal.userID, in: tx), withNodes: true)
        }
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        try await database.withTenant(context.tenant) { tx in
            let workflow = try await find(context, in: tx)
            try await store.softDelete(workflow.id, tenantID: context.principal.tenantID, in: tx)
            try await service.publish("workflow.deleted", workflow, tenantID: context.principal.tenantID, in: tx)
        }
        return NoContent()
    }

    func enable(_ request: Request, _ context: AuthenticatedContext) async throws -> WorkflowView {
        try await database.withTenant(context.tenant) { tx in
            let current = try await find(context, in: tx)
            guard current.status != .enabled else { return Self.view(current, withNodes: true) }
            return Self.view(try await service.setStatus(current, .enabled, scope: context.tenant, by: context.principal.userID, in: tx), withNodes: true)
        }
    }

    func disable(_ request: Request, _ context: AuthenticatedContext) async throws -> WorkflowView {
        try await database.withTenant(context.tenant) { tx in
            let current = try await find(context, in: tx)
            guard current.status != .disabled else { return Self.view(current, withNodes: false) }
            return Self.view(try await service.setStatus(current, .disabled, scope: context.tenant, by: context.principal.userID, in: tx), withNodes: false)
        }
    }

    func trigger(_ request: Request, _ context: AuthenticatedContext) async throws -> Accepted<TaskView> {
        let body = try await request.decodeIfPresent(as: TriggerInput.self, context: context)
        var input: [String: JSONValue] = [:]
        if let params = body?.inputParams {
            guard case .object(let given) = params else { throw APIError.validation(["input_params": "must be an object"]) }
            input = given
        }
        if let asset = body?.assetId { input["asset_id"] = .string(asset.uuidString.lowercased()) }
        let view = try await database.withTenant(context.tenant) { tx -> TaskView in
            let workflow = try await find(context, in: tx)
            guard workflow.status == .enabled else { throw APIError.workflowNotEnabled }
            guard let task = try await service.startRun(
                workflow, input: .object(input), trigger: "manual", assetID: body?.assetId, tenantID: context.principal.tenantID,
                ownerID: context.principal.userID, in: tx)
            else { throw APIError.internalError }
            return TaskView(task, extra: try await RunViews.goyaTaskFields(task, in: tx))
        }
        return Accepted(view)
    }

    func revisions(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<RevisionView> {
        let page = try request.query(PagingQuery.self).paging
        return try await database.withTenant(context.tenant) { tx in
            let workflow = try await find(context, in: tx)
            let total = try await store.revisionCount(of: workflow.id, tenantID: context.principal.tenantID, in: tx)
            let items = try await store.revisions(of: workflow.id, tenantID: context.principal.tenantID, page: page, in: tx).map(Self.view)
            return Page(items: items, total: total, request: page)
        }
    }

    func revision(_ request: Request, _ context: AuthenticatedContext) async throws -> RevisionView {
        guard let number = context.parameters.get("revision", as: Int.self), number >= 1 else {
            throw APIError.validation(["revision": "must be a revision number (1 or more)"])
        }
        return try await database.withTenant(context.tenant) { tx in
            let workflow = try await find(context, in: tx)
            guard let revision = try await store.revision(number, of: workflow.id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.revisionNotFound }
            return Self.view(revision)
        }
    }

    func createRevision(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<RevisionView> {
        let body = try await request.decodeIfPresent(as: RevisionInput.self, context: context) ?? RevisionInput()
        let activate = body.activate ?? false
        if activate && !context.principal.holds("workflow:definition:publish") { throw APIError.forbidden(permission: "workflow:definition:publish") }
        let tenantID = context.principal.tenantID
        let revision = try await database.withTenant(context.tenant) { tx -> StoredRevision in
            let workflow = try await find(context, in: tx)
            var definition = workflow.definition
            if let from = body.fromRevision {
                guard let source = try await store.revision(from, of: workflow.id, tenantID: tenantID, in: tx) else { throw APIError.revisionNotFound }
                definition = source.definition
            }
            if activate, !definition.graph.nodes.isEmpty {
                let problems = FlowValidator.problems(definition.graph, registry: service.registry)
                if !problems.isEmpty { throw APIError.invalidGraph(problems) }
            }
            let revision = try await store.addRevision(definition, workflowID: workflow.id, tenantID: tenantID, activate: activate, by: context.principal.userID, in: tx)
            if activate, let updated = try await store.find(workflow.id, tenantID: tenantID, in: tx) {
                try await store.schedule(workflow.id, tenantID: tenantID, next: WorkflowService.nextFire(updated), in: tx)
            }
            return revision
        }
        return Created(Self.view(revision))
    }
}
