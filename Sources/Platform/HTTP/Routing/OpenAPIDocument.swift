import Foundation
import HTTPTypes
import PlatformSupport

/// Builds the OpenAPI 3.1 document from the declared routes.
public struct OpenAPIDocument {
    public var title: String
    public var version: String
    public var routes: [RouteDeclaration]
    /// What each tag (a module's group of routes) is about, for the reference's sections.
    public var tagDescriptions: [String: String]
    public var description: String?

    public init(title: String, version: String, routes: [RouteDeclaration], tagDescriptions: [String: String] = [:], description: String? = nil) {
        self.title = title
        self.version = version
        self.routes = routes
        self.tagDescriptions = tagDescriptions
        self.description = description
    }

    public func build() -> JSONValue {
        let schemas = SchemaBuilder()
        let errorSchema = schemas.schema(for: ErrorEnvelope.self)
        var paths: [String: [String: JSONValue]] = [:]
        var usedIDs: Set<String> = []
        for route in routes.sorted(by: { ($0.path, $0.method.rawValue) < ($1.path, $1.method.rawValue) }) {
            var entry = operation(route, schemas: schemas, errorSchema: errorSchema)
            // `/models/list` and `/models-list` spell one id: the later one gets a suffix.
            if case .object(var fields) = entry, var id = fields["operationId"]?.stringValue {
                let base = id
                var counter = 2
                while usedIDs.contains(id) {
                    id = "\(base)_\(counter)"
                    counter += 1
                }
                usedIDs.insert(id)
                fields["operationId"] = .string(id)
                entry = .object(fields)
            }
            paths[route.path, default: [:]][route.method.rawValue.lowercased()] = entry
        }
        let components: [String: JSONValue] = [
            "schemas": .object(schemas.components),
            "securitySchemes": [
                "bearerAuth": ["type": "http", "scheme": "bearer", "description": "An access token (JWT) or an API key"],
                "apiKeyAuth": ["type": "apiKey", "in": "header", "name": "X-API-Key"],
            ],
        ]
        var info: [String: JSONValue] = ["title": .string(title), "version": .string(version)]
        if let description { info["description"] = .string(description) }
        let tags = Set(routes.map(\.tag)).sorted().map { tag -> JSONValue in
            var entry: [String: JSONValue] = ["name": .string(tag)]
            if let text = tagDescriptions[tag] { entry["description"] = .string(text) }
            return .object(entry)
        }
        return [
            "openapi": "3.1.0",
            "info": .object(info),
            "tags": .array(tags),
            "paths": .object(paths.mapValues { .object($0) }),
            "components": .object(components),
        ]
    }

    func operation(_ route: RouteDeclaration, schemas: SchemaBuilder, errorSchema: JSONValue) -> JSONValue {
        var operation: [String: JSONValue] = [
            "operationId": .string(route.operationID),
            "summary": .string(route.summary),
            "tags": [.string(route.tag)],
        ]
        if let description = route.description { operation["description"] = .string(description) }

        var parameters: [JSONValue] = []
        let declaredPath = Dictionary(route.parameters.filter { $0.location == .path }.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for name in route.pathParameterNames {
            let parameter = declaredPath[name] ?? .path(name)
            parameters.append(Self.parameter(parameter))
        }
        for parameter in route.parameters where parameter.location != .path {
            parameters.append(Self.parameter(parameter))
        }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }

        if let body = route.requestBody {
            var media: [String: JSONValue] = ["schema": Self.schema(body, schemas: schemas)]
            if case .type(let type) = body, let example = type as? any BodyExample.Type { media["example"] = example.example }
            operation["requestBody"] = [
                "required": .bool(route.requestBodyRequired),
                "content": .object([route.requestContentType: .object(media)]),
            ]
        }

        var responses: [String: JSONValue] = [:]
        for response in route.responses {
            var entry: [String: JSONValue] = ["description": .string(response.description)]
            if let schema = response.schema, let contentType = response.contentType {
                entry["content"] = .object([contentType: ["schema": Self.schema(schema, schemas: schemas)]])
            }
            // Two documented responses of one status (JSON, or an SSE stream) share it by content type.
            if case .object(let earlier)? = responses[String(response.status.code)]?["content"], case .object(let later)? = entry["content"] {
                entry["content"] = .object(earlier.merging(later) { first, _ in first })
                entry["description"] = responses[String(response.status.code)]?["description"] ?? entry["description"]
            }
            responses[String(response.status.code)] = .object(entry)
        }
        func error(_ status: Int, _ description: String) {
            if responses[String(status)] == nil {
                responses[String(status)] = [
                    "description": .string(description),
                    "content": ["application/json": ["schema": errorSchema]],
                ]
            }
        }
        // A typed path parameter (a revision number) that does not parse is an invalid field.
        let typedPath = route.parameters.contains { $0.location == .path && $0.schema["type"] != "string" }
        if route.requestBody != nil || typedPath || parameters.contains(where: { $0["in"] != "path" }) {
            error(400, "The request could not be read")
            error(422, "The request has invalid fields")
        }
        if route.requestBody != nil {
            error(413, "The request body is too large")
            error(415, "The request body is not JSON")
        }
        if !route.pathParameterNames.isEmpty { error(404, "Not found") }
        error(429, "Rate limit exceeded; see Retry-After")
        if route.access != .public {
            error(401, "Authentication is required")
            if route.access.permissionCode != nil { error(403, "The caller lacks the required permission") }
            operation["security"] = [["bearerAuth": []], ["apiKeyAuth": []]]
            operation["x-permission"] = route.access.permissionCode.map { .string($0) } ?? "authenticated"
        } else {
            // No credential is needed, but one that is sent and does not check out is refused.
            error(401, "A credential was sent and is not valid")
            operation["security"] = []
        }
        operation["responses"] = .object(responses)
        return .object(operation)
    }

    static func parameter(_ parameter: RouteParameter) -> JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(parameter.name),
            "in": .string(parameter.location.rawValue),
            "required": .bool(parameter.required),
            "schema": parameter.schema,
        ]
        if let description = parameter.description { object["description"] = .string(description) }
        return .object(object)
    }

    static func schema(_ source: SchemaSource, schemas: SchemaBuilder) -> JSONValue {
        switch source {
        case .type(let type): schemas.schema(for: type)
        case .schema(let schema): schema
        }
    }
}

