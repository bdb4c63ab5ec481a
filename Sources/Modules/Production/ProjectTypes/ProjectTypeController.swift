import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// The short-video seed's project types, keyed by `code` within the tenant: which n8n workflows
/// generate, transform and execute its inspirations and projects, and the JSON Schema of its
/// projects' parameters.
struct ProjectTypeController: Sendable {
    let database: Database
    let registry: any WorkflowRegistryAccess
    let store = ProjectTypeStore()

    func register(in routes: RouteGroup) {
        let code = [RouteParameter.path("project_type_code", ["type": "string", "maxLength": 100])]
        routes.post(
            "", "Create a project type", .permission("production:project-type:create"), body: ProjectTypeInput.self,
            responses: [.error(.conflict, "A project type with this code exists")], use: create)
        routes.get(
            "", "Project types by sort order (a bare array of the seed's short form)", .permission("production:project-type:list"),
            query: ProjectTypeListQuery.self, use: list)
        routes.get("/categories/list", "Every category in use, sorted", .permission("production:project-type:list"), use: categories)
        routes.get(
            "/{project_type_code}", "One project type with its three registered workflows resolved", .permission("production:project-type:read"),
            parameters: code, use: get)
        routes.put(
            "/{project_type_code}", "Change a project type (missing fields keep their value; an empty string clears a workflow id or the category)",
            .permission("production:project-type:update"), parameters: code, body: ProjectTypeInput.self, use: update)
        routes.delete("/{project_type_code}", "Delete a project type (soft)", .permission("production:project-type:delete"), parameters: code, use: delete)
        routes.post("/{project_type_code}/activate", "Allow new inspirations and projects of the type", .permission("production:project-type:update"), parameters: code, use: activate)
        routes.post("/{project_type_code}/deactivate", "Refuse new inspirations and projects of the type", .permission("production:project-type:update"), parameters: code, use: deactivate)
        routes.put(
            "/{project_type_code}/sort-order", "Move a project type in the list", .permission("production:project-type:update"),
            query: SortOrderQuery.self, parameters: code, use: sortOrder)
    }

    // MARK: Input

