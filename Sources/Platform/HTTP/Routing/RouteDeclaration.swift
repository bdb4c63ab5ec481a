import Foundation
import HTTPTypes
import PlatformSupport

/// Who may call a route. Every route states one; there is no default.
public enum RouteAccess: Sendable, Equatable {
    /// Anyone, signed in or not.
    case `public`
    /// Any signed-in caller (their own profile, logout).
    case authenticated
    /// Callers holding this permission code (`resource:action`).
    case permission(String)

    public var permissionCode: String? {
        if case .permission(let code) = self { return code }
        return nil
    }
}

/// A documented parameter (path parameters are derived from the path; declare them to give a format).
public struct RouteParameter: Sendable {
    public enum Location: String, Sendable { case path, query, header }

    public var name: String
    public var location: Location
    public var schema: JSONValue
    public var required: Bool
    public var description: String?

    public init(_ name: String, in location: Location, schema: JSONValue, required: Bool = false, description: String? = nil) {
        self.name = name
        self.location = location
        self.schema = schema
        self.required = location == .path ? true : required
        self.description = description
    }

    public static func query(_ name: String, _ schema: JSONValue, required: Bool = false, description: String? = nil) -> RouteParameter {
        RouteParameter(name, in: .query, schema: schema, required: required, description: description)
    }

    public static func path(_ name: String, _ schema: JSONValue = ["type": "string"], description: String? = nil) -> RouteParameter {
        RouteParameter(name, in: .path, schema: schema, description: description)
    }

    /// A path parameter holding a UUID (an id).
    public static func uuid(_ name: String, description: String? = nil) -> RouteParameter {
        .path(name, ["type": "string", "format": "uuid"], description: description)
    }

    /// `limit`, `offset` and their aliases, as `PageRequest` reads them.
    public static let paging: [RouteParameter] = [
        .query("limit", ["type": "integer", "minimum": 1, "maximum": .int(Int64(PageRequest.maximumLimit)), "default": .int(Int64(PageRequest.defaultLimit))]),
        .query("offset", ["type": "integer", "minimum": 0, "default": 0]),
        .query("skip", ["type": "integer", "minimum": 0], description: "Alias of offset"),
        .query("page", ["type": "integer", "minimum": 1], description: "1-based page; with per_page instead of limit/offset"),
        .query("per_page", ["type": "integer", "minimum": 1, "maximum": .int(Int64(PageRequest.maximumLimit))]),
    ]
}

/// A schema given by a Swift type or written out.
public enum SchemaSource: Sendable {
    case type(any Decodable.Type)
    case schema(JSONValue)
}

/// One documented response.
public struct RouteResponse: Sendable {
    public var status: HTTPResponse.Status
    public var description: String
    public var contentType: String?
    public var schema: SchemaSource?

    public init(_ status: HTTPResponse.Status, _ description: String, contentType: String? = "application/json", schema: SchemaSource?) {
        self.status = status
        self.description = description
        self.contentType = schema == nil ? nil : contentType
        self.schema = schema
    }

    public static func json(_ status: HTTPResponse.Status = .ok, _ type: any Decodable.Type, _ description: String = "Success") -> RouteResponse {
        RouteResponse(status, description, schema: .type(type))
    }

    /// An error the route may answer, in the standard envelope.
    public static func error(_ status: HTTPResponse.Status, _ description: String) -> RouteResponse {
        RouteResponse(status, description, schema: .type(ErrorEnvelope.self))
    }

    public static func noContent(_ description: String = "Done") -> RouteResponse {
        RouteResponse(.noContent, description, schema: nil)
    }

    public static func text(_ status: HTTPResponse.Status = .ok, contentType: String, _ description: String) -> RouteResponse {
        RouteResponse(status, description, contentType: contentType, schema: .schema(["type": "string"]))
    }
}

/// Everything known about a route: what feeds the router, the access check and `/openapi.json`.
public struct RouteDeclaration: Sendable {
    public var method: HTTPRequest.Method
    public var path: String
    public var summary: String
    public var description: String?
    public var tag: String
    public var access: RouteAccess
    public var parameters: [RouteParameter]
    public var requestBody: SchemaSource?
    /// False when the body may be left out (`POST /tasks/{id}/complete` with nothing to report).
    public var requestBodyRequired: Bool
    /// The body's media type (`multipart/form-data` for uploads).
    public var requestContentType: String
    public var responses: [RouteResponse]

    public init(
        _ method: HTTPRequest.Method, _ path: String, summary: String, description: String? = nil, tag: String,
        access: RouteAccess, parameters: [RouteParameter] = [], body: SchemaSource? = nil, bodyRequired: Bool = true,
        bodyContentType: String = "application/json", responses: [RouteResponse]
    ) {
        self.requestBodyRequired = bodyRequired
        self.requestContentType = bodyContentType
        self.method = method
        self.path = path
        self.summary = summary
        self.description = description
        self.tag = tag
        self.access = access
        self.parameters = parameters
        self.requestBody = body
        self.responses = responses
    }

    /// Names of the `{placeholders}` in the path.
    public var pathParameterNames: [String] {
        path.split(separator: "/").compactMap { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? String(segment.dropFirst().dropLast()) : nil
        }
    }

    public var operationID: String {
        let words = path.split(separator: "/").map { segment -> String in
            segment.hasPrefix("{") ? "by_" + segment.dropFirst().dropLast() : String(segment)
        }
        return ([method.rawValue.lowercased()] + words).joined(separator: "_")
            .replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: ".", with: "_")
    }
}
