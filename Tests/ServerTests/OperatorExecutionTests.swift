import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlatformSupport
import PlatformTesting
@testable import Server
import Testing

/// The Python interpreter `scripts/setup --test` installs the `mcp` package into.
func toolsPython() -> String {
    AnnotationMedia.repositoryRoot.appendingPathComponent(".build/python-tools/bin/python").path
}

func mcpFixture() -> String {
    AnnotationMedia.repositoryRoot.appendingPathComponent("Tests/ProvidersTests/Fixtures/mcp_server.py").path
}

@Suite("Operators: cli, ai_model and mcp execution modes")
struct OperatorExecutionTests {
    static let limits = [
        "OPERATOR_CLI_EXECUTABLES": "/bin/echo,/usr/bin/yes,/bin/sleep", "OPERATOR_CLI_MAX_SECONDS": "20", "OPERATOR_CLI_MAX_OUTPUT_BYTES": "4096",
    ]

    @Test("cli: an allow-listed executable with templated arguments (no shell), a refused one, time and output limits")
    func cli() async throws {
        try await withTestDatabase("operators_cli", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, Self.limits)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("opc")
                let root = bearer(try await client.login("opc-root")["access_token"])
                func make(_ code: String, _ cli: JSONValue, spec: JSONValue? = nil) async throws -> TestResponse {
                    var body: [String: JSONValue] = ["code": .string(code), "name": .string(code), "category": "utility", "type": "cli", "exec_mode": "cli", "exec_config": ["cli": cli]]
                    if let spec { body["output_spec"] = spec }
                    return try await client.post("/api/v1/operators", .object(body), headers: root)
                }
                let echo = try await make("echo", ["command": "/bin/echo", "args": ["{\"said\": \"{{params.word}}\"}", "; rm -rf /tmp/nothing"]])
                #expect(echo.status == .created, "\(echo.text)")
                let ran = try await client.post("/api/v1/operators/\(echo.jsonBody.id)/test", ["params": ["word": "hello $(id)"]], headers: root).jsonBody
                #expect(ran["success"] == true, "\(ran)")
                // One argv entry each: the shell syntax is text, not a command.
                #expect(ran["output"]?["text"]?.stringValue == "{\"said\": \"hello $(id)\"} ; rm -rf /tmp/nothing\n", "\(ran)")
                #expect(ran["diagnostics"]?["exit_code"] == 0)

                let shell = try await make("shell", ["command": "/bin/sh", "args": ["-c", "id"]])
                #expect(shell.status == .unprocessableContent)
                #expect(shell.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["exec_config.cli.command"])
                let preload = try await make("preload", ["command": "/bin/echo", "env": ["LD_PRELOAD": "/tmp/x.so", "GREETING": "hi"]])
                #expect(preload.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["exec_config.cli.env.LD_PRELOAD"])
                let tooLong = try await make("long", ["command": "/bin/sleep", "args": ["1"], "timeout_sec": 600])
                #expect(tooLong.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["exec_config.cli.timeout_sec"])

                let sleeper = try await make("sleeper", ["command": "/bin/sleep", "args": ["30"], "timeout_sec": 1])
                let slept = try await client.post("/api/v1/operators/\(sleeper.jsonBody.id)/test", [:], headers: root).jsonBody
                #expect(slept["success"] == false)
                #expect(slept["message"]?.stringValue?.contains("longer than") == true, "\(slept)")
                let chatty = try await make("yes", ["command": "/usr/bin/yes", "args": ["operator"]])
                let flooded = try await client.post("/api/v1/operators/\(chatty.jsonBody.id)/test", [:], headers: root).jsonBody
                #expect(flooded["success"] == false)
                #expect(flooded["message"]?.stringValue?.contains("4096 bytes") == true, "\(flooded)")
            }
        }
    }

    @Test("ai_model: the offline local model, directly and as a registered AI model, with a prompt template; output_spec checked")
    func aiModel() async throws {
        try await withTestDatabase("operators_ai", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("opm")
                let root = bearer(try await client.login("opm-root")["access_token"])
                let model = try await client.post("/api/v1/ai-models", ["name": "offline", "provider": "local", "model_name": "local-extractive"], headers: root)
                #expect(model.status == .created, "\(model.text)")
                for name in ["local", "offline"] {
                    let created = try await client.post("/api/v1/operators", [
                        "code": .string("describe-\(name)"), "name": "Describe", "category": "generation", "type": "llm", "exec_mode": "ai_model",
                        "exec_config": ["ai_model": ["model": .string(name), "system_prompt": "Be brief.", "user_prompt_template": "Scenes found: {{params.summary}}. Nothing else.", "max_tokens": 64]],
                        "input_schema": ["type": "object", "required": ["summary"]], "output_spec": ["type": "object", "required": ["text", "provider"], "properties": ["text": ["type": "string", "minLength": 1]]],
                    ], headers: root)
                    #expect(created.status == .created, "\(created.text)")
                    let ran = try await client.post("/api/v1/operators/\(created.jsonBody.id)/test", ["params": ["summary": "three cuts in a street video"]], headers: root).jsonBody
                    #expect(ran["success"] == true, "\(ran)")
                    #expect(ran["output"]?["provider"] == "local")
                    #expect(ran["output"]?["text"]?.stringValue?.contains("three cuts in a street video") == true, "\(ran)")
                }
                let unknown = try await client.post("/api/v1/operators", [
                    "code": "ghost", "name": "Ghost", "category": "generation", "type": "llm", "exec_mode": "ai_model",
                    "exec_config": ["ai_model": ["model": "no-such-model", "user_prompt_template": "{{params.x"]],
                ], headers: root)
                #expect(unknown.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["exec_config.ai_model.user_prompt_template"])
            }
        }
    }

    @Test("mcp: a stdio server (the official Python SDK) configured per tenant, live status, tools, preview, install, test call, template sync")
    func mcp() async throws {
        let python = toolsPython()
        try await withTestDatabase("operators_mcp", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["OPERATOR_MCP_STDIO_COMMANDS": python])
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("opx")
                _ = try await Fixtures(dependencies).setup("opy")
                let root = bearer(try await client.login("opx-root")["access_token"])
                let other = bearer(try await client.login("opy-root")["access_token"])
                let refused = try await client.post("/api/v1/operators/mcp/servers", ["name": "shell", "transport": "stdio", "command": "/bin/sh"], headers: root)
                #expect(refused.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["command"])
                let private_ = try await client.post("/api/v1/operators/mcp/servers", ["name": "lan", "transport": "http", "url": "http://10.0.0.5/mcp"], headers: root)
                #expect(private_.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["url"])
                let server = try await client.post("/api/v1/operators/mcp/servers", [
                    "name": "tools", "description": "test tools", "transport": "stdio", "command": .string(python), "args": [.string(mcpFixture())], "timeout_sec": 30,
                ], headers: root)
                #expect(server.status == .created, "\(server.text)")
                let serverID = server.jsonBody.id
                let listed = try await client.get("/api/v1/operators/mcp/servers", headers: root).jsonBody
                #expect(listed.arrayValues?.first?["status"] == "online", "\(listed)")
                #expect(listed.arrayValues?.first?["tool_count"] == 3)
                let tools = try await client.get("/api/v1/operators/mcp/servers/\(serverID)/tools", headers: root).jsonBody
                #expect(Set(tools.arrayValues?.compactMap { $0["name"]?.stringValue } ?? []) == ["add", "shout", "explode"])
                let add = try await client.get("/api/v1/operators/mcp/servers/\(serverID)/tools/add/preview", headers: root).jsonBody
                #expect(add["input_schema"]?["properties"]?["a"]?["type"] == "integer")
                #expect(try await client.get("/api/v1/operators/mcp/servers/\(serverID)/tools/nope/preview", headers: root).status == .notFound)
                #expect(try await client.get("/api/v1/operators/mcp/servers/\(serverID)/tools", headers: other).status == .notFound)
                #expect(try await client.get("/api/v1/operators/mcp/servers", headers: other).jsonBody == [])

                let installed = try await client.post("/api/v1/operators/mcp/install", [
                    "server_id": .string(serverID), "tool_name": "add", "operator_code": "adder", "operator_name": "Adder", "category": "utility", "timeout_sec": 20,
                ], headers: root)
                #expect(installed.status == .created, "\(installed.text)")
                #expect(installed.jsonBody["origin"] == "mcp")
                #expect(installed.jsonBody["input_schema"]?["properties"]?["b"]?["type"] == "integer")
                let sum = try await client.post("/api/v1/operators/\(installed.jsonBody.id)/test", ["params": ["a": 2, "b": 40]], headers: root).jsonBody
                #expect(sum["success"] == true, "\(sum)")
                #expect(sum["output"] == 42 || sum["output"]?["text"] == "42", "\(sum)")
                #expect(try await client.post("/api/v1/operators/\(installed.jsonBody.id)/test", ["params": ["a": "two"]], headers: root).status == .unprocessableContent)
                let exploding = try await client.post("/api/v1/operators/mcp/install", [
                    "server_id": .string(serverID), "tool_name": "explode", "operator_code": "boom", "operator_name": "Boom",
                ], headers: root).jsonBody
                let exploded = try await client.post("/api/v1/operators/\(exploding.id)/test", ["params": ["reason": "on purpose"]], headers: root).jsonBody
                #expect(exploded["success"] == false)
                #expect(exploded["message"]?.stringValue?.contains("exploded: on purpose") == true, "\(exploded)")

                let synced = try await client.post("/api/v1/operators/mcp/sync-templates", ["server_id": .string(serverID)], headers: root).jsonBody
                #expect(synced["total"] == 3, "\(synced)")
                #expect(synced["created"] == 3)
                let again = try await client.post("/api/v1/operators/mcp/sync-templates", ["server_id": .string(serverID)], headers: root).jsonBody
                #expect(again["updated"] == 3)
                #expect(again["created"] == 0)
                let templates = try await client.get("/api/v1/operators/templates?exec_mode=mcp", headers: root).jsonBody
                #expect(templates["total"] == 3)
                #expect(try await client.get("/api/v1/operators/templates?exec_mode=mcp", headers: other).jsonBody["total"] == 0)
                let shout = try #require(templates["items"]?.arrayValues?.first { $0["code"] == "shout" })
                let fromTemplate = try await client.post("/api/v1/operators/templates/install", [
                    "template_id": .string(shout.id), "operator_code": "shouter", "operator_name": "Shouter",
                ], headers: root)
                #expect(fromTemplate.status == .created, "\(fromTemplate.text)")
                let loud = try await client.post("/api/v1/operators/\(fromTemplate.jsonBody.id)/test", ["params": ["text": "hé"]], headers: root).jsonBody
                #expect(loud["output"]?["text"] == "HÉ", "\(loud)")
                #expect(try await client.delete("/api/v1/operators/mcp/servers/\(serverID)", headers: other).status == .notFound)
                #expect(try await client.delete("/api/v1/operators/mcp/servers/\(serverID)", headers: root).status == .noContent)
            }
        }
    }

    @Test("mcp over Streamable HTTP: a URL the outbound policy allows, a tool installed and called")
    func mcpHTTP() async throws {
        let port = Int.random(in: 40_000...60_000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: toolsPython())
        server.arguments = [mcpFixture(), "http", String(port)]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL) }
        try await withTestDatabase("operators_mcp_http", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"])
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("oph")
                let root = bearer(try await client.login("oph-root")["access_token"])
                let created = try await client.post("/api/v1/operators/mcp/servers", [
                    "name": "remote", "transport": "http", "url": .string("http://127.0.0.1:\(port)/mcp"), "timeout_sec": 5,
                ], headers: root)
                #expect(created.status == .created, "\(created.text)")
                let id = created.jsonBody.id
                // The Python server takes a moment to listen.
                #expect(try await eventually(within: 60) {
                    try await client.get("/api/v1/operators/mcp/servers/\(id)/tools", headers: root).status == .ok
                })
                let installed = try await client.post("/api/v1/operators/mcp/install", [
                    "server_id": .string(id), "tool_name": "shout", "operator_code": "shout", "operator_name": "Shout",
                ], headers: root)
                #expect(installed.status == .created, "\(installed.text)")
                let loud = try await client.post("/api/v1/operators/\(installed.jsonBody.id)/test", ["params": ["text": "abc"]], headers: root).jsonBody
                #expect(loud["output"]?["text"] == "ABC", "\(loud)")
                // Disabled: listed as such, and its tools are not reached.
                #expect(try await client.put("/api/v1/operators/mcp/servers/\(id)", ["enabled": false], headers: root).jsonBody["enabled"] == false)
                #expect(try await client.get("/api/v1/operators/mcp/servers", headers: root).jsonBody.arrayValues?.first?["status"] == "disabled")
                #expect(try await client.get("/api/v1/operators/mcp/servers/\(id)/tools", headers: root).status == .conflict)
            }
        }
    }
}
