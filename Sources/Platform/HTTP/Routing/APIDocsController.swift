import Foundation
import Hummingbird
import NIOCore
import PlatformSupport

/// Serves the route list as `/openapi.json` and as a readable page at `/docs`.
public struct APIDocsController: Sendable {
    let table: RouteTable
    let title: String
    let version: String

    public init(table: RouteTable, title: String, version: String) {
        self.table = table
        self.title = title
        self.version = version
    }

    public func register(in registry: RouteRegistry) {
        let routes = registry.group("", tag: "meta")
        routes.get(
            "/openapi.json", "The OpenAPI 3.1 description of every route", .public,
            responses: [RouteResponse(.ok, "OpenAPI document", schema: .schema(["type": "object"]))], use: openAPI)
        routes.get("/docs", "Human-readable API reference", .public, responses: [.text(contentType: "text/html", "HTML page")], use: docs)
    }

    func openAPI(_ request: Request, _ context: AppRequestContext) async throws -> Response { try openAPIResponse() }
    func docs(_ request: Request, _ context: AppRequestContext) async throws -> Response { docsResponse() }

    public func document() -> JSONValue {
        OpenAPIDocument(title: title, version: version, routes: table.all).build()
    }

    public func documentData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return try encoder.encode(document())
    }

    func openAPIResponse() throws -> Response {
        let data = try documentData()
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func docsResponse() -> Response {
        let routes = table.all.sorted { ($0.tag, $0.path, $0.method.rawValue) < ($1.tag, $1.path, $1.method.rawValue) }
        var html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(escape(title)) API</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d1d1f}
            table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
            code{font-family:ui-monospace,monospace}.m{font-weight:600}.GET{color:#0a7}.POST{color:#06c}.PUT,.PATCH{color:#b60}.DELETE{color:#c33}
            h2{margin-top:2rem;text-transform:capitalize}
            </style></head><body>
            <h1>\(escape(title)) API <small>\(escape(version))</small></h1>
            <p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).
            Protected routes take <code>Authorization: Bearer &lt;token or API key&gt;</code> or <code>X-API-Key</code>.</p>
            """
        var currentTag: String?
        for route in routes {
            if route.tag != currentTag {
                if currentTag != nil { html += "</table>" }
                html += "<h2>\(escape(route.tag))</h2><table><tr><th>Method</th><th>Path</th><th>Summary</th><th>Access</th></tr>"
                currentTag = route.tag
            }
            let access: String
            switch route.access {
            case .public: access = "public"
            case .authenticated: access = "signed in"
            case .permission(let code): access = "<code>\(escape(code))</code>"
            }
            html += "<tr><td class=\"m \(route.method.rawValue)\">\(route.method.rawValue)</td><td><code>\(escape(route.path))</code></td><td>\(escape(route.summary))</td><td>\(access)</td></tr>"
        }
        if currentTag != nil { html += "</table>" }
        html += "</body></html>"
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
