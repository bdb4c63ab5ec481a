import Foundation
import Hummingbird
import NIOCore
import PlatformSupport

/// The API portal: `/openapi.json`, Swagger UI at `/docs` (interactive, with an Authorize box
/// for a token or API key) and Redoc at `/redoc` (read-only). Like FastAPI, the pages load the
/// UIs' assets from a CDN unless a local directory is configured (offline deployments), which is
/// then served under `/docs/assets/`. No inline script, so the pages carry a strict CSP.
public struct APIDocsController: Sendable {
    let table: RouteTable
    let title: String
    let version: String
    let tagDescriptions: [String: String]
    /// A directory holding `swagger-ui-bundle.js`, `swagger-ui.css` (and `redoc.standalone.js`);
    /// nil: the CDN.
    let assetsDirectory: String?

    static let swaggerCDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"
    static let redocCDN = "https://cdn.jsdelivr.net/npm/redoc@2/bundles"
    static let cdnOrigin = "https://cdn.jsdelivr.net"
    static let description = """
        Protected routes take `Authorization: Bearer <access token or API key>` (or `X-API-Key`). \
        Sign in with `POST /api/v1/auth/login`, then use **Authorize** with the access token. \
        Errors share one envelope: `{"error": {"code", "message", "hint", "details", "request_id"}, "detail"}`.
        """

    public init(table: RouteTable, title: String, version: String, tagDescriptions: [String: String] = [:], assetsDirectory: String? = nil) {
        self.table = table
        self.title = title
        self.version = version
        self.tagDescriptions = tagDescriptions
        self.assetsDirectory = assetsDirectory
    }

    public func register(in registry: RouteRegistry) {
        let routes = registry.group("", tag: "meta")
        routes.get(
            "/openapi.json", "The OpenAPI 3.1 description of every route", .public,
            responses: [RouteResponse(.ok, "OpenAPI document", schema: .schema(["type": "object"]))], use: openAPI)
        routes.get("/docs", "Interactive API reference (Swagger UI)", .public, responses: [.text(contentType: "text/html", "HTML page")], use: docs)
        routes.get(
            "/docs/swagger-init.js", "The script that starts Swagger UI on /docs", .public,
            responses: [.text(contentType: "text/javascript", "JavaScript")], use: swaggerInit)
        routes.get("/redoc", "Read-only API reference (Redoc)", .public, responses: [.text(contentType: "text/html", "HTML page")], use: redoc)
        if assetsDirectory != nil {
            routes.get(
                "/docs/assets/{file}", "A file of the API reference's user interface (local assets)", .public,
                parameters: [.path("file", description: "The asset's file name")],
                responses: [.text(contentType: "application/octet-stream", "The file"), .error(.notFound, "No such asset")], use: asset)
        }
    }

    public func document() -> JSONValue {
        OpenAPIDocument(title: title, version: version, routes: table.all, tagDescriptions: tagDescriptions, description: Self.description).build()
    }

    public func documentData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return try encoder.encode(document())
    }

    func openAPI(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: try documentData())))
    }

    var swaggerBase: String { assetsDirectory == nil ? Self.swaggerCDN : "/docs/assets" }
    var redocBase: String { assetsDirectory == nil ? Self.redocCDN : "/docs/assets" }

    /// Scripts and styles from this origin (and the CDN when it is used), nothing inline but
    /// styles (the UIs set style attributes); calls go to this origin only.
    var contentSecurityPolicy: String {
        let cdn = assetsDirectory == nil ? " \(Self.cdnOrigin)" : ""
        return "default-src 'none'; script-src 'self'\(cdn); style-src 'self' 'unsafe-inline'\(cdn); img-src 'self' data:\(cdn); "
            + "font-src 'self' data:\(cdn); connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    }

    func page(_ html: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: contentSecurityPolicy, .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func docs(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        page("""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) API - Swagger UI</title>
            <link rel="stylesheet" href="\(swaggerBase)/swagger-ui.css"></head>
            <body><div id="swagger-ui"></div>
            <script src="\(swaggerBase)/swagger-ui-bundle.js"></script>
            <script src="/docs/swagger-init.js"></script></body></html>
            """)
    }

    func swaggerInit(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let script = """
            window.addEventListener("load", function () {
              window.ui = SwaggerUIBundle({
                url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, persistAuthorization: true,
                displayRequestDuration: true, docExpansion: "none", filter: true, validatorUrl: null,
                presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"
              });
            });
            """
        return Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: script)))
    }

    func redoc(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        page("""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) API - Redoc</title></head>
            <body><redoc spec-url="/openapi.json"></redoc><script src="\(redocBase)/redoc.standalone.js"></script></body></html>
            """)
    }

    static let assetTypes = ["js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "png": "image/png", "map": "application/json"]

    func asset(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let notFound = APIError.notFound("Asset", code: "NOT_FOUND")
        guard let directory = assetsDirectory, let name = context.parameters.get("file"),
            name.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9._-]{0,99}/) != nil, !name.contains(".."),
            let type = Self.assetTypes[String(name.split(separator: ".").last ?? "")],
            let data = FileManager.default.contents(atPath: "\(directory)/\(name)")
        else { throw notFound }
        return Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=86400"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
