import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// The short-video seed's projects: parameters checked against their type's schema, tasks on the
/// task engine (linked by `project_id`), counters kept by the task events, execution by n8n.
struct ProjectController: Sendable {
    let database: Database
    let execution: ProjectExecution
    let store = ProjectStore()
    let types = ProjectTypeStore()
    let inspirations = InspirationStore()
    let callStore = N8nCallStore()

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("project_id")]
        routes.post(
            "", "Create a project (parameters: the type's defaults merged, checked against its parameter_schema)", .permission("production:project:create"),
            body: ProjectInput.self, responses: [.error(.conflict, "The inspiration already has a project")], use: create)
        routes.get("", "Projects with their tasks, newest first (a bare array)", .permission("production:project:list"), query: ProjectListQuery.self, use: list)
        routes.get("/{project_id}", "One project with its tasks", .permission("production:project:read"), parameters: id, use: get)
        routes.put(
            "/{project_id}", "Change a project (missing fields keep their value; `status` follows the status machine)",
            .permission("production:project:update"), parameters: id, body: ProjectInput.self,
            responses: [.error(.conflict, "The status cannot move there")], use: update)
        routes.delete("/{project_id}", "Delete a project (logically: deleted_at)", .permission("production:project:delete"), parameters: id, use: delete)
        routes.post(
            "/{project_id}/recalculate-tasks", "Recount the project's tasks from the task engine", .permission("production:project:update"),
            parameters: id, use: recalculate)
        routes.post(
            "/{project_id}/regenerate", "Run the project's execution workflow (n8n) again", .permission("production:project:regenerate"),
            parameters: id, body: RegenerationInput.self, bodyRequired: false,
            responses: [.error(.conflict, "Running, or the project type has no execution workflow")], use: regenerate)
    }

    static func fields(_ input: ProjectInput, creating: Bool) -> (ProjectFields, FieldProblems) {
        var check = FieldProblems()
        var fields = ProjectFields()
        fields.name = check.text(input.name, "name", 1...500, required: creating)
        if creating { _ = check.text(input.projectTypeCode, "project_type_code", 1...100, required: true) }
        check.object(input.initialParameters, "initial_parameters")
        fields.initialParameters = input.initialParameters
        if creating, let status = input.status, status != .draft { check.add("status", "a new project is a draft") }
        fields.status = creating ? nil : input.status
        check.score(input.score)
        fields.score = input.score
        check.object(input.scoreDetails, "score_details")
        fields.scoreDetails = input.scoreDetails
        if let notes = input.reviewNotes { fields.reviewNotes = check.text(notes, "review_notes", 0...10_000) }
        fields.outputAssetId = input.outputAssetId
        return (fields, check)
    }

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredProject {
        guard let project = try await store.find(id, tenantID: tenantID, forUpdate: true, in: tx) else { throw APIError.projectNotFound }
        return project
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> ProjectView {
        let input = try await request.decode(as: ProjectInput.self, context: context)
        let (fields, check) = Self.fields(input, creating: true)
        try check.check()
        let tenantID = context.principal.tenantID
        let userID = context.principal.userID
        return try await database.withTenant(context.tenant) { tx in
            guard let code = input.projectTypeCode?.trimmingCharacters(in: .whitespaces), let type = try await types.find(code, tenantID: tenantID, in: tx),
                type.isActive
            else { throw APIError.validation(["project_type_code": "no active project type with this code"]) }
            if let inspiration = input.inspirationId, try await inspirations.find(inspiration, tenantID: tenantID, in: tx) == nil {
                throw APIError.validation(["inspiration_id": "no such inspiration in this tenant"])
            }
            let parameters = try ProjectParameters.resolve(input.initialParameters, type: type)
            let new = NewProject(
                name: fields.name ?? "", type: type, initialParameters: parameters, status: .draft, inspirationID: input.inspirationId, score: fields.score,
                scoreDetails: fields.scoreDetails, reviewNotes: fields.reviewNotes)
            guard var project = try await store.insert(new, tenantID: tenantID, ownerID: userID, in: tx) else { throw APIError.inspirationHasProject }
            if let asset = fields.outputAssetId {
                project = try await store.update(project.id, ProjectFields(outputAssetId: asset), tenantID: tenantID, in: tx) ?? project
            }
            return try await execution.view(project, tenantID: tenantID, in: tx)
        }
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> [ProjectView] {
        let query = try request.query(ProjectListQuery.self)
        let tenantID = context.principal.tenantID
        let filter = ProjectFilter(tenantID: tenantID, status: query.status, projectTypeCode: query.projectTypeCode, inspirationID: query.inspirationId)
        return try await database.withTenant(context.tenant) { tx in
            let items = try await store.list(filter, skip: SeedPaging.skip(query.skip), limit: SeedPaging.limit(query.limit), in: tx)
            let tasks = try await store.tasks(of: items.map(\.id), tenantID: tenantID, in: tx)
            let calls = try await callStore.latest(projects: items.map(\.id), tenantID: tenantID, in: tx)
            return items.map { ProjectView($0, tasks: tasks[$0.id] ?? [], call: calls[$0.id]) }
        }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> ProjectView {
        let id = try context.pathUUID("project_id", or: .projectNotFound)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            guard let project = try await store.find(id, tenantID: tenantID, in: tx) else { throw APIError.projectNotFound }
            return try await execution.view(project, tenantID: tenantID, in: tx)
        }
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> ProjectView {
        let id = try context.pathUUID("project_id", or: .projectNotFound)
        let input = try await request.decode(as: ProjectInput.self, context: context)
        var (fields, check) = Self.fields(input, creating: false)
        try check.check()
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let current = try await find(id, tenantID: tenantID, in: tx)
            if let code = input.projectTypeCode, code != current.projectTypeCode { check.add("project_type_code", "cannot be changed") }
            if let inspiration = input.inspirationId, inspiration != current.inspirationId { check.add("inspiration_id", "cannot be changed") }
            try check.check()
            if let status = fields.status, !current.status.allows(status) { throw APIError.projectTransition(from: current.status, to: status) }
            if let given = input.initialParameters, let type = try await types.find(current.projectTypeCode, tenantID: tenantID, in: tx) {
                fields.initialParameters = try ProjectParameters.resolve(given, type: type)
            }
            guard let updated = try await store.update(id, fields, tenantID: tenantID, in: tx) else { throw APIError.projectNotFound }
            if updated.status != current.status, updated.status == .cancelled || updated.status == .failed {
                try await execution.cancelOpenTasks(of: updated, reason: "project \(updated.status.rawValue)", tenantID: tenantID, in: tx)
            }
            return try await execution.view(updated, tenantID: tenantID, in: tx)
        }
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> DeletedProject {
        let id = try context.pathUUID("project_id", or: .projectNotFound)
        let tenantID = context.principal.tenantID
        guard try await database.withTenant(context.tenant, { tx in try await store.delete(id, tenantID: tenantID, in: tx) }) else {
            throw APIError.projectNotFound
        }
        return DeletedProject(message: "Project deleted", projectId: id)
    }

    func recalculate(_ request: Request, _ context: AuthenticatedContext) async throws -> ProjectView {
        let id = try context.pathUUID("project_id", or: .projectNotFound)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, tenantID: tenantID, in: tx)
            try await store.recount(id, tenantID: tenantID, in: tx)
            return try await execution.view(try await find(id, tenantID: tenantID, in: tx), tenantID: tenantID, in: tx)
        }
    }

    func regenerate(_ request: Request, _ context: AuthenticatedContext) async throws -> ProjectRegeneration {
        let id = try context.pathUUID("project_id", or: .projectNotFound)
        let input = try await request.decodeIfPresent(as: RegenerationInput.self, context: context) ?? RegenerationInput()
        var check = FieldProblems()
        check.object(input.regenerationParams, "regeneration_params")
        try check.check()
        let tenantID = context.principal.tenantID
        let userID = context.principal.userID
        let call = try await database.withTenant(context.tenant) { tx -> UUID in
            let current = try await find(id, tenantID: tenantID, in: tx)
            guard current.status != .running else { throw APIError.projectTransition(from: current.status, to: .queued) }
            guard let type = try await types.find(current.projectTypeCode, tenantID: tenantID, in: tx), let workflow = type.executionWorkflowId else {
                throw APIError.noWorkflow("execution", type: current.projectTypeCode)
            }
            guard let queued = try await store.update(id, ProjectFields(status: .queued), tenantID: tenantID, in: tx) else { throw APIError.projectNotFound }
            return try await execution.trigger(
                queued, type: type, registryID: workflow, extra: ["regeneration_params": input.regenerationParams ?? [:]], ownerID: userID,
                tenantID: tenantID, in: tx)
        }
        return ProjectRegeneration(message: "Project execution queued", projectId: id, executionId: call)
    }
}
