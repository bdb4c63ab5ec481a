import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

enum MCPTransport: String, Codable, Sendable, SchemaEnum, CaseIterable { case http, stdio }

struct StoredMCPServer: Decodable, Sendable {
    var id: UUID
    var name: String
    var description: String
    var transport: MCPTransport
    var url: String?
    var command: String?
    var args: [String]
    var timeoutSec: Int
    var enabled: Bool
    var createdAt: Date
    var updatedAt: Date
}

/// GoyaVision's `{id, name, description, status}` (status checked live: `online`, `offline`
/// with `status_message`, or `disabled`) plus the connection settings.
struct MCPServerView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var name: String
    var description: String
    var status: String?
    var statusMessage: String?
    var toolCount: Int?
    var transport: MCPTransport
    var url: String?
    var command: String?
    var args: [String]
    var timeoutSec: Int
    var enabled: Bool
    var createdAt: Date
    var updatedAt: Date

    init(_ server: StoredMCPServer, status: String? = nil, message: String? = nil, toolCount: Int? = nil) {
        id = server.id
        name = server.name
        description = server.description
        self.status = status
        statusMessage = message
        self.toolCount = toolCount
        transport = server.transport
        url = server.url
        command = server.command
        args = server.args
        timeoutSec = server.timeoutSec
        enabled = server.enabled
        createdAt = server.createdAt
        updatedAt = server.updatedAt
    }
}

/// `POST/PUT /operators/mcp/servers`: a Streamable HTTP `url`, or a stdio `command` (an
/// executable the administrator allow-listed) with `args`.
struct MCPServerInput: Codable, Sendable {
    var name: String?
    var description: String?
    var transport: MCPTransport?
    var url: String?
    var command: String?
    var args: [String]?
    var timeoutSec: Int?
    var enabled: Bool?
}

struct MCPServerFields: Sendable {
    var name: String
    var description: String
    var transport: MCPTransport
    var url: String?
    var command: String?
    var args: [String]
    var timeoutSec: Int
    var enabled: Bool
}

/// A tool as GoyaVision lists it.
struct MCPToolView: Codable, Sendable, ResponseEncodable {
    var name: String
    var description: String?
    var version: String?
    var inputSchema: JSONValue?
    var outputSchema: JSONValue?
}

struct MCPInstallInput: Codable, Sendable {
    var serverId: UUID
    var toolName: String
    var operatorCode: String
    var operatorName: String
    var category: OperatorCategory?
    var type: String?
    var timeoutSec: Int?
    var tags: [String]?
    var description: String?
}

struct MCPSyncInput: Codable, Sendable {
    var serverId: UUID
}

struct MCPSyncResult: Codable, Sendable, ResponseEncodable {
    var serverId: UUID
    var total: Int
    var created: Int
    var updated: Int
}

extension APIError {
    static var mcpServerNotFound: APIError { .notFound("MCP server", code: "MCP_SERVER_NOT_FOUND") }
    static var mcpToolNotFound: APIError { .notFound("MCP tool", code: "MCP_TOOL_NOT_FOUND") }
    static var mcpServerNameTaken: APIError { .conflict("An MCP server of that name exists in this tenant", code: "MCP_SERVER_EXISTS") }
    /// A configured server that does not answer now: a state of the server, not of the request
    /// (409, so that a client's retry logic for 5xx does not hammer it).
    static func mcpUnavailable(_ message: String) -> APIError {
        .conflict("The MCP server could not be used: \(message.prefix(300))", code: "MCP_SERVER_UNAVAILABLE")
    }
    static var mcpServerDisabled: APIError { .conflict("The MCP server is disabled", code: "MCP_SERVER_DISABLED") }
}
