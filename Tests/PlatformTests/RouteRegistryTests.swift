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

@Suite("Route registry and conventions over HTTP")
struct RouteRegistryTests {
    func makeApp() -> some ApplicationProtocol {
        let router = Router(context: AppRequestContext.self)
        let table = RouteTable()
        router.add(middleware: RequestIDMiddleware<AppRequestContext> { context, id in context.requestID = id })
        router.add(middleware: ErrorEnvelopeMiddleware(routes: table))
        router.add(middleware: TestPrincipalMiddleware())
        let registry = RouteRegistry(router: router, table: table)
        registry.addProtected(
            RouteDeclaration(
                .get, "/items", summary: "List", tag: "test", access: .permission("item:list"),
                parameters: RouteParameter.paging, responses: [.json(.ok, Page<Item>.self)])
        ) { request, _ in
            let page = try PageRequest(request: request)
            let all = (0..<45).map { Item(name: "item \($0)") }
            return Page(items: Array(all.dropFirst(page.offset).prefix(page.limit)), total: all.count, request: page)
        }
        registry.addProtected(
            RouteDeclaration(.post, "/items", summary: "Create", tag: "test", access: .permission("item:create"), body: .type(Item.self), responses: [.json(.created, Item.self)])
        ) { request, context in
            let item = try await request.decode(as: Item.self, context: context)
            return EditedResponse(status: .created, response: item)
        }
        registry.addProtected(
            RouteDeclaration(.get, "/me", summary: "Me", tag: "test", access: .authenticated, responses: [.json(.ok, Item.self)])
        ) { _, context in Item(name: context.principal.userID.uuidString) }
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
}
