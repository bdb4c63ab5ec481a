import Foundation
import Hummingbird
import NIOCore
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// The short-video platform's workflow registry: the n8n workflows it triggers, with their
/// webhook URL and auth header. Secrets are sealed per entry and never served.
struct RegistryController: Sendable {
    let database: Database
    let sealer: SecretSealer?
    let store = RegistryStore()

    static let defaultLimit = 100
    static let headerNamePattern = "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$"

    /// The seed's `skip`/`limit` (default 100), and its two filters.
    struct ListQuery: QueryInput {
        var skip: Int?
        var limit: Int?
        var workflowType: String?
        var isActive: Bool?
        static let parameterDocs: [String: QueryParameterDoc] = [
            "skip": .init("Entries to skip", minimum: 0, maximum: 1_000_000, default: 0),
            "limit": .init("Entries to return", minimum: 1, maximum: 1000, default: .int(Int64(RegistryController.defaultLimit))),
            "workflow_type": .init("Only entries of this type", maxLength: 100),
        ]
    }

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("workflow_id")]
        routes.post(
            "", "Register an n8n workflow", .permission("workflow:registry:create"), body: RegistryEntryInput.self,
            responses: [.error(.serviceUnavailable, "A secret was given but no secrets key is configured")],
            use: create)
        routes.get("", "Registered n8n workflows, newest first (a bare array)", .permission("workflow:registry:list"), query: ListQuery.self, use: list)
        routes.get("/types/list", "Every workflow type in use, sorted", .permission("workflow:registry:list"), use: types)
        routes.get("/{workflow_id}", "One registered workflow", .permission("workflow:registry:read"), parameters: id, use: get)
        routes.put(
            "/{workflow_id}", "Change a registered workflow (missing fields keep their value; an empty secret removes it)",
            .permission("workflow:registry:update"), parameters: id, body: RegistryEntryInput.self,
            responses: [.error(.serviceUnavailable, "A secret was given but no secrets key is configured")], use: update)
        routes.delete("/{workflow_id}", "Remove a registered workflow (soft)", .permission("workflow:registry:delete"), parameters: id, use: delete)
        routes.post("/{workflow_id}/activate", "Let workflows call it", .permission("workflow:registry:activate"), parameters: id, use: activate)
        routes.post("/{workflow_id}/deactivate", "Stop workflows from calling it", .permission("workflow:registry:activate"), parameters: id, use: deactivate)
    }

    // MARK: Input

    /// Checks an input; `creating` requires the fields a new entry needs.
    static func fields(_ input: RegistryEntryInput, creating: Bool) throws -> RegistryFields {
        var problems: [String: String] = [:]
        let name = input.name?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let name, !(1...200).contains(name.count) { problems["name"] = "must be 1-200 characters" }
        if creating && name == nil { problems["name"] = "is required" }
        let type = input.workflowType?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let type, !(1...100).contains(type.count) { problems["workflow_type"] = "must be 1-100 characters" }
        if creating && type == nil { problems["workflow_type"] = "is required" }
        if let description = input.description, description.count > 10_000 { problems["description"] = "must be at most 10000 characters" }
        if let url = input.n8nWebhookUrl, let problem = urlProblem(url) { problems["n8n_webhook_url"] = problem }
        for (key, value) in [("auth_header_name", input.authHeaderName), ("callback_header_name", input.callbackHeaderName)] {
            if let value, value.wholeMatch(of: /[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}/) == nil { problems[key] = "must be an HTTP header name (1-100 token characters)" }
        }
        if let value = input.authHeaderValue, value.count > 10_000 || value.contains(where: { $0 == "\r" || $0 == "\n" }) {
            problems["auth_header_value"] = "must be at most 10000 characters on one line"
        }
        if let value = input.callbackSecret, value.count > 1000 { problems["callback_secret"] = "must be at most 1000 characters" }
        if let value = input.authHeaderValue, !value.isEmpty, input.authHeaderName == nil, creating {
            problems["auth_header_name"] = "is required with auth_header_value"
        }
        if let timeout = input.timeoutSeconds, !(1...300).contains(timeout) { problems["timeout_seconds"] = "must be between 1 and 300" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        return RegistryFields(
            name: name, description: input.description, workflowType: type, n8nWebhookUrl: input.n8nWebhookUrl, isActive: input.isActive,
            authHeaderName: input.authHeaderName, callbackHeaderName: input.callbackHeaderName, timeoutSeconds: input.timeoutSeconds)
    }

    /// An absolute http(s) URL with a host; whether its address may be called is decided when
    /// it is called (the outbound target policy resolves it then).
    static func urlProblem(_ text: String) -> String? {
        guard text.count <= 2000 else { return "must be at most 2000 characters" }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), let host = url.host, !host.isEmpty else {
            return "must be an absolute http or https URL"
        }
        return nil
    }

    func seal(_ value: String?, entry: UUID, secret: String, tenantID: UUID) throws -> ByteBuffer? {
        guard let value, !value.isEmpty else { return nil }
        guard let sealer else { throw APIError.registrySecretsNotConfigured }
        return try sealer.seal(value, tenant: tenantID, name: Self.secretName(entry, secret))
    }

    /// What a sealed value is bound to: the entry and which of its secrets.
    static func secretName(_ entry: UUID, _ secret: String) -> String { "workflow_registry/\(entry.uuidString.lowercased())/\(secret)" }

    func audit(_ action: String, _ id: UUID, _ context: AuthenticatedContext) -> AuditEvent {
        AuditEvent(
            action: action, tenantID: context.principal.tenantID, actorUserID: context.principal.userID, targetType: "workflow_registry",
            targetID: id.uuidString.lowercased(), requestID: context.requestID)
    }

    // MARK: Handlers

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> RegistryEntryView {
        let input = try await request.decode(as: RegistryEntryInput.self, context: context)
        let fields = try Self.fields(input, creating: true)
        let tenantID = context.principal.tenantID
        let id = UUID.v7()
        let auth = try seal(input.authHeaderValue, entry: id, secret: "auth_header", tenantID: tenantID)
        let callback = try seal(input.callbackSecret, entry: id, secret: "callback_secret", tenantID: tenantID)
        let entry = try await database.withTenant(context.tenant) { tx in
            let entry = try await store.insert(
                id: id, fields, authHeaderValue: auth, callbackSecret: callback, tenantID: tenantID, ownerID: context.principal.userID, in: tx)
            try await AuditLog.append(audit("workflow_registry.create", id, context), in: tx)
            return entry
        }
        guard let entry else { throw APIError.internalError }
        return entry
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> [RegistryEntryView] {
        let query = try request.query(ListQuery.self)
        let filter = RegistryFilter(tenantID: context.principal.tenantID, workflowType: query.workflowType, isActive: query.isActive)
        let page = PageRequest(limit: query.limit ?? Self.defaultLimit, offset: query.skip ?? 0)
        return try await database.withTenant(context.tenant) { tx in try await store.list(filter, page: page, in: tx) }
    }

    func types(_ request: Request, _ context: AuthenticatedContext) async throws -> [String] {
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in try await store.types(tenantID: tenantID, in: tx) }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> RegistryEntryView {
        let id = try context.pathUUID("workflow_id", or: .registryEntryNotFound)
        let tenantID = context.principal.tenantID
        guard let entry = try await database.withTenant(context.tenant, { tx in try await store.find(id, tenantID: tenantID, in: tx) }) else {
            throw APIError.registryEntryNotFound
        }
        return entry
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> RegistryEntryView {
        let id = try context.pathUUID("workflow_id", or: .registryEntryNotFound)
        let input = try await request.decode(as: RegistryEntryInput.self, context: context)
        let fields = try Self.fields(input, creating: false)
        return try await change(id, fields, input: input, context)
    }

    func change(_ id: UUID, _ fields: RegistryFields, input: RegistryEntryInput = RegistryEntryInput(), _ context: AuthenticatedContext) async throws -> RegistryEntryView {
        let tenantID = context.principal.tenantID
        let auth = try seal(input.authHeaderValue, entry: id, secret: "auth_header", tenantID: tenantID)
        let callback = try seal(input.callbackSecret, entry: id, secret: "callback_secret", tenantID: tenantID)
        let entry = try await database.withTenant(context.tenant) { tx in
            let entry = try await store.update(
                id, fields, authHeaderValue: auth, clearAuthHeader: input.authHeaderValue == "", callbackSecret: callback,
                clearCallbackSecret: input.callbackSecret == "", tenantID: tenantID, in: tx)
            if entry != nil { try await AuditLog.append(audit("workflow_registry.update", id, context), in: tx) }
            return entry
        }
        guard let entry else { throw APIError.registryEntryNotFound }
        return entry
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> DeletedRegistryEntry {
        let id = try context.pathUUID("workflow_id", or: .registryEntryNotFound)
        let tenantID = context.principal.tenantID
        let deleted = try await database.withTenant(context.tenant) { tx in
            let deleted = try await store.delete(id, tenantID: tenantID, in: tx)
            if deleted { try await AuditLog.append(audit("workflow_registry.delete", id, context), in: tx) }
            return deleted
        }
        guard deleted else { throw APIError.registryEntryNotFound }
        return DeletedRegistryEntry(message: "Workflow registry entry deleted", id: id)
    }

    func activate(_ request: Request, _ context: AuthenticatedContext) async throws -> RegistryEntryView {
        let id = try context.pathUUID("workflow_id", or: .registryEntryNotFound)
        return try await change(id, RegistryFields(isActive: true), context)
    }

    func deactivate(_ request: Request, _ context: AuthenticatedContext) async throws -> RegistryEntryView {
        let id = try context.pathUUID("workflow_id", or: .registryEntryNotFound)
        return try await change(id, RegistryFields(isActive: false), context)
    }
}
