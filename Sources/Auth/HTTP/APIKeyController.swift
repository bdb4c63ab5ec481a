import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

/// The caller's API keys: `/api/v1/api-keys*` and `/api/v1/settings/api-keys`; the work is `APIKeyService`'s.
struct APIKeyController: Sendable {
    let keys: APIKeyService

    func register(in routes: RouteGroup) {
        routes.get("", "The caller's API keys (never their secrets)", .authenticated, query: PagingQuery.self, use: list)
        routes.post(
            "", "Create an API key; its secret is shown once", .authenticated, body: APIKeyService.CreateRequest.self,
            responses: [.error(.forbidden, "Scopes the caller does not hold")], use: create)
        routes.delete("/{id}", "Revoke an API key", .authenticated, parameters: [.uuid("id")], responses: [.noContent("Revoked")], use: revoke)
    }

    /// The content platform's shape of the same list.
    func registerSettings(in routes: RouteGroup) {
        routes.get("/api-keys", "The caller's active API keys (content platform shape)", .authenticated, use: settingsList)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<APIKeyService.Key> {
        try await keys.list(principal: context.principal, page: try request.query(PagingQuery.self).paging)
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<APIKeyService.CreatedKey> {
        let body = try await request.decode(as: APIKeyService.CreateRequest.self, context: context)
        let created = try await keys.create(body, principal: context.principal, client: AuthController.client(request, context.requestID, context.clientAddress?.ipAddress))
        return Created(created)
    }

    func revoke(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .apiKeyNotFound)
        try await keys.revoke(id: id, principal: context.principal, client: AuthController.client(request, context.requestID, context.clientAddress?.ipAddress))
        return NoContent()
    }

    func settingsList(_ request: Request, _ context: AuthenticatedContext) async throws -> APIKeyService.SettingsList {
        try await keys.settingsList(principal: context.principal)
    }
}
