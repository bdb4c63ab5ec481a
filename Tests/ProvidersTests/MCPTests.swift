import Foundation
import Testing

@testable import Providers

/// The Python interpreter of the test tools (where `scripts/setup --test` installed `mcp`).
func python() -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/python-tools/bin/python").path
}

func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
}

@Suite("MCP client against a server written with the official Python SDK")
struct MCPTests {
    @Test("stdio: initialize, list tools with their schemas, call one, a tool error comes back as an error, resources, clean shutdown")
    func stdio() async throws {
        let connection = try await MCPConnection.stdio(executable: python(), arguments: [fixture("mcp_server.py")], timeout: .seconds(20))
        #expect(connection.serverName == "platform-test-tools")
        let tools = try await connection.listTools()
        #expect(Set(tools.map(\.name)) == ["add", "shout", "explode"])
        let add = try #require(tools.first { $0.name == "add" })
        #expect(add.inputSchema["properties"]?["a"]?["type"] == "integer")
        #expect(add.description == "Add two integers.")
        #expect(try await connection.callTool("add", arguments: ["a": 2, "b": 40]).text == ["42"])
        #expect(try await connection.callTool("shout", arguments: ["text": "hé"]).text == ["HÉ"])
        await #expect {
            try await connection.callTool("explode", arguments: ["reason": "on purpose"])
        } throws: { error in
            guard case MCPClientError.toolFailed(let message) = error else { return false }
            return message.contains("exploded: on purpose")
        }
        let resources = try await connection.listResources()
        #expect(resources.map(\.uri) == ["notes://readme"])
        #expect(connection.isProcessRunning)
        await connection.close()
        #expect(!connection.isProcessRunning)
    }

    @Test("Streamable HTTP: the same server over HTTP")
    func streamableHTTP() async throws {
        let port = Int.random(in: 40_000...60_000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: python())
        server.arguments = [fixture("mcp_server.py"), "http", String(port)]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL) }
        let url = try #require(URL(string: "http://127.0.0.1:\(port)/mcp"))
        var connection: MCPConnection?
        for _ in 0..<100 where connection == nil {
            connection = try? await MCPConnection.http(url: url, timeout: .seconds(5))
            if connection == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        let session = try #require(connection)
        #expect(Set(try await session.listTools().map(\.name)) == ["add", "shout", "explode"])
        #expect(try await session.callTool("add", arguments: ["a": 1, "b": 2]).text == ["3"])
        await #expect(throws: MCPClientError.self) { try await session.callTool("explode", arguments: ["reason": "http"]) }
        await session.close()
    }

    @Test("a server that does not start is an error, not a hang")
    func launchFailure() async throws {
        await #expect(throws: (any Error).self) {
            _ = try await MCPConnection.stdio(executable: "/bin/false", timeout: .seconds(5))
        }
    }
}
