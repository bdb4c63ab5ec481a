import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import Providers

/// The modes that call out: `http` (an endpoint, through the outbound target policy), `mcp` (a
/// tool of a configured MCP server) and `ai_model` (a model the provider registry resolves).
extension OperatorRunner {
    static let defaultMaximumResponseBytes = 10 << 20

    func runHTTP(_ settings: JSONValue, _ call: OperatorCall) async throws -> OperatorOutcome {
        guard let endpoint = settings["endpoint"]?.stringValue else { throw OperatorRunFailure.failed("exec_config.http.endpoint is missing") }
        var url: URL
        do { url = try await targets.check(endpoint) } catch let refused as OutboundTargetPolicy.Refused {
            throw OperatorRunFailure.failed("the endpoint is refused: \(refused.reason)")
        }
        let method = HTTPMethod(rawValue: settings["method"]?.stringValue ?? "POST")
        var body = call.input
        if let asset = call.asset, case .object(var object) = body, object["asset_id"] == nil {
            object["asset_id"] = .string(asset.id.uuidString.lowercased())
            body = .object(object)
        }
        let sendsBody = method != .GET && method != .DELETE
        if !sendsBody, case .object(let object) = body, !object.isEmpty, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
            var items = components.queryItems ?? []
            for key in object.keys.sorted() { items.append(URLQueryItem(name: key, value: object[key].map(TemplateText.text))) }
            components.queryItems = items
            if let withQuery = components.url { url = withQuery }
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        if case .object(let headers)? = settings["headers"] {
            for (name, value) in headers { if let text = value.stringValue { request.headers.add(name: name, value: text) } }
        }
        let auth = settings["auth_config"] ?? [:]
        switch settings["auth_type"]?.stringValue {
        case "bearer":
            request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(auth["token"]?.stringValue ?? "")")
        case "basic":
            let pair = "\(auth["username"]?.stringValue ?? ""):\(auth["password"]?.stringValue ?? "")"
            request.headers.replaceOrAdd(name: "Authorization", value: "Basic \(Data(pair.utf8).base64EncodedString())")
        case "api_key":
            request.headers.replaceOrAdd(name: auth["header"]?.stringValue ?? "X-API-Key", value: auth["key"]?.stringValue ?? "")
        default:
            break
        }
        if sendsBody {
            request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))
        }
        request.headers.replaceOrAdd(name: "Accept", value: "application/json")
        let timeout = JSONSchema.integer(settings["timeout_sec"] ?? 30) ?? 30
        let limit = JSONSchema.integer(settings["max_response_bytes"] ?? .null) ?? Self.defaultMaximumResponseBytes
        let status: UInt
        let buffer: ByteBuffer
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(timeout)))
            status = response.status.code
            buffer = try await response.body.collect(upTo: limit)
        } catch let error as NIOTooManyBytesError {
            throw OperatorRunFailure.failed("the endpoint's answer is larger than \(limit) bytes (\(error))")
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw OperatorRunFailure.failed("the endpoint did not answer within \(timeout) s")
        } catch let error as HTTPClientError {
            throw OperatorRunFailure.failed("the endpoint could not be called: \(error)")
        }
        let text = String(buffer: buffer)
        guard (200..<300).contains(status) else {
            throw OperatorRunFailure.failed("the endpoint answered \(status): \(text.prefix(300))")
        }
        let output: JSONValue = text.isEmpty ? [:] : Self.parsed(text)
        return OperatorOutcome(output: output, diagnostics: ["status_code": .int(Int64(status))])
    }

    func runMCP(_ settings: JSONValue, _ call: OperatorCall) async throws -> OperatorOutcome {
        guard let serverID = settings["server_id"]?.stringValue.flatMap(UUID.init(uuidString:)), let tool = settings["tool_name"]?.stringValue else {
            throw OperatorRunFailure.failed("exec_config.mcp needs server_id and tool_name")
        }
        guard let server = try await mcp.server(serverID, tenantID: call.tenantID) else {
            throw OperatorRunFailure.failed("the MCP server \(serverID.uuidString.lowercased()) is not configured in this tenant")
        }
        var given: [String: JSONValue] = [:]
        if case .object(let object) = call.input { given = object }
        let arguments = given
        let timeout = JSONSchema.integer(settings["timeout_sec"] ?? .null).map { Duration.seconds($0) }
        let texts: [String]
        do {
            texts = try await mcp.withConnection(server, timeout: timeout) { connection in try await connection.callTool(tool, arguments: arguments).text }
        } catch let failure as OperatorRunFailure {
            throw failure
        } catch MCPClientError.toolFailed(let message) {
            throw OperatorRunFailure.failed("the tool \(tool) reported an error: \(message.prefix(500))")
        } catch {
            throw OperatorRunFailure.failed("the MCP server \(server.name) could not be used: \(String(describing: error).prefix(300))")
        }
        let output = texts.count == 1 ? Self.parsed(texts[0]) : ["text": .string(texts.joined(separator: "\n")), "content": .array(texts.map { .string($0) })]
        return OperatorOutcome(output: output, diagnostics: ["mcp_server": .string(server.name), "tool": .string(tool)])
    }

    func runModel(_ settings: JSONValue, _ call: OperatorCall) async throws -> OperatorOutcome {
        guard let model = settings["model"]?.stringValue, let template = settings["user_prompt_template"]?.stringValue else {
            throw OperatorRunFailure.failed("exec_config.ai_model needs model and user_prompt_template")
        }
        // `provider/model` names a configured provider's model; a bare name is `local` or an AI
        // model the tenant registered (bound to its own endpoint, key and model name).
        let parts = model.split(separator: "/", maxSplits: 1).map(String.init)
        let providerName = parts.count == 2 ? parts[0] : model
        let modelName = parts.count == 2 ? parts[1] : (model == "local" ? LocalProvider.model : model)
        guard let provider = try await providers.provider(providerName, tenant: call.tenantID) else {
            throw OperatorRunFailure.failed("no model \(model): name `local`, a configured provider's `provider/model`, or an active AI model of this tenant")
        }
        let scope = Self.scope(call)
        var messages: [ChatMessage] = []
        if let system = settings["system_prompt"]?.stringValue, !system.isEmpty {
            messages.append(ChatMessage(role: .system, content: TemplateText.render(system, scope: scope)))
        }
        messages.append(ChatMessage(role: .user, content: TemplateText.render(template, scope: scope)))
        let request = ChatRequest(
            model: modelName, messages: messages, temperature: settings["temperature"].flatMap(JSONSchema.number),
            maxTokens: settings["max_tokens"].flatMap(JSONSchema.integer))
        let timeout = JSONSchema.integer(settings["timeout_sec"] ?? 120) ?? 120
        let answer: ChatResponse
        do {
            answer = try await withDeadline(.seconds(timeout)) { try await provider.complete(request) }
        } catch is CancellationError {
            if Task.isCancelled { throw CancellationError() }
            throw OperatorRunFailure.failed("the model did not answer within \(timeout) s")
        } catch {
            throw OperatorRunFailure.failed("the model failed: \(String(describing: error).prefix(300))")
        }
        var output: [String: JSONValue] = ["text": .string(answer.content), "model": .string(answer.model), "provider": .string(answer.provider)]
        if let usage = answer.usage {
            output["usage"] = ["prompt_tokens": .int(Int64(usage.promptTokens)), "completion_tokens": .int(Int64(usage.completionTokens))]
        }
        if settings["response_format"]?.stringValue == "json" {
            let text = answer.content
            let start = text.firstIndex(where: { $0 == "{" || $0 == "[" })
            let end = text.lastIndex(where: { $0 == "}" || $0 == "]" })
            guard let start, let end, start <= end, let parsed = try? JSONDecoder().decode(JSONValue.self, from: Data(text[start...end].utf8)) else {
                throw OperatorRunFailure.failed("the model's answer is not JSON (response_format json)")
            }
            output["json"] = parsed
        }
        return OperatorOutcome(output: .object(output), diagnostics: ["model": .string(answer.model), "provider": .string(answer.provider)])
    }
}
