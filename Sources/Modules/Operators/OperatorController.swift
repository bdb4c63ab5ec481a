import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// `/api/v1/operators` (GoyaVision's operator center): operators, their lifecycle, test calls
/// and the schema checks.
struct OperatorController: Sendable {
    let database: Database
    let service: OperatorService
    let runner: OperatorRunner
    let assets: any MediaAssetDirectory
    var store: OperatorStore { service.store }

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("id")]
        let missing = RouteResponse.error(.notFound, "No such operator in this tenant")
        routes.get("", "List operators ({items, total})", .permission("operator:list"), query: OperatorQuery.self, use: list)
        routes.post(
            "", "Create an operator", .permission("operator:create"),
            description: "Execution fields (`exec_mode`, `exec_config`, or GoyaVision's `endpoint`/`method`, with `input_schema`, `output_spec`, `config`) make its first version (`version`, default 1.0.0), active at once.",
            body: OperatorCreateInput.self, responses: [.error(.conflict, "The code is taken in this tenant")], use: create)
        routes.get("/{id}", "One operator with its active version", .permission("operator:read"), parameters: id, responses: [missing], use: get)
        routes.put("/{id}", "Change an operator's description fields", .permission("operator:update"), parameters: id, body: OperatorUpdateInput.self, responses: [missing], use: update)
        routes.delete(
            "/{id}", "Delete an operator with its versions", .permission("operator:delete"), parameters: id,
            responses: [.noContent("Deleted"), missing, .error(.badRequest, "Built-in operators cannot be deleted")], use: delete)
        routes.post(
            "/{id}/publish", "Publish an operator (its active version must have passed a test)", .permission("operator:publish"), parameters: id,
            bodyRequired: false, responses: [missing, .error(.conflict, "No active version, or it has not passed a test, or the operator is deprecated")], use: publish)
        routes.post(
            "/{id}/deprecate", "Deprecate an operator", .permission("operator:publish"), parameters: id, bodyRequired: false,
            responses: [missing, .error(.conflict, "Already deprecated")], use: deprecate)
        routes.post(
            "/{id}/test", "Run the active (or a named) version as a test call", .permission("operator:test"),
            description: "`{asset_id?, params?, version_id?}`: the input (`params`) is checked against the version's `input_schema` (422), the output against its `output_spec` (`success: false`).",
            parameters: id, body: TestInput.self, bodyRequired: false,
            responses: [missing, .error(.conflict, "The operator has no active version")], use: test)
        routes.post("/validate-schema", "Check a JSON Schema (draft 2020-12) against its meta-schema", .permission("operator:read"), body: SchemaInput.self, use: validateSchema)
        routes.post(
            "/validate-connection", "Whether an upstream output_spec can feed a downstream input_schema", .permission("operator:read"),
            body: ConnectionInput.self, use: validateConnection)
    }

    func find(_ id: UUID, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> StoredOperator {
        guard let stored = try await store.find(id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.operatorNotFound }
        return stored
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> OperatorList {
        let query = try request.query(OperatorQuery.self)
        let filter = OperatorFilter(
            tenantID: context.principal.tenantID, category: query.category, type: query.type, status: query.status, origin: query.origin, execMode: query.execMode,
            tags: OperatorRules.tags(query.tags), keyword: query.keyword.flatMap { $0.isEmpty ? nil : $0 }, builtin: query.isBuiltin)
        return try await database.withTenant(context.tenant) { tx in
            let items = try await store.list(filter, limit: query.paging.limit, offset: query.paging.offset, in: tx)
            let total = try await store.count(filter, in: tx)
            return OperatorList(items: try await service.views(items, tenantID: filter.tenantID, in: tx), total: total)
        }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<OperatorView> {
        let input = try await request.decode(as: OperatorCreateInput.self, context: context)
        var problems: [String: String] = [:]
        if let why = OperatorRules.codeProblem(input.code) { problems["code"] = why }
        if let why = OperatorRules.nameProblem(input.name) { problems["name"] = why }
        if let why = OperatorRules.typeProblem(input.type) { problems["type"] = why }
        if input.category == nil { problems["category"] = "is required (analysis, processing, generation or utility)" }
        if let description = input.description, description.count > 5000 { problems["description"] = "must be at most 5000 characters" }
        OperatorRules.tagProblems(input.tags, into: &problems)
        if let roles = input.visibleRoleIds, roles.count > 100 { problems["visible_role_ids"] = "at most 100 roles" }
        if let status = input.status, status != .draft && status != .testing { problems["status"] = "a new operator is draft or testing; publish it through /publish" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        var execConfig = input.execConfig
        if execConfig == nil, let endpoint = input.endpoint {
            execConfig = ["http": ["endpoint": .string(endpoint), "method": .string(input.method?.uppercased() ?? "POST")]]
        }
        var configured: ExecMode?
        if case .object(let object)? = execConfig { configured = object.keys.sorted().compactMap(ExecMode.init(rawValue:)).first }
        let mode = input.execMode ?? configured ?? .http
        let hasVersion = execConfig != nil || input.inputSchema != nil || input.outputSpec != nil
        var roles = input.visibleRoleIds ?? []
        if input.visibility?.value == .role && roles.isEmpty { roles = context.principal.roleIDs }
        let fields = OperatorFields(
            code: input.code ?? "", name: (input.name ?? "").trimmingCharacters(in: .whitespaces), description: input.description ?? "",
            category: input.category ?? .utility, type: input.type ?? "", origin: input.isBuiltin == true ? .builtin : input.origin ?? .custom, execMode: mode,
            status: input.status ?? .draft, tags: input.tags ?? [], visibility: input.visibility?.value ?? .private, visibleRoleIds: roles)
        let tenantID = context.principal.tenantID
        let view = try await database.withTenant(context.tenant) { tx -> OperatorView in
            var first: NewVersion?
            if hasVersion {
                first = try await service.version(
                    VersionInput(version: input.version, execMode: mode, execConfig: execConfig ?? [:], inputSchema: input.inputSchema, outputSpec: input.outputSpec,
                                 config: input.config, changelog: "initial version"),
                    fallbackVersion: "1.0.0", tenantID: tenantID, in: tx)
            }
            let (stored, active) = try await service.create(fields, firstVersion: first, tenantID: tenantID, ownerID: context.principal.userID, in: tx)
            try await AuditLog.append(audit("operator.create", stored.id, context), in: tx)
            return OperatorView(stored, active: active)
        }
        return Created(view)
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> OperatorView {
        let id = try context.pathUUID("id", or: .operatorNotFound)
        return try await database.withTenant(context.tenant) { tx in
            try await service.view(try await find(id, context, in: tx), tenantID: context.principal.tenantID, in: tx)
        }
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> OperatorView {
        let id = try context.pathUUID("id", or: .operatorNotFound)
        let input = try await request.decode(as: OperatorUpdateInput.self, context: context)
        var problems: [String: String] = [:]
        if input.name != nil, let why = OperatorRules.nameProblem(input.name) { problems["name"] = why }
        if input.type != nil, let why = OperatorRules.typeProblem(input.type) { problems["type"] = why }
        if let description = input.description, description.count > 5000 { problems["description"] = "must be at most 5000 characters" }
        OperatorRules.tagProblems(input.tags, into: &problems)
        if let roles = input.visibleRoleIds, roles.count > 100 { problems["visible_role_ids"] = "at most 100 roles" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let current = try await find(id, context, in: tx)
            var roles = input.visibleRoleIds ?? current.visibleRoleIds
            let visibility = input.visibility?.value ?? current.visibility
            if visibility == .role && roles.isEmpty { roles = context.principal.roleIDs }
            let fields = OperatorFields(
                code: current.code, name: input.name?.trimmingCharacters(in: .whitespaces) ?? current.name, description: input.description ?? current.description,
                category: input.category ?? current.category, type: input.type ?? current.type, origin: current.origin, execMode: current.execMode,
                status: current.status, tags: input.tags ?? current.tags, visibility: visibility, visibleRoleIds: roles)
            // Visible but not writable (another member's shared operator) reads as not found.
            guard let updated = try await store.update(id, tenantID: tenantID, fields, in: tx) else { throw APIError.operatorNotFound }
            try await AuditLog.append(audit("operator.update", id, context), in: tx)
            return try await service.view(updated, tenantID: tenantID, in: tx)
        }
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .operatorNotFound)
        try await database.withTenant(context.tenant) { tx in
            let current = try await find(id, context, in: tx)
            if current.origin == .builtin { throw APIError.builtinOperator }
            guard try await store.delete(id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.operatorNotFound }
            try await AuditLog.append(audit("operator.delete", id, context), in: tx)
        }
        return NoContent()
    }

    func publish(_ request: Request, _ context: AuthenticatedContext) async throws -> OperatorView {
        let id = try context.pathUUID("id", or: .operatorNotFound)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let current = try await find(id, context, in: tx)
            if current.status == .deprecated { throw APIError.operatorStatus("A deprecated operator cannot be published again") }
            guard let activeID = current.activeVersionId, let active = try await store.version(activeID, operatorID: id, tenantID: tenantID, in: tx) else {
                throw APIError.operatorHasNoActiveVersion
            }
            guard active.testedAt != nil else { throw APIError.operatorUntested }
            guard let updated = try await store.setStatus(id, tenantID: tenantID, .published, in: tx) else { throw APIError.operatorNotFound }
            try await AuditLog.append(audit("operator.publish", id, context), in: tx)
            return OperatorView(updated, active: active)
        }
    }

    func deprecate(_ request: Request, _ context: AuthenticatedContext) async throws -> OperatorView {
        let id = try context.pathUUID("id", or: .operatorNotFound)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let current = try await find(id, context, in: tx)
            if current.status == .deprecated { throw APIError.operatorStatus("The operator is already deprecated") }
            guard let updated = try await store.setStatus(id, tenantID: tenantID, .deprecated, in: tx) else { throw APIError.operatorNotFound }
            try await AuditLog.append(audit("operator.deprecate", id, context), in: tx)
            return try await service.view(updated, tenantID: tenantID, in: tx)
        }
    }

    func validateSchema(_ request: Request, _ context: AuthenticatedContext) async throws -> SchemaCheck {
        let input = try await request.decode(as: SchemaInput.self, context: context)
        let problems = JSONSchema.problems(inSchema: input.schema)
        return SchemaCheck(
            valid: problems.isEmpty, message: problems.isEmpty ? "the schema is valid (JSON Schema draft 2020-12)" : problems[0].description,
            errors: problems.map { SchemaProblemView(path: $0.path, message: $0.message) })
    }

    func validateConnection(_ request: Request, _ context: AuthenticatedContext) async throws -> ConnectionCheck {
        let input = try await request.decode(as: ConnectionInput.self, context: context)
        return SchemaConnection.check(upstream: input.upstreamOutputSpec, downstream: input.downstreamInputSchema)
    }

    func audit(_ action: String, _ id: UUID, _ context: AuthenticatedContext) -> AuditEvent {
        AuditEvent(
            action: action, tenantID: context.principal.tenantID, actorUserID: context.principal.userID, targetType: "operator",
            targetID: id.uuidString.lowercased(), requestID: context.requestID)
    }
}
