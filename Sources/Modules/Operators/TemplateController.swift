import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// `/api/v1/operators/templates`: the built-in catalog and the templates synced from the
/// tenant's MCP servers; installing one makes an operator with version 1.0.0 active.
struct TemplateController: Sendable {
    let database: Database
    let service: OperatorService
    let mcpStore = MCPServerStore()

    func register(in routes: RouteGroup) {
        routes.get("/templates", "Operator templates ({items, total})", .permission("operator:list"), query: TemplateQuery.self, use: list)
        routes.get(
            "/templates/{template_id}", "One operator template", .permission("operator:list"), parameters: [.uuid("template_id")],
            responses: [.error(.notFound, "No such template")], use: get)
        routes.post(
            "/templates/install", "Install a template as an operator (version 1.0.0, active)", .permission("operator:create"), body: TemplateInstallInput.self,
            responses: [.error(.notFound, "No such template"), .error(.conflict, "The operator code is taken")], use: install)
    }

    /// Every template the tenant sees, with its install count.
    func all(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [TemplateView] {
        let counts = try await mcpStore.installCounts(tenantID: tenantID, in: tx)
        let builtin = TemplateCatalog.builtin.map { template -> TemplateView in
            var template = template
            template.downloads = counts[template.id] ?? 0
            return template
        }
        return builtin + (try await mcpStore.templates(tenantID: tenantID, in: tx)).map(TemplateView.init)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> TemplateList {
        let query = try request.query(TemplateQuery.self)
        let tags = OperatorRules.tags(query.tags)
        let keyword = query.keyword?.lowercased().trimmingCharacters(in: .whitespaces)
        let templates = try await database.withTenant(context.tenant) { tx in try await all(tenantID: context.principal.tenantID, in: tx) }
        let matching = templates.filter { template in
            (query.category == nil || template.category == query.category) && (query.type == nil || template.type == query.type)
                && (query.execMode == nil || template.execMode == query.execMode) && (tags == nil || !(Set(template.tags).isDisjoint(with: tags ?? [])))
                && (keyword.map { $0.isEmpty || "\(template.code) \(template.name) \(template.description ?? "")".lowercased().contains($0) } ?? true)
        }
        let page = matching.dropFirst(query.paging.offset).prefix(query.paging.limit)
        return TemplateList(items: Array(page), total: matching.count)
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> TemplateView {
        let id = try context.pathUUID("template_id", or: .templateNotFound)
        let templates = try await database.withTenant(context.tenant) { tx in try await all(tenantID: context.principal.tenantID, in: tx) }
        guard let template = templates.first(where: { $0.id == id }) else { throw APIError.templateNotFound }
        return template
    }

    func install(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<OperatorView> {
        let input = try await request.decode(as: TemplateInstallInput.self, context: context)
        var problems: [String: String] = [:]
        if let why = OperatorRules.codeProblem(input.operatorCode) { problems["operator_code"] = why }
        if let why = OperatorRules.nameProblem(input.operatorName) { problems["operator_name"] = why }
        if let description = input.description, description.count > 5000 { problems["description"] = "must be at most 5000 characters" }
        OperatorRules.tagProblems(input.tags, into: &problems)
        if input.execConfig != nil, case .object? = input.execConfig {} else if input.execConfig != nil { problems["exec_config"] = "must be an object" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        let view = try await database.withTenant(context.tenant) { tx -> OperatorView in
            guard let template = try await all(tenantID: tenantID, in: tx).first(where: { $0.id == input.templateId }) else { throw APIError.templateNotFound }
            let execConfig = OperatorService.merged(template.execConfig ?? [:], input.execConfig)
            // The catalog's placeholder endpoint is checked when the operator is called; one the
            // caller gives is checked now.
            let first = try await service.version(
                VersionInput(
                    version: "1.0.0", execMode: template.execMode, execConfig: execConfig, inputSchema: template.inputSchema, outputSpec: template.outputSpec,
                    config: template.config, changelog: "installed from template \(template.code)"),
                checkTargets: input.execConfig != nil, tenantID: tenantID, in: tx)
            var roles = input.visibleRoleIds ?? []
            if input.visibility?.value == .role && roles.isEmpty { roles = context.principal.roleIDs }
            let fields = OperatorFields(
                code: input.operatorCode, name: input.operatorName.trimmingCharacters(in: .whitespaces), description: input.description ?? template.description ?? "",
                category: template.category, type: template.type, origin: template.source == "mcp" ? .mcp : .marketplace, execMode: template.execMode,
                status: .draft, tags: input.tags ?? template.tags, visibility: input.visibility?.value ?? .private, visibleRoleIds: roles, templateId: template.id)
            let (stored, active) = try await service.create(fields, firstVersion: first, tenantID: tenantID, ownerID: context.principal.userID, in: tx)
            return OperatorView(stored, active: active)
        }
        return Created(view)
    }
}
