import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PlatformServices
import PlatformSupport

/// Calls a URL. Every target (and every redirect) passes the outbound target policy first, so
/// a flow cannot reach loopback, private or metadata addresses unless the deployment allows
/// them; answers are read up to a size limit.
public struct HTTPRequestKind: FlowNodeKind {
    public static let defaultMaximumBytes = 10 << 20
    public static let maximumBytesLimit = 50 << 20
    static let maximumRedirects = 5

    let policy: OutboundTargetPolicy
    let client: HTTPClient

    /// - Parameter client: one that does not follow redirects itself (each hop is checked here).
    public init(policy: OutboundTargetPolicy, client: HTTPClient = HTTPRequestKind.sharedClient) {
        self.policy = policy
        self.client = client
    }

    public static let sharedClient = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    public let descriptor = FlowNodeDescriptor(
        id: "http_request", name: "HTTP request", category: "network",
        description: "Calls a URL (templates allowed in url, headers, query and body). JSON answers are parsed. Internal addresses are refused unless allowed by the deployment.",
        inputSchema: [
            "type": "object", "required": ["url"],
            "properties": [
                "url": ["type": "string", "minLength": 1, "description": "http(s) URL; may hold {{expression}}"],
                "method": ["type": "string", "enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"], "default": "GET"],
                "headers": ["type": "object", "additionalProperties": ["type": "string"]],
                "query": ["type": "object"],
                "body": ["description": "JSON to send (a template)"],
                "max_response_bytes": ["type": "integer", "minimum": 1, "maximum": .int(Int64(maximumBytesLimit))],
                "fail_on_status": ["type": "boolean", "default": true, "description": "Fail on answers of 400 and above"],
                "follow_redirects": ["type": "boolean", "default": true],
            ],
        ],
        outputSchema: [
            "type": "object",
            "properties": ["status_code": ["type": "integer"], "headers": ["type": "object"], "body": ["description": "Parsed JSON, or text"]],
        ],
        exampleUsage: .init(
            input: ["url": "https://api.example.com/items/{{input.id}}", "method": "GET", "headers": ["Accept": "application/json"]],
            output: ["status_code": 200, "headers": ["content-type": "application/json"], "body": ["id": 1]]),
        defaultTimeoutSeconds: 30, exportable: true)

    public func check(config: JSONValue) -> [JSONSchema.Problem] {
        ["url", "headers", "query", "body"].flatMap { CoreNodeKinds.templateProblem(config, $0) }
    }

    public func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        guard case .string(var target) = try invocation.render("url") else { throw FlowNodeFailure("url must render to a string", retryable: false) }
        if case .object(let query) = try invocation.render("query"), !query.isEmpty {
            var components = URLComponents(string: target)
            var items = components?.queryItems ?? []
            for key in query.keys.sorted() { items.append(URLQueryItem(name: key, value: query[key].map(FlowExpression.text))) }
            components?.queryItems = items
            target = components?.string ?? target
        }
        var method = HTTPMethod(rawValue: invocation.config["method"]?.stringValue?.uppercased() ?? "GET")
        var headers = HTTPHeaders()
        if case .object(let given) = try invocation.render("headers") {
            for (name, value) in given { headers.add(name: name, value: FlowExpression.text(value)) }
        }
        let body = try invocation.render("body")
        var payload: ByteBuffer?
        if body != .null {
            if case .string(let text) = body { payload = ByteBuffer(string: text) } else { payload = ByteBuffer(string: FlowExpression.json(body)) }
            if !headers.contains(name: "Content-Type") { headers.add(name: "Content-Type", value: "application/json") }
        }
        let limit = JSONSchema.integer(invocation.config["max_response_bytes"] ?? .null) ?? Self.defaultMaximumBytes
        let follow = invocation.config["follow_redirects"] != .bool(false)
        for hop in 0...Self.maximumRedirects {
            let url: URL
            do { url = try await policy.check(target) } catch let refused as OutboundTargetPolicy.Refused {
                throw FlowNodeFailure("the target is refused: \(refused.reason)", retryable: false)
            }
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = method
            request.headers = headers
            if let payload { request.body = .bytes(payload) }
            let timeout = TimeAmount.milliseconds(Int64((invocation.node.timeoutSeconds ?? descriptor.defaultTimeoutSeconds) * 1000))
            let response = try await client.execute(request, timeout: timeout)
            if follow, [301, 302, 303, 307, 308].contains(response.status.code), let location = response.headers.first(name: "Location"), hop < Self.maximumRedirects {
                target = URL(string: location, relativeTo: url)?.absoluteString ?? location
                if response.status.code == 303 || ((response.status.code == 301 || response.status.code == 302) && method == .POST) {
                    method = .GET
                    payload = nil
                }
                continue
            }
            var buffer = ByteBuffer()
            for try await var chunk in response.body {
                guard buffer.readableBytes + chunk.readableBytes <= limit else {
                    throw FlowNodeFailure("the answer is larger than \(limit) bytes", retryable: false)
                }
                buffer.writeBuffer(&chunk)
            }
            var answerHeaders: [String: JSONValue] = [:]
            for header in response.headers { answerHeaders[header.name.lowercased()] = .string(header.value) }
            let data = Data(buffer: buffer)
            var parsed: JSONValue = .string(String(decoding: data, as: UTF8.self))
            if response.headers.first(name: "Content-Type")?.lowercased().contains("json") == true, !data.isEmpty,
               let json = try? JSONDecoder().decode(JSONValue.self, from: data) {
                parsed = json
            }
            let code = Int(response.status.code)
            let output: JSONValue = ["status_code": .int(Int64(code)), "headers": .object(answerHeaders), "body": parsed]
            if code >= 400 && invocation.config["fail_on_status"] != .bool(false) {
                throw FlowNodeFailure("HTTP \(code) from \(url.host ?? "the target")", retryable: code >= 500 || code == 429)
            }
            return output
        }
        throw FlowNodeFailure("more than \(Self.maximumRedirects) redirects", retryable: false)
    }
}
