import Foundation
import Hummingbird
import NIOCore
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import Providers

/// `/api/v1/ai-models` (GoyaVision): the models a tenant registers, with sealed keys.
struct AIModelController: Sendable {
    let database: Database
    let directory: AIModelDirectory
    let providers: ProviderRegistry
    let store = AIModelStore()

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("id")]
        routes.get("", "List AI models", .permission("ai-model:list"), query: AIModelQuery.self, use: list)
        routes.post(
            "", "Register an AI model (its api_key is sealed and never returned)", .permission("ai-model:create"), body: AIModelInput.self,
            responses: [.error(.conflict, "A model of that name exists"), .error(.serviceUnavailable, "An api_key was given but no secrets key is configured")],
            use: create)
        routes.get("/{id}", "One AI model", .permission("ai-model:read"), parameters: id, responses: [.error(.notFound, "No such model")], use: get)
        routes.put(
            "/{id}", "Change an AI model (an empty api_key removes the key)", .permission("ai-model:update"), parameters: id, body: AIModelInput.self,
            responses: [
                .error(.notFound, "No such model"), .error(.conflict, "A model of that name exists"),
                .error(.serviceUnavailable, "An api_key was given but no secrets key is configured"),
            ], use: update)
        routes.delete("/{id}", "Delete an AI model", .permission("ai-model:delete"), parameters: id, responses: [.noContent("Deleted"), .error(.notFound, "No such model")], use: delete)
        routes.post(
            "/{id}/test-connection", "Call the model (its model list, else a one-token completion) and report", .permission("ai-model:test"),
            parameters: id, bodyRequired: false, responses: [.error(.notFound, "No such model")], use: test)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> AIModelList {
        let query = try request.query(AIModelQuery.self)
        let filter = AIModelFilter(tenantID: context.principal.tenantID, keyword: query.keyword, provider: query.provider, status: query.status)
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.count(filter, in: tx)
            let items = try await store.list(filter, page: query.paging, in: tx)
            return AIModelList(items: items.map(AIModelView.init), total: total)
        }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> AIModelView {
        let id = try context.pathUUID("id", or: .aiModelNotFound)
        let tenantID = context.principal.tenantID
        guard let model = try await database.withTenant(context.tenant, { tx in try await store.find(id, tenantID: tenantID, in: tx) }) else {
            throw APIError.aiModelNotFound
        }
        return AIModelView(model)
    }

    /// The input's fields, checked (the endpoint against the outbound target policy) and the key sealed.
    func fields(_ input: AIModelInput, id: UUID, creating: Bool, context: AuthenticatedContext) async throws -> AIModelFields {
        var problems = input.problems(creating: creating)
        var endpoint = input.endpoint?.trimmingCharacters(in: .whitespaces)
        if let text = endpoint, !text.isEmpty {
            do { _ = try await directory.targets.check(text) } catch let refused as OutboundTargetPolicy.Refused { problems["endpoint"] = refused.reason }
        } else if endpoint != nil {
            endpoint = ""
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
        var sealed: ByteBuffer??
        if let key = input.apiKey {
            if key.isEmpty {
                sealed = .some(nil)
            } else {
                guard let sealer = directory.sealer else { throw ChatFailure.secretsNotConfigured.apiError }
                sealed = .some(try sealer.seal(key, tenant: context.principal.tenantID, name: AIModelDirectory.secretName(id)))
            }
        }
        var roles = input.visibleRoleIds
        if input.visibility?.value == .role, (roles ?? []).isEmpty { roles = context.principal.roleIDs }
        return AIModelFields(
            name: input.name?.trimmingCharacters(in: .whitespaces), description: input.description, provider: input.provider, endpoint: endpoint,
            sealedKey: sealed, modelName: input.modelName, config: input.config, status: input.status, visibility: input.visibility?.value,
            visibleRoleIds: roles)
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<AIModelView> {
        let input = try await request.decode(as: AIModelInput.self, context: context)
        let id = UUID.v7()
        let fields = try await fields(input, id: id, creating: true, context: context)
        let tenantID = context.principal.tenantID
        let model = try await database.withTenant(context.tenant) { tx -> StoredAIModel? in
            if try await store.nameTaken(fields.name ?? "", except: nil, tenantID: tenantID, in: tx) { throw APIError.aiModelNameTaken }
            let model = try await store.insert(id: id, fields, tenantID: tenantID, ownerID: context.principal.userID, in: tx)
            try await AuditLog.append(audit("ai_model.create", id, context), in: tx)
            return model
        }
        guard let model else { throw APIError.internalError }
        return Created(AIModelView(model))
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> AIModelView {
        let id = try context.pathUUID("id", or: .aiModelNotFound)
        let input = try await request.decode(as: AIModelInput.self, context: context)
        let fields = try await fields(input, id: id, creating: false, context: context)
        let tenantID = context.principal.tenantID
        let model = try await database.withTenant(context.tenant) { tx -> StoredAIModel? in
            guard try await store.find(id, tenantID: tenantID, in: tx) != nil else { throw APIError.aiModelNotFound }
            if let name = fields.name, try await store.nameTaken(name, except: id, tenantID: tenantID, in: tx) { throw APIError.aiModelNameTaken }
            let model = try await store.update(id, tenantID: tenantID, fields, in: tx)
            try await AuditLog.append(audit("ai_model.update", id, context), in: tx)
            return model
        }
        // Visible but not writable (another member's shared model) reads as not found too.
        guard let model else { throw APIError.aiModelNotFound }
        return AIModelView(model)
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .aiModelNotFound)
        let tenantID = context.principal.tenantID
        let deleted = try await database.withTenant(context.tenant) { tx in
            let deleted = try await store.delete(id, tenantID: tenantID, in: tx)
            if deleted { try await AuditLog.append(audit("ai_model.delete", id, context), in: tx) }
            return deleted
        }
        guard deleted else { throw APIError.aiModelNotFound }
        return NoContent()
    }

    func test(_ request: Request, _ context: AuthenticatedContext) async throws -> ConnectionTest {
        let id = try context.pathUUID("id", or: .aiModelNotFound)
        let tenantID = context.principal.tenantID
        guard let (model, sealed) = try await database.withTenant(context.tenant, { tx -> (StoredAIModel, ByteBuffer?)? in
            guard let model = try await store.find(id, tenantID: tenantID, in: tx) else { return nil }
            return (model, try await store.sealedKey(id, tenantID: tenantID, in: tx))
        }) else { throw APIError.aiModelNotFound }
        let started = ContinuousClock.now
        func report(_ success: Bool, _ message: String) -> ConnectionTest {
            ConnectionTest(success: success, message: message, latencyMs: ChatService.milliseconds(ContinuousClock.now - started))
        }
        let resolved: ResolvedModel
        do {
            resolved = try await directory.resolved(model, sealed: sealed, tenantID: tenantID, registry: providers)
        } catch let failure as ChatFailure {
            return report(false, failure.apiError.message)
        }
        do {
            switch try await resolved.probe() {
            case .listed(let names):
                return report(true, names.contains(model.modelName) || names.isEmpty
                    ? "Connected; \(model.modelName) is available" : "Connected, but the provider does not list \(model.modelName) (\(names.count) other model(s))")
            case .completed:
                return report(true, "Connected (a one-token completion answered)")
            }
        } catch {
            return report(false, ProviderFailure.apiError(error, provider: model.provider).message)
        }
    }

    func audit(_ action: String, _ id: UUID, _ context: AuthenticatedContext) -> AuditEvent {
        AuditEvent(
            action: action, tenantID: context.principal.tenantID, actorUserID: context.principal.userID, targetType: "ai_model",
            targetID: id.uuidString.lowercased(), requestID: context.requestID)
    }
}
