import Foundation
import PlatformDatabase
import PlatformServices
import PlatformSupport
import Providers

/// The tenant's MCP servers as sessions: a server is reached over Streamable HTTP (its URL
/// passes the outbound target policy each time) or started over stdio (its command must be on
/// the administrator's allow-list each time, so removing it from the list stops it).
struct MCPServers: Sendable {
    let database: Database
    let targets: OutboundTargetPolicy
    let settings: OperatorSettings
    let store = MCPServerStore()

    func server(_ id: UUID, tenantID: UUID) async throws -> StoredMCPServer? {
        try await database.withTenant(TenantScope(tenantID: tenantID, dataScope: .all)) { tx in try await store.find(id, tenantID: tenantID, in: tx) }
    }

    /// Why `server` may not be used now, or nil.
    func refusal(_ server: StoredMCPServer) async -> String? {
        guard server.enabled else { return "the server is disabled" }
        switch server.transport {
        case .http:
            do { _ = try await targets.check(server.url ?? "") } catch let refused as OutboundTargetPolicy.Refused { return "its URL is refused: \(refused.reason)" } catch {
                return "its URL cannot be checked: \(error)"
            }
        case .stdio:
            guard let command = server.command, settings.mcpStdioCommands.contains(command) else {
                return "its command is not on the administrator's allow-list (OPERATOR_MCP_STDIO_COMMANDS)"
            }
        }
        return nil
    }

    /// Opens a session, runs `body`, and closes the session (ending a stdio server's process).
    func withConnection<T: Sendable>(
        _ server: StoredMCPServer, timeout: Duration? = nil, _ body: @Sendable (MCPConnection) async throws -> T
    ) async throws -> T {
        if let why = await refusal(server) { throw OperatorRunFailure.failed("the MCP server \(server.name) cannot be used: \(why)") }
        let limit = timeout ?? .seconds(server.timeoutSec)
        let connection: MCPConnection
        switch server.transport {
        case .http:
            guard let url = URL(string: server.url ?? "") else { throw OperatorRunFailure.failed("the MCP server's URL does not parse") }
            connection = try await MCPConnection.http(url: url, timeout: limit)
        case .stdio:
            connection = try await MCPConnection.stdio(
                executable: server.command ?? "", arguments: server.args, environment: ["PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"],
                timeout: limit)
        }
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// The server's tools, or why they could not be listed.
    func tools(_ server: StoredMCPServer) async -> Result<[MCPToolInfo], OperatorRunFailure> {
        do {
            return .success(try await withConnection(server) { try await $0.listTools() })
        } catch let failure as OperatorRunFailure {
            return .failure(failure)
        } catch {
            return .failure(.failed(String(describing: error)))
        }
    }
}
