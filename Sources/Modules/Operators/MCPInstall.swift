import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import Providers

/// Operators and templates made from an MCP server's tools.
extension MCPController {
    static func execConfig(server: UUID, tool: String, timeout: Int?) -> JSONValue {
        var settings: [String: JSONValue] = ["server_id": .string(server.uuidString.lowercased()), "tool_name": .string(tool)]
        if let timeout { settings["timeout_sec"] = .int(Int64(timeout)) }
        return ["mcp": .object(settings)]
    }

    /// A tool's argument schema as an operator's `input_schema` (nil when it is not a valid schema).
    static func inputSchema(_ tool: MCPToolInfo) -> JSONValue? {
        JSONSchema.problems(inSchema: tool.inputSchema).isEmpty ? tool.inputSchema : nil
    }

    func install(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<OperatorView> {
        let input = try await request.decode(as: MCPInstallInput.self, context: context)
        var problems: [String: String] = [:]
        if let why = OperatorRules.codeProblem(input.operatorCode) { problems["operator_code"] = why }
        if let why = OperatorRules.nameProblem(input.operatorName) { problems["operator_name"] = why }
        if input.type != nil, let why = OperatorRules.typeProblem(input.type) { problems["type"] = why }
        if let timeout = input.timeoutSec, !(1...600).contains(timeout) { problems["timeout_sec"] = "must be 1-600" }
        if let description = input.description, description.count > 5000 { problems["description"] = "must be at most 5000 characters" }
        OperatorRules.tagProblems(input.tags, into: &problems)
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        guard let server = try await database.withTenant(context.tenant, { tx in try await store.find(input.serverId, tenantID: tenantID, in: tx) }) else {
            throw APIError.mcpServerNotFound
        }
        guard let tool = try await liveTools(server).first(where: { $0.name == input.toolName }) else { throw APIError.mcpToolNotFound }
        let view = try await database.withTenant(context.tenant) { tx -> OperatorView in
            let first = try await service.version(
                VersionInput(
                    version: "1.0.0", execMode: .mcp, execConfig: Self.execConfig(server: server.id, tool: tool.name, timeout: input.timeoutSec),
                    inputSchema: Self.inputSchema(tool), changelog: "installed from MCP server \(server.name), tool \(tool.name)"),
                tenantID: tenantID, in: tx)
            let fields = OperatorFields(
                code: input.operatorCode, name: input.operatorName.trimmingCharacters(in: .whitespaces),
                description: input.description ?? tool.description ?? "", category: input.category ?? .utility, type: input.type ?? "mcp_tool", origin: .mcp,
                execMode: .mcp, status: .draft, tags: input.tags ?? ["mcp"], visibility: .private, visibleRoleIds: [])
            let (stored, active) = try await service.create(fields, firstVersion: first, tenantID: tenantID, ownerID: context.principal.userID, in: tx)
            return OperatorView(stored, active: active)
        }
        return Created(view)
    }

    func sync(_ request: Request, _ context: AuthenticatedContext) async throws -> MCPSyncResult {
        let input = try await request.decode(as: MCPSyncInput.self, context: context)
        let tenantID = context.principal.tenantID
        guard let server = try await database.withTenant(context.tenant, { tx in try await store.find(input.serverId, tenantID: tenantID, in: tx) }) else {
            throw APIError.mcpServerNotFound
        }
        let tools = try await liveTools(server)
        let created = try await database.withTenant(context.tenant) { tx -> Int in
            var created = 0
            for tool in tools.prefix(500) {
                let now = Date()
                let template = TemplateView(
                    id: UUID.v7(), code: String(tool.name.prefix(100)), name: String(tool.name.prefix(200)), description: tool.description, category: .utility,
                    type: "mcp_tool", execMode: .mcp, execConfig: Self.execConfig(server: server.id, tool: tool.name, timeout: nil),
                    inputSchema: Self.inputSchema(tool), outputSpec: nil, config: [:], author: server.name, tags: ["mcp", server.name], iconUrl: nil,
                    downloads: 0, source: "mcp", createdAt: now, updatedAt: now)
                if try await store.upsertTemplate(template, serverID: server.id, toolName: tool.name, tenantID: tenantID, in: tx) { created += 1 }
            }
            return created
        }
        let total = min(tools.count, 500)
        return MCPSyncResult(serverId: server.id, total: total, created: created, updated: total - created)
    }
}
