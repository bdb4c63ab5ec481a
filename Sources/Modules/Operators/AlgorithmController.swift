import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import Providers

/// `/api/v1/algorithms` (GoyaVision v1.1): algorithms with versions of implementations behind a
/// selection policy; publishing needs an implementation whose binding exists.
struct AlgorithmController: Sendable {
    let database: Database
    let providers: ProviderRegistry
    let store = AlgorithmStore()
    let operators = OperatorStore()
    let mcpServers = MCPServerStore()

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("id")]
        let missing = RouteResponse.error(.notFound, "No such algorithm in this tenant")
        routes.get("", "List algorithms ({items, total})", .permission("algorithm:list"), query: AlgorithmQuery.self, use: list)
        routes.post(
            "", "Create an algorithm (optionally with its first version)", .permission("algorithm:create"), body: AlgorithmInput.self,
            responses: [.error(.conflict, "The code is taken")], use: create)
        routes.get("/{id}", "One algorithm with its versions", .permission("algorithm:read"), parameters: id, responses: [missing], use: get)
        routes.put("/{id}", "Change an algorithm", .permission("algorithm:update"), parameters: id, body: AlgorithmInput.self, responses: [missing], use: update)
        routes.delete("/{id}", "Delete an algorithm with its versions", .permission("algorithm:delete"), parameters: id, responses: [.noContent("Deleted"), missing], use: delete)
        routes.post(
            "/{id}/versions", "Add a version", .permission("algorithm:create"), parameters: id, body: AlgorithmVersionInput.self,
            responses: [missing, .error(.conflict, "The algorithm already has that version")], use: addVersion)
        routes.post(
            "/{id}/versions/{version_id}/publish", "Publish a version (an implementation's binding must exist)", .permission("algorithm:publish"),
            parameters: id + [.uuid("version_id")], bodyRequired: false,
            responses: [.error(.notFound, "No such algorithm or version"), .error(.conflict, "No implementation's binding exists")], use: publish)
    }

    func find(_ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> StoredAlgorithm {
        let id = try context.pathUUID("id", or: .algorithmNotFound)
        guard let stored = try await store.find(id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.algorithmNotFound }
        return stored
    }

    func views(_ algorithms: [StoredAlgorithm], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [AlgorithmView] {
        let versions = Dictionary(grouping: try await store.versions(of: algorithms.map(\.id), tenantID: tenantID, in: tx), by: \.algorithmId)
        return algorithms.map { AlgorithmView($0, versions: versions[$0.id] ?? []) }
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> AlgorithmList {
        let query = try request.query(AlgorithmQuery.self)
        let filter = AlgorithmFilter(
            tenantID: context.principal.tenantID, status: query.status, scenario: query.scenario, tags: OperatorRules.tags(query.tags),
            keyword: query.keyword.flatMap { $0.isEmpty ? nil : $0 })
        return try await database.withTenant(context.tenant) { tx in
            let items = try await store.list(filter, limit: query.paging.limit, offset: query.paging.offset, in: tx)
            return AlgorithmList(items: try await views(items, tenantID: filter.tenantID, in: tx), total: try await store.count(filter, in: tx))
        }
    }

    static func fieldProblems(_ input: AlgorithmInput, creating: Bool) -> [String: String] {
        var problems: [String: String] = [:]
        if creating, let why = OperatorRules.codeProblem(input.code) { problems["code"] = why }
        if creating || input.name != nil, let why = OperatorRules.nameProblem(input.name) { problems["name"] = why }
        if let description = input.description, description.count > 5000 { problems["description"] = "must be at most 5000 characters" }
        if let scenario = input.scenario, scenario.count > 200 { problems["scenario"] = "must be at most 200 characters" }
        OperatorRules.tagProblems(input.tags, into: &problems)
        if let roles = input.visibleRoleIds, roles.count > 100 { problems["visible_role_ids"] = "at most 100 roles" }
        if !creating && input.initialVersion != nil { problems["initial_version"] = "add versions with POST /algorithms/{id}/versions" }
        return problems
    }

    /// A version's implementations and evaluations, checked (422 naming each bad field).
    static func checked(_ input: AlgorithmVersionInput, prefix: String = "") throws -> ([Implementation], [Evaluation]) {
        var problems: [String: String] = [:]
        if input.version.isEmpty || input.version.count > 100 { problems[prefix + "version"] = "must be 1-100 characters" }
        if input.status == .published { problems[prefix + "status"] = "publish a version with POST .../versions/{version_id}/publish" }
        let given = input.implementations ?? []
        if given.count > 50 { problems[prefix + "implementations"] = "at most 50 implementations" }
        for (index, item) in given.enumerated() {
            let at = "\(prefix)implementations[\(index)]."
            if item.bindingRef.isEmpty || item.bindingRef.count > 300 { problems[at + "binding_ref"] = "must be 1-300 characters" }
            if (item.type ?? .operatorVersion) == .operatorVersion, UUID(uuidString: item.bindingRef) == nil { problems[at + "binding_ref"] = "must be an operator version's id" }
            if item.type == .mcpTool, item.bindingRef.split(separator: "/", maxSplits: 1).count != 2 { problems[at + "binding_ref"] = "must be <server_id>/<tool_name>" }
            if let config = item.config, case .object = config {} else if item.config != nil { problems[at + "config"] = "must be an object" }
            if let latency = item.latencyMs, latency < 0 { problems[at + "latency_ms"] = "must be 0 or more" }
            for (key, value) in [("cost_score", item.costScore), ("quality_score", item.qualityScore)] where value.map({ !$0.isFinite || $0 < 0 }) ?? false {
                problems[at + key] = "must be a number >= 0"
            }
        }
        if given.filter({ $0.isDefault == true }).count > 1 { problems[prefix + "implementations"] = "at most one implementation is the default" }
        let evaluations = input.evaluations ?? []
        for (index, item) in evaluations.enumerated() where item.datasetRef.isEmpty || item.datasetRef.count > 500 {
            problems["\(prefix)evaluations[\(index)].dataset_ref"] = "must be 1-500 characters"
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let implementations = given.enumerated().map { index, item in
            Implementation(
                id: UUID.v7(), name: item.name ?? "implementation \(index + 1)", type: item.type ?? .operatorVersion, bindingRef: item.bindingRef,
                config: item.config ?? [:], latencyMs: item.latencyMs ?? 0, costScore: item.costScore ?? 0, qualityScore: item.qualityScore ?? 0,
                tier: item.tier ?? "standard", isDefault: item.isDefault ?? false)
        }
        return (implementations, evaluations.map { Evaluation(id: UUID.v7(), datasetRef: $0.datasetRef, metrics: $0.metrics ?? [:], reportArtifactId: $0.reportArtifactId, summary: $0.summary) })
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<AlgorithmView> {
        let input = try await request.decode(as: AlgorithmInput.self, context: context)
        let problems = Self.fieldProblems(input, creating: true)
        if !problems.isEmpty { throw APIError.validation(problems) }
        let first = try input.initialVersion.map { try Self.checked($0, prefix: "initial_version.") }
        var roles = input.visibleRoleIds ?? []
        if input.visibility?.value == .role && roles.isEmpty { roles = context.principal.roleIDs }
        let fields = AlgorithmFields(
            code: input.code ?? "", name: (input.name ?? "").trimmingCharacters(in: .whitespaces), description: input.description ?? "", scenario: input.scenario ?? "",
            status: input.status == .published ? .draft : input.status ?? .draft, tags: input.tags ?? [], visibility: input.visibility?.value ?? .private, visibleRoleIds: roles)
        let tenantID = context.principal.tenantID
        return Created(try await database.withTenant(context.tenant) { tx in
            guard let stored = try await store.insert(fields, tenantID: tenantID, ownerID: context.principal.userID, in: tx) else { throw APIError.algorithmCodeTaken }
            if let version = input.initialVersion, let first {
                _ = try await store.insertVersion(version, implementations: first.0, evaluations: first.1, algorithmID: stored.id, tenantID: tenantID, in: tx)
            }
            return try await views([stored], tenantID: tenantID, in: tx)[0]
        })
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> AlgorithmView {
        try await database.withTenant(context.tenant) { tx in try await views([try await find(context, in: tx)], tenantID: context.principal.tenantID, in: tx)[0] }
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> AlgorithmView {
        let input = try await request.decode(as: AlgorithmInput.self, context: context)
        var problems = Self.fieldProblems(input, creating: false)
        if input.code != nil { problems["code"] = "cannot be changed" }
        if input.status == .published { problems["status"] = "an algorithm is published by publishing one of its versions" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let current = try await find(context, in: tx)
            var roles = input.visibleRoleIds ?? current.visibleRoleIds
            let visibility = input.visibility?.value ?? current.visibility
            if visibility == .role && roles.isEmpty { roles = context.principal.roleIDs }
            let fields = AlgorithmFields(
                code: current.code, name: input.name?.trimmingCharacters(in: .whitespaces) ?? current.name, description: input.description ?? current.description,
                scenario: input.scenario ?? current.scenario, status: input.status ?? current.status, tags: input.tags ?? current.tags, visibility: visibility,
                visibleRoleIds: roles)
            guard let updated = try await store.update(current.id, fields, tenantID: tenantID, in: tx) else { throw APIError.algorithmNotFound }
            return try await views([updated], tenantID: tenantID, in: tx)[0]
        }
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .algorithmNotFound)
        guard try await database.withTenant(context.tenant, { tx in try await store.delete(id, tenantID: context.principal.tenantID, in: tx) }) else {
            throw APIError.algorithmNotFound
        }
        return NoContent()
    }

    func addVersion(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<AlgorithmVersionView> {
        let input = try await request.decode(as: AlgorithmVersionInput.self, context: context)
        let (implementations, evaluations) = try Self.checked(input)
        let tenantID = context.principal.tenantID
        return Created(try await database.withTenant(context.tenant) { tx in
            let algorithm = try await find(context, in: tx)
            guard let version = try await store.insertVersion(
                input, implementations: implementations, evaluations: evaluations, algorithmID: algorithm.id, tenantID: tenantID, in: tx)
            else { throw APIError.algorithmVersionTaken }
            return AlgorithmVersionView(version)
        })
    }

    func publish(_ request: Request, _ context: AuthenticatedContext) async throws -> AlgorithmVersionView {
        let versionID = try context.pathUUID("version_id", or: .algorithmVersionNotFound)
        let tenantID = context.principal.tenantID
        let (algorithm, version) = try await database.withTenant(context.tenant) { tx -> (StoredAlgorithm, StoredAlgorithmVersion) in
            let algorithm = try await find(context, in: tx)
            guard let version = try await store.version(versionID, algorithmID: algorithm.id, tenantID: tenantID, in: tx) else { throw APIError.algorithmVersionNotFound }
            return (algorithm, version)
        }
        var bound = false
        for implementation in version.implementations where !bound {
            bound = try await bindingExists(implementation, tenantID: tenantID, context: context)
        }
        guard bound else { throw APIError.algorithmUnbound }
        return AlgorithmVersionView(try await database.withTenant(context.tenant) { tx in
            guard let published = try await store.publish(version.id, algorithmID: algorithm.id, tenantID: tenantID, in: tx) else { throw APIError.algorithmVersionNotFound }
            return published
        })
    }

    func bindingExists(_ implementation: Implementation, tenantID: UUID, context: AuthenticatedContext) async throws -> Bool {
        switch implementation.type {
        case .operatorVersion:
            guard let id = UUID(uuidString: implementation.bindingRef) else { return false }
            return try await database.withTenant(context.tenant) { tx in try await operators.version(id, tenantID: tenantID, in: tx) != nil }
        case .mcpTool:
            guard let server = implementation.bindingRef.split(separator: "/", maxSplits: 1).first.flatMap({ UUID(uuidString: String($0)) }) else { return false }
            return try await database.withTenant(context.tenant) { tx in try await mcpServers.find(server, tenantID: tenantID, in: tx) != nil }
        case .aiChain:
            let name = implementation.bindingRef.split(separator: "/", maxSplits: 1).first.map(String.init) ?? implementation.bindingRef
            return try await providers.provider(name, tenant: tenantID) != nil
        }
    }
}