    static func fields(_ input: ProjectTypeInput, creating: Bool, pathCode: String? = nil) -> (ProjectTypeFields, FieldProblems) {
        var check = FieldProblems()
        var fields = ProjectTypeFields()
        if creating {
            if let code = check.text(input.code, "code", 1...100, required: true) {
                if code.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9_.-]{0,99}/) == nil { check.add("code", "must be 1-100 letters, digits, _ . or -, starting with a letter or digit") }
                fields.code = code
            }
        } else if let code = input.code, code != pathCode {
            check.add("code", "cannot be changed")
        }
        fields.name = check.text(input.name, "name", 1...200, required: creating)
        if let description = input.description { fields.description = check.text(description, "description", 0...10_000) }
        fields.inspiration = reference(input.inspirationWorkflowId, "inspiration_workflow_id", into: &check)
        fields.transform = reference(input.transformWorkflowId, "transform_workflow_id", into: &check)
        fields.execution = reference(input.executionWorkflowId, "execution_workflow_id", into: &check)
        check.object(input.defaultParameters, "default_parameters")
        fields.defaultParameters = input.defaultParameters
        if let schema = input.parameterSchema {
            if schema.objectValue == nil {
                check.add("parameter_schema", "must be a JSON Schema object")
            } else {
                for problem in JSONSchema.problems(inSchema: schema) {
                    let field = problem.path.isEmpty ? "parameter_schema" : "parameter_schema.\(problem.path)"
                    check.add(field, problem.message)
                }
            }
            fields.parameterSchema = schema
        }
        if let category = input.category {
            if category.isEmpty { fields.clearCategory = !creating } else { fields.category = check.text(category, "category", 1...100) }
        }
        check.integer(input.sortOrder, "sort_order", -1_000_000...1_000_000)
        fields.sortOrder = input.sortOrder
        fields.isActive = input.isActive
        return (fields, check)
    }

    static func reference(_ text: String?, _ field: String, into check: inout FieldProblems) -> WorkflowReference? {
        guard let text else { return nil }
        if text.isEmpty { return .clear }
        guard let id = UUID(uuidString: text) else {
            check.add(field, "must be the id (a UUID) of a workflow registry entry")
            return nil
        }
        return .set(id)
    }

    /// Every workflow the fields name must be an entry of the tenant's registry.
    func checkWorkflows(_ fields: ProjectTypeFields, _ check: inout FieldProblems, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        for (field, reference) in [("inspiration_workflow_id", fields.inspiration), ("transform_workflow_id", fields.transform), ("execution_workflow_id", fields.execution)] {
            guard let id = reference?.id else { continue }
            if try await registry.entry(id, tenantID: tenantID, in: tx) == nil { check.add(field, "no such workflow registry entry in this tenant") }
        }
    }

    static func pathCode(_ context: AuthenticatedContext) throws -> String {
        guard let code = context.parameters.get("project_type_code"), code.count <= 100 else { throw APIError.projectTypeNotFound }
        return code
    }

    // MARK: Handlers

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> ProjectTypeView {
        let input = try await request.decode(as: ProjectTypeInput.self, context: context)
        let (fields, initial) = Self.fields(input, creating: true)
        var check = initial
        try check.check()
        let tenantID = context.principal.tenantID
        let stored = try await database.withTenant(context.tenant) { tx -> StoredProjectType? in
            try await checkWorkflows(fields, &check, tenantID: tenantID, in: tx)
            try check.check()
            guard let code = fields.code, let name = fields.name else { throw APIError.internalError }
            return try await store.insert(fields, code: code, name: name, tenantID: tenantID, in: tx)
        }
        guard let stored else { throw APIError.projectTypeExists }
        return ProjectTypeView(stored)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> [ProjectTypeSummary] {
        let query = try request.query(ProjectTypeListQuery.self)
        let filter = ProjectTypeFilter(tenantID: context.principal.tenantID, category: query.category, isActive: query.isActive)
        return try await database.withTenant(context.tenant) { tx in
            try await store.list(filter, skip: SeedPaging.skip(query.skip), limit: SeedPaging.limit(query.limit), in: tx)
        }.map(ProjectTypeSummary.init)
    }

    func categories(_ request: Request, _ context: AuthenticatedContext) async throws -> [String] {
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in try await store.categories(tenantID: tenantID, in: tx) }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> ProjectTypeDetail {
        let code = try Self.pathCode(context)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            guard let stored = try await store.find(code, tenantID: tenantID, in: tx) else { throw APIError.projectTypeNotFound }
            func resolve(_ id: UUID?) async throws -> RegisteredWorkflow? {
                guard let id else { return nil }
                return try await registry.entry(id, tenantID: tenantID, in: tx)
            }
            return ProjectTypeDetail(
                type: ProjectTypeView(stored), inspirationWorkflow: try await resolve(stored.inspirationWorkflowId),
                transformWorkflow: try await resolve(stored.transformWorkflowId), executionWorkflow: try await resolve(stored.executionWorkflowId))
        }
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> ProjectTypeView {
        let code = try Self.pathCode(context)
        let input = try await request.decode(as: ProjectTypeInput.self, context: context)
        let (fields, initial) = Self.fields(input, creating: false, pathCode: code)
        var check = initial
        try check.check()
        return try await change(code, context) { tx in
            try await checkWorkflows(fields, &check, tenantID: context.principal.tenantID, in: tx)
            try check.check()
            return fields
        }
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> DeletedProjectType {
        let code = try Self.pathCode(context)
        let tenantID = context.principal.tenantID
        guard try await database.withTenant(context.tenant, { tx in try await store.delete(code, tenantID: tenantID, in: tx) }) else {
            throw APIError.projectTypeNotFound
        }
        return DeletedProjectType(message: "Project type deleted", code: code)
    }

    func activate(_ request: Request, _ context: AuthenticatedContext) async throws -> ProjectTypeView {
        let code = try Self.pathCode(context)
        return try await change(code, context) { _ in ProjectTypeFields(isActive: true) }
    }

    func deactivate(_ request: Request, _ context: AuthenticatedContext) async throws -> ProjectTypeView {
        let code = try Self.pathCode(context)
        return try await change(code, context) { _ in ProjectTypeFields(isActive: false) }
    }

    func sortOrder(_ request: Request, _ context: AuthenticatedContext) async throws -> ProjectTypeView {
        let code = try Self.pathCode(context)
        let query = try request.query(SortOrderQuery.self)
        return try await change(code, context) { _ in ProjectTypeFields(sortOrder: query.sortOrder) }
    }

    /// Applies the fields `make` gives, inside the transaction; 404 when there is no such type.
    func change(
        _ code: String, _ context: AuthenticatedContext, _ make: (DatabaseTransaction) async throws -> ProjectTypeFields
    ) async throws -> ProjectTypeView {
        let tenantID = context.principal.tenantID
        let stored = try await database.withTenant(context.tenant) { tx -> StoredProjectType? in
            guard try await store.find(code, tenantID: tenantID, in: tx) != nil else { throw APIError.projectTypeNotFound }
            return try await store.update(code, try await make(tx), tenantID: tenantID, in: tx)
        }
        guard let stored else { throw APIError.projectTypeNotFound }
        return ProjectTypeView(stored)
    }
}
