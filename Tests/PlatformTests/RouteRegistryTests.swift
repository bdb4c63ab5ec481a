import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import PlatformTesting
import Testing

/// Stands in for authentication: a test header names the permissions of a fixed principal.
struct TestPrincipalMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        if let permissions = request.headers[HTTPField.Name("X-Test-Permissions")!] {
            context.principal = Principal(
                userID: UUID.v7(), tenantID: UUID.v7(), credential: .session(id: UUID.v7()),
                permissions: Set(permissions.split(separator: ",").map(String.init)))
        }
        return try await next(request, context)
    }
}

struct Item: Codable, Sendable, ResponseEncodable {
    var name: String
}

struct ItemQuery: QueryInput {
    var paging: PageRequest
    var prefix: String?
    var minimum: Int?
    var kind: DataScope?
    static let parameterDocs: [String: QueryParameterDoc] = ["minimum": .init("At least this", minimum: 1, maximum: 5)]
}

@Suite("Route registry and conventions over HTTP")
struct RouteRegistryTests {
    func makeApp() -> some ApplicationProtocol {
        let router = Router(context: AppRequestContext.self)
        let table = RouteTable()
        router.add(middleware: RequestIDMiddleware<AppRequestContext> { context, id in context.requestID = id })
        router.add(middleware: ErrorEnvelopeMiddleware(routes: table))
        router.add(middleware: TestPrincipalMiddleware())
        let registry = RouteRegistry(router: router, table: table)
        let routes = registry.group("", tag: "test")
        routes.get("/items", "List", .permission("item:list"), query: ItemQuery.self) { (request, _: AuthenticatedContext) in
            let query = try request.query(ItemQuery.self)
            let all = (0..<45).map { Item(name: "item \($0)") }.filter { query.prefix.map($0.name.hasPrefix) ?? true }
            return Page(items: Array(all.dropFirst(query.paging.offset).prefix(query.paging.limit)), total: all.count, request: query.paging)
        }
        routes.post("/items", "Create", .permission("item:create"), body: Item.self) { (request, context: AuthenticatedContext) in
            Created(try await request.decode(as: Item.self, context: context))
        }
        routes.get("/me", "Me", .authenticated) { (_, context: AuthenticatedContext) in Item(name: context.principal.userID.uuidString) }
        // A parameter registered before its literal sibling: the literal still wins.
        routes.get("/things/{id}", "A thing", .public) { (_, context: AppRequestContext) in Item(name: "thing " + (context.parameters.get("id") ?? "")) }
        routes.get("/things/special", "The special thing", .public) { (_, _: AppRequestContext) in Item(name: "special") }
        return Application(router: router)
    }

    @Test func protectedRoutesNeedAPrincipalAndThePermission() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/items", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.jsonBody["error"]?["code"] == "UNAUTHORIZED")
            }
            try await client.execute(uri: "/items", method: .get, headers: [HTTPField.Name("X-Test-Permissions")!: "item:create"]) { response in
                #expect(response.status == .forbidden)
                #expect(response.jsonBody["error"]?["details"]?["required_permission"] == "item:list")
            }
            try await client.execute(uri: "/items/", method: .get, headers: [HTTPField.Name("X-Test-Permissions")!: "item:create"]) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/items", method: .get, headers: [HTTPField.Name("X-Test-Permissions")!: "item:list"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/me", method: .get, headers: [HTTPField.Name("X-Test-Permissions")!: ""]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func pagingEnvelopeAndErrors() async throws {
        let headers: HTTPFields = [HTTPField.Name("X-Test-Permissions")!: "item:list"]
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/items?limit=20&offset=40", method: .get, headers: headers) { response in
                let body = response.jsonBody
                #expect(body["total"] == 45)
                #expect(body["limit"] == 20)
                #expect(body["offset"] == 40)
                #expect(body["has_more"] == false)
                guard case .array(let items)? = body["items"] else { Issue.record("no items"); return }
                #expect(items.count == 5)
            }
            try await client.execute(uri: "/items?limit=500&offset=-1", method: .get, headers: headers) { response in
                #expect(response.status == .unprocessableContent)
                let error = response.jsonBody["error"]
                #expect(error?["code"] == "VALIDATION_ERROR")
                #expect(error?["details"]?["fields"]?["limit"] != nil)
                #expect(error?["details"]?["fields"]?["offset"] != nil)
            }
            try await client.execute(uri: "/items?page=2&per_page=10", method: .get, headers: headers) { response in
                #expect(response.jsonBody["offset"] == 10)
            }
        }
    }

    @Test func bodyValidationNamesFields() async throws {
        let headers: HTTPFields = [HTTPField.Name("X-Test-Permissions")!: "item:create", .contentType: "application/json"]
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/items", method: .post, headers: headers, body: .init(string: #"{"name": 12}"#)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(response.jsonBody["error"]?["details"]?["fields"]?["name"] == "must be a string")
            }
            try await client.execute(uri: "/items", method: .post, headers: headers, body: .init(string: "not json")) { response in
                #expect(response.status == .badRequest)
                #expect(response.jsonBody["error"]?["code"] == "INVALID_JSON")
            }
            try await client.execute(uri: "/items", method: .post, headers: headers, body: .init(string: #"{"name": "ok"}"#)) { response in
                #expect(response.status == .created)
                #expect(response.jsonBody["name"] == "ok")
            }
        }
    }

    @Test func literalPathsWinOverParameters() async throws {
        try await makeApp().test(.router) { client in
            let special = try await client.execute(uri: "/things/special", method: .get)
            #expect(special.jsonBody["name"] == "special")
            let other = try await client.execute(uri: "/things/other", method: .get)
            #expect(other.jsonBody["name"] == "thing other")
        }
    }

    @Test func queryInputsAreDocumentedAndEveryBadOneNamed() async throws {
        try await makeApp().test(.router) { client in
            let headers: HTTPFields = [HTTPField.Name("X-Test-Permissions")!: "item:list"]
            let filtered = try await client.execute(uri: "/items?prefix=item%2044&limit=2", method: .get, headers: headers)
            #expect(filtered.jsonBody["total"] == 1)
            let bad = try await client.execute(uri: "/items?minimum=9&kind=nobody&limit=0", method: .get, headers: headers)
            #expect(bad.status == .unprocessableContent)
            let fields = bad.jsonBody["error"]?["details"]?["fields"]
            #expect(fields?["minimum"] == "must be at most 5")
            #expect(fields?["kind"] != nil)
            #expect(fields?["limit"] != nil)
            // An empty free-text value is no filter; an empty number or enum is a bad value.
            let emptyText = try await client.execute(uri: "/items?prefix=", method: .get, headers: headers)
            #expect(emptyText.jsonBody["total"] == 45)
            let emptyTyped = try await client.execute(uri: "/items?minimum=&kind=", method: .get, headers: headers)
            #expect(emptyTyped.status == .unprocessableContent)
            #expect(emptyTyped.jsonBody["error"]?["details"]?["fields"]?["minimum"] != nil)
            #expect(emptyTyped.jsonBody["error"]?["details"]?["fields"]?["kind"] != nil)
        }
        let parameters = ItemQuery.routeParameters.map(\.name)
        #expect(Set(parameters) == ["limit", "offset", "skip", "page", "per_page", "prefix", "minimum", "kind"])
    }
}
