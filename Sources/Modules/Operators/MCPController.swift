import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import Providers

/// `/api/v1/operators/mcp`: the tenant's MCP servers (configured here, beyond GoyaVision, which
/// reads them from its config file), their tools, and operators and templates made from tools.
struct MCPController: Sendable {
    let database: Database
    let servers: MCPServers
    let service: OperatorService
    var store: MCPServerStore { servers.store }

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("id")]
        let missing = RouteResponse.error(.notFound, "No such MCP server in this tenant")
        let unavailable = RouteResponse.error(.conflict, "The server is disabled, refused by policy, or does not answer")
        routes.get("/servers", "The tenant's MCP servers with their live status (a bare array)", .permission("operator:mcp:read"), use: list)
        routes.post(
            "/servers", "Configure an MCP server", .permission("operator:mcp:manage"),
            description: "`transport: http` with a Streamable HTTP `url` (outbound target policy), or `transport: stdio` with a `command` the administrator allow-listed (OPERATOR_MCP_STDIO_COMMANDS) and `args`.",
            body: MCPServerInput.self, responses: [.error(.conflict, "A server of that name exists")], use: create)
        routes.put(
            "/servers/{id}", "Change an MCP server", .permission("operator:mcp:manage"), parameters: id, body: MCPServerInput.self,
            responses: [missing, .error(.conflict, "A server of that name exists")], use: update)
        routes.delete("/servers/{id}", "Remove an MCP server", .permission("operator:mcp:manage"), parameters: id, responses: [.noContent("Removed"), missing], use: delete)
        routes.get("/servers/{id}/tools", "The server's tools (a bare array)", .permission("operator:mcp:read"), parameters: id, responses: [missing, unavailable], use: tools)
        routes.get(
            "/servers/{id}/tools/{tool}/preview", "One tool of the server", .permission("operator:mcp:read"),
            parameters: id + [.path("tool", ["type": "string", "minLength": 1, "maxLength": 200])],
            responses: [.error(.notFound, "No such server or tool"), unavailable], use: preview)
        routes.post(
            "/install", "Make an operator of a tool (its schema is the tool's)", .permission("operator:mcp:install"), body: MCPInstallInput.self,
            responses: [.error(.notFound, "No such server or tool"), .error(.conflict, "The operator code is taken, or the server is unavailable")], use: install)
        routes.post(
            "/sync-templates", "Make or refresh a template per tool of the server", .permission("operator:mcp:install"), body: MCPSyncInput.self,
            responses: [missing, unavailable], use: sync)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> [MCPServerView] {
        let stored = try await database.withTenant(context.tenant) { tx in try await store.list(tenantID: context.principal.tenantID, in: tx) }
        // Live status, every server at once (each bounded by its own timeout, at most 30 s here).
        return await withTaskGroup(of: (Int, MCPServerView).self) { group in
            for (index, server) in stored.enumerated() {
                group.addTask {
                    guard server.enabled else { return (index, MCPServerView(server, status: "disabled")) }
                    var bounded = server
                    bounded.timeoutSec = min(server.timeoutSec, 30)
                    switch await servers.tools(bounded) {
                    case .success(let tools): return (index, MCPServerView(server, status: "online", toolCount: tools.count))
                    case .failure(let failure): return (index, MCPServerView(server, status: "offline", message: String(failure.description.prefix(300))))
                    }
                }
            }
            var views: [(Int, MCPServerView)] = []
            for await view in group { views.append(view) }
            return views.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    func fields(_ input: MCPServerInput, current: StoredMCPServer?) async throws -> MCPServerFields {
        var problems: [String: String] = [:]
        let name = (input.name ?? current?.name ?? "").trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name.count > 100 { problems["name"] = "must be 1-100 characters" }
        let description = input.description ?? current?.description ?? ""
        if description.count > 2000 { problems["description"] = "must be at most 2000 characters" }
        guard let transport = input.transport ?? current?.transport else { throw APIError.validation(problems.merging(["transport": "is required (http or stdio)"]) { a, _ in a }) }
        let timeout = input.timeoutSec ?? current?.timeoutSec ?? 30
        if !(1...600).contains(timeout) { problems["timeout_sec"] = "must be 1-600" }
        let args = input.args ?? current?.args ?? []
        var url: String?
        var command: String?
        switch transport {
        case .http:
            url = input.url ?? current?.url
            if let text = url {
                do { _ = try await servers.targets.check(text) } catch let refused as OutboundTargetPolicy.Refused { problems["url"] = refused.reason }
            } else {
                problems["url"] = "is required for transport http"
            }
        case .stdio:
            command = input.command ?? current?.command
            if let text = command {
                if !servers.settings.mcpStdioCommands.contains(text) { problems["command"] = "is not on the administrator's allow-list (OPERATOR_MCP_STDIO_COMMANDS)" }
            } else {
                problems["command"] = "is required for transport stdio"
            }
            if args.count > 50 || args.contains(where: { $0.count > 4000 }) { problems["args"] = "at most 50 arguments of at most 4000 characters" }
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
        return MCPServerFields(
            name: name, description: description, transport: transport, url: url, command: command, args: transport == .stdio ? args : [], timeoutSec: timeout,
            enabled: input.enabled ?? current?.enabled ?? true)
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<MCPServerView> {
        let input = try await request.decode(as: MCPServerInput.self, context: context)
        let fields = try await fields(input, current: nil)
        guard let server = try await database.withTenant(context.tenant, { tx in try await store.insert(fields, tenantID: context.principal.tenantID, in: tx) }) else {
            throw APIError.mcpServerNameTaken
        }
        return Created(MCPServerView(server))
    }

    func find(_ context: AuthenticatedContext) async throws -> StoredMCPServer {
        let id = try context.pathUUID("id", or: .mcpServerNotFound)
        guard let server = try await database.withTenant(context.tenant, { tx in try await store.find(id, tenantID: context.principal.tenantID, in: tx) }) else {
            throw APIError.mcpServerNotFound
        }
        return server
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> MCPServerView {
        let current = try await find(context)
        let input = try await request.decode(as: MCPServerInput.self, context: context)
        let fields = try await fields(input, current: current)
        let tenantID = context.principal.tenantID
        return MCPServerView(try await database.withTenant(context.tenant) { tx in
            if try await store.nameTaken(fields.name, except: current.id, tenantID: tenantID, in: tx) { throw APIError.mcpServerNameTaken }
            guard let updated = try await store.update(current.id, fields, tenantID: tenantID, in: tx) else { throw APIError.mcpServerNotFound }
            return updated
        })
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .mcpServerNotFound)
        guard try await database.withTenant(context.tenant, { tx in try await store.delete(id, tenantID: context.principal.tenantID, in: tx) }) else {
            throw APIError.mcpServerNotFound
        }
        return NoContent()
    }

    func liveTools(_ server: StoredMCPServer) async throws -> [MCPToolInfo] {
        switch await servers.tools(server) {
        case .success(let tools): return tools
        case .failure(let failure): throw APIError.mcpUnavailable(failure.description)
        }
    }

    static func view(_ tool: MCPToolInfo) -> MCPToolView {
        MCPToolView(name: tool.name, description: tool.description, version: nil, inputSchema: tool.inputSchema, outputSchema: nil)
    }

    func tools(_ request: Request, _ context: AuthenticatedContext) async throws -> [MCPToolView] {
        try await liveTools(try await find(context)).map(Self.view)
    }

    func preview(_ request: Request, _ context: AuthenticatedContext) async throws -> MCPToolView {
        guard let name = context.parameters.get("tool") else { throw APIError.mcpToolNotFound }
        guard let tool = try await liveTools(try await find(context)).first(where: { $0.name == name }) else { throw APIError.mcpToolNotFound }
        return Self.view(tool)
    }
}
