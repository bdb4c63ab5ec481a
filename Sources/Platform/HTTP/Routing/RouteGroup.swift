import Foundation
import HTTPTypes
import Hummingbird
import PlatformSupport

/// A context a route handler can be written against: `AppRequestContext` for public routes,
/// `AuthenticatedContext` (non-optional principal) for every other one. The route's declared
/// access and the handler's context must agree; a mismatch stops start-up.
public protocol RouteHandlerContext: RequestContext {
    /// Whether routes of this context are public ones.
    static var isPublicContext: Bool { get }
    /// The handler's context, once the access check has passed.
    static func make(from context: AppRequestContext) throws -> Self
}

extension AppRequestContext: RouteHandlerContext {
    public static var isPublicContext: Bool { true }
    public static func make(from context: AppRequestContext) throws -> AppRequestContext { context }
}

extension AuthenticatedContext: RouteHandlerContext {
    public static var isPublicContext: Bool { false }
    public static func make(from context: AppRequestContext) throws -> AuthenticatedContext { try AuthenticatedContext(context: context) }
}

/// Routes under one path prefix and one tag, registered one line each with a method reference
/// as the handler. Parameters come from the path and an optional `QueryInput` type; the success
/// response is inferred from the handler's return type where it can be (a `Decodable` body is a
/// 200, `Created`/`Accepted`/`NoContent` say theirs); errors the route may answer beyond the
/// standard ones are listed in `responses`.
public struct RouteGroup {
    let registry: RouteRegistry
    public let prefix: String
    public let tag: String

    init(registry: RouteRegistry, prefix: String, tag: String) {
        self.registry = registry
        self.prefix = prefix
        self.tag = tag
    }

    /// A group below this one (same tag unless another is given).
    public func group(_ path: String, tag: String? = nil) -> RouteGroup {
        RouteGroup(registry: registry, prefix: Self.join(prefix, path), tag: tag ?? self.tag)
    }

    static func join(_ prefix: String, _ path: String) -> String {
        if path.isEmpty { return prefix.isEmpty ? "/" : prefix }
        if prefix.isEmpty { return path }
        return prefix + (path.hasPrefix("/") ? path : "/" + path)
    }

    public func get<Context: RouteHandlerContext, Output: ResponseGenerator>(
        _ path: String, _ summary: String, _ access: RouteAccess, description: String? = nil,
        query: (any QueryInput.Type)? = nil, parameters: [RouteParameter] = [], responses: [RouteResponse] = [],
        use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(.get, path, summary, access, description: description, query: query, parameters: parameters, responses: responses, use: handler)
    }

    public func delete<Context: RouteHandlerContext, Output: ResponseGenerator>(
        _ path: String, _ summary: String, _ access: RouteAccess, description: String? = nil,
        query: (any QueryInput.Type)? = nil, parameters: [RouteParameter] = [], body: (any Decodable.Type)? = nil,
        bodyRequired: Bool = true, responses: [RouteResponse] = [],
        use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(.delete, path, summary, access, description: description, query: query, parameters: parameters,
           body: body, bodyRequired: bodyRequired, responses: responses, use: handler)
    }

    public func post<Context: RouteHandlerContext, Output: ResponseGenerator>(
        _ path: String, _ summary: String, _ access: RouteAccess, description: String? = nil,
        query: (any QueryInput.Type)? = nil, parameters: [RouteParameter] = [], body: (any Decodable.Type)? = nil,
        bodyRequired: Bool = true, bodyContentType: String = "application/json", responses: [RouteResponse] = [],
        use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(.post, path, summary, access, description: description, query: query, parameters: parameters, body: body,
           bodyRequired: bodyRequired, bodyContentType: bodyContentType, responses: responses, use: handler)
    }

    public func put<Context: RouteHandlerContext, Output: ResponseGenerator>(
        _ path: String, _ summary: String, _ access: RouteAccess, description: String? = nil,
        query: (any QueryInput.Type)? = nil, parameters: [RouteParameter] = [], body: (any Decodable.Type)? = nil,
        bodyRequired: Bool = true, bodyContentType: String = "application/json", responses: [RouteResponse] = [],
        use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(.put, path, summary, access, description: description, query: query, parameters: parameters, body: body,
           bodyRequired: bodyRequired, bodyContentType: bodyContentType, responses: responses, use: handler)
    }

