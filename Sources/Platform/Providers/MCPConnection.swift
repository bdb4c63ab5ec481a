import Foundation
import Logging
import MCP
import PlatformSupport
import Synchronization
import SystemPackage

/// A tool an MCP server offers.
public struct MCPToolInfo: Sendable, Equatable {
    public var name: String
    public var description: String?
    /// The JSON Schema of its arguments.
    public var inputSchema: JSONValue
}

public struct MCPResourceInfo: Sendable, Equatable {
    public var uri: String
    public var name: String
    public var mimeType: String?
}

/// A tool's answer: its text parts (other content kinds are described).
public struct MCPToolResult: Sendable, Equatable {
    public var text: [String]
}

public enum MCPClientError: Error, Sendable, Equatable {
    /// The tool ran and reported an error.
    case toolFailed(String)
    case timeout(String)
    case launchFailed(String)
}

/// A session with an MCP server (modelcontextprotocol/swift-sdk): a spawned process over
/// stdio, or a server over Streamable HTTP. Every call has a timeout; `close` ends the session
/// and the spawned process (SIGTERM, then SIGKILL).
public final class MCPConnection: Sendable {
    let client: Client
    let process: Mutex<Process?>
    let timeout: Duration
    public let serverName: String

    init(client: Client, process: Process?, timeout: Duration, serverName: String) {
        self.client = client
        self.process = Mutex(process)
        self.timeout = timeout
        self.serverName = serverName
    }

    /// Starts `executable` and speaks MCP with it over its stdin and stdout.
    public static func stdio(
        executable: String, arguments: [String] = [], environment: [String: String]? = nil, timeout: Duration = .seconds(30)
    ) async throws -> MCPConnection {
        // A server that exits early would turn our next write into SIGPIPE, which ends the
        // whole process by default; as a server we take the EPIPE error instead.
        signal(SIGPIPE, SIG_IGN)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let toServer = Pipe()
        let fromServer = Pipe()
        process.standardInput = toServer
        process.standardOutput = fromServer
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw MCPClientError.launchFailed("\(executable): \(error)")
        }
        let transport = StdioTransport(
            input: FileDescriptor(rawValue: fromServer.fileHandleForReading.fileDescriptor),
            output: FileDescriptor(rawValue: toServer.fileHandleForWriting.fileDescriptor))
        return try await connect(transport, process: process, timeout: timeout)
    }

    /// A server reached over Streamable HTTP at `url`.
    public static func http(url: URL, timeout: Duration = .seconds(30)) async throws -> MCPConnection {
        try await connect(HTTPClientTransport(endpoint: url, streaming: false), process: nil, timeout: timeout)
    }

    static func connect(_ transport: any Transport, process: Process?, timeout: Duration) async throws -> MCPConnection {
        let client = Client(name: "platform", version: "1.0")
        do {
            let result = try await withDeadline(timeout, "the MCP server did not initialize within \(timeout)") {
                try await client.connect(transport: transport)
            }
            return MCPConnection(client: client, process: process, timeout: timeout, serverName: result.serverInfo.name)
        } catch {
            _ = try? await withDeadline(.seconds(5), "disconnect") { await client.disconnect() }
            if let process, process.isRunning {
                process.terminate()
            }
            throw error
        }
    }

    static func json(_ value: Value) -> JSONValue {
        guard let data = try? JSONEncoder().encode(value), let json = try? JSONDecoder().decode(JSONValue.self, from: data) else { return .null }
        return json
    }

    static func value(_ json: JSONValue) throws -> Value {
        try JSONDecoder().decode(Value.self, from: try JSONEncoder().encode(json))
    }

    public func listTools() async throws -> [MCPToolInfo] {
        let client = self.client
        let tools = try await withDeadline(timeout, "tools/list took longer than \(timeout)") { try await client.listTools().tools }
        return tools.map { MCPToolInfo(name: $0.name, description: $0.description, inputSchema: Self.json($0.inputSchema)) }
    }

    /// Calls a tool; a tool that reports an error throws `MCPClientError.toolFailed`.
    public func callTool(_ name: String, arguments: [String: JSONValue] = [:]) async throws -> MCPToolResult {
        let client = self.client
        var converted: [String: Value] = [:]
        for (key, value) in arguments { converted[key] = try Self.value(value) }
        let payload = converted
        let (content, isError) = try await withDeadline(timeout, "tools/call \(name) took longer than \(timeout)") {
            try await client.callTool(name: name, arguments: payload)
        }
        let texts = content.map { item -> String in
            if case .text(let text, _, _) = item { return text }
            return "[\(String(describing: item).prefix(40))]"
        }
        if isError == true { throw MCPClientError.toolFailed(texts.joined(separator: "\n")) }
        return MCPToolResult(text: texts)
    }

    public func listResources() async throws -> [MCPResourceInfo] {
        let client = self.client
        let resources = try await withDeadline(timeout, "resources/list took longer than \(timeout)") { try await client.listResources().resources }
        return resources.map { MCPResourceInfo(uri: $0.uri, name: $0.name, mimeType: $0.mimeType) }
    }

    /// Ends the session; a spawned server gets SIGTERM, then SIGKILL after two seconds.
    public func close() async {
        let client = self.client
        _ = try? await withDeadline(.seconds(5), "disconnect") { await client.disconnect() }
        guard let process = process.withLock({ current in defer { current = nil }; return current }) else { return }
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(2)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Whether the spawned server process is still running.
    public var isProcessRunning: Bool { process.withLock { $0?.isRunning ?? false } }
}