    public func patch<Context: RouteHandlerContext, Output: ResponseGenerator>(
        _ path: String, _ summary: String, _ access: RouteAccess, description: String? = nil,
        query: (any QueryInput.Type)? = nil, parameters: [RouteParameter] = [], body: (any Decodable.Type)? = nil,
        bodyRequired: Bool = true, responses: [RouteResponse] = [],
        use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(.patch, path, summary, access, description: description, query: query, parameters: parameters, body: body,
           bodyRequired: bodyRequired, responses: responses, use: handler)
    }

    /// The one place a grouped route is declared and added.
    public func on<Context: RouteHandlerContext, Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, _ summary: String, _ access: RouteAccess, description: String? = nil,
        query: (any QueryInput.Type)? = nil, parameters: [RouteParameter] = [], body: (any Decodable.Type)? = nil,
        bodyRequired: Bool = true, bodyContentType: String = "application/json", responses: [RouteResponse] = [],
        use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        let fullPath = Self.join(prefix, path)
        precondition(
            Context.isPublicContext == (access == .public),
            "\(method) \(fullPath): a public route takes AppRequestContext, a protected one AuthenticatedContext")
        var allResponses = responses
        if let inferred = RouteResponse.inferred(from: Output.self), !responses.contains(where: { $0.status == inferred.status }) {
            allResponses.insert(inferred, at: 0)
        }
        precondition(
            allResponses.contains { (200..<400).contains($0.status.code) },
            "\(method) \(fullPath): declare the success response (the handler's return type does not say it)")
        let declaration = RouteDeclaration(
            method, fullPath, summary: summary, description: description, tag: tag, access: access,
            parameters: (query?.routeParameters ?? []) + parameters, body: body.map { .type($0) }, bodyRequired: bodyRequired,
            bodyContentType: bodyContentType, responses: allResponses)
        registry.add(declaration) { request, context in
            try await handler(request, try Context.make(from: context))
        }
    }
}

extension RouteRegistry {
    /// Routes under `prefix`, documented under `tag`.
    public func group(_ prefix: String, tag: String) -> RouteGroup {
        RouteGroup(registry: self, prefix: prefix, tag: tag)
    }
}

/// A response type that states how it is documented (status and body).
public protocol DocumentedResponse {
    static var documentedResponse: RouteResponse { get }
}

extension RouteResponse {
    /// The success response a handler's return type implies, if it implies one.
    static func inferred(from type: Any.Type) -> RouteResponse? {
        if let documented = type as? any DocumentedResponse.Type { return documented.documentedResponse }
        if let decodable = type as? any Decodable.Type { return .json(.ok, decodable) }
        return nil
    }
}

/// 201 with the created resource.
public struct Created<Body: ResponseEncodable & Decodable & Sendable>: ResponseGenerator, DocumentedResponse, Sendable {
    public var body: Body
    public var headers: HTTPFields

    public init(_ body: Body, headers: HTTPFields = [:]) {
        self.body = body
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try body.response(from: request, context: context)
        response.status = .created
        for field in headers { response.headers.append(field) }
        return response
    }

    public static var documentedResponse: RouteResponse { .json(.created, Body.self) }
}

/// 202 with what was accepted (a queued task, a job).
public struct Accepted<Body: ResponseEncodable & Decodable & Sendable>: ResponseGenerator, DocumentedResponse, Sendable {
    public var body: Body

    public init(_ body: Body) {
        self.body = body
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try body.response(from: request, context: context)
        response.status = .accepted
        return response
    }

    public static var documentedResponse: RouteResponse { .json(.accepted, Body.self) }
}

/// 204 and nothing else.
public struct NoContent: ResponseGenerator, DocumentedResponse, Sendable {
    public init() {}

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: .noContent)
    }

    public static var documentedResponse: RouteResponse { .noContent("Done") }
}
