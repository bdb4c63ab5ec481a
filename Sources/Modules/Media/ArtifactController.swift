import Foundation
import Hummingbird
import PlatformArtifacts
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// The artifact routes over the platform's artifact store.
struct ArtifactController: Sendable {
    let database: Database
    let artifacts: ArtifactStore
    let assets = AssetStore()

    func register(in routes: RouteGroup) {
        routes.post(
            "", "Record what a task produced", .permission("media:artifact:create"),
            description: "`task_id` must be a task of the tenant and `asset_id`, when given, one of its assets (else 422).", body: ArtifactInput.self,
            use: create)
        routes.get("", "List artifacts", .permission("media:artifact:list"), query: ArtifactListQuery.self, use: list)
        routes.get("/{id}", "One artifact", .permission("media:artifact:read"), parameters: [.uuid("id")], use: get)
        routes.delete("/{id}", "Delete an artifact", .permission("media:artifact:delete"), parameters: [.uuid("id")], responses: [.noContent("Deleted")], use: delete)
    }

    func registerTaskRoute(in routes: RouteGroup) {
        routes.get(
            "/{id}/artifacts", "A task's artifacts, oldest first (a bare array)", .permission("media:artifact:list"), query: TaskArtifactsQuery.self,
            parameters: [.uuid("id")], responses: [.error(.notFound, "No such task in the tenant")], use: ofTask)
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<ArtifactView> {
        let input = try await request.decode(as: ArtifactInput.self, context: context)
        let tenantID = context.principal.tenantID
        let record = try await database.withTenant(context.tenant) { tx -> ArtifactRecord in
            var problems: [String: String] = [:]
            if let data = input.data, case .object = data {} else if input.data != nil { problems["data"] = "must be an object" }
            if let asset = input.assetId, try await assets.find(asset, tenantID: tenantID, in: tx) == nil { problems["asset_id"] = "no such asset in this tenant" }
            if !problems.isEmpty { throw APIError.validation(problems) }
            do {
                return try await artifacts.record(
                    NewArtifact(taskID: input.taskId, type: input.type, assetID: input.assetId, data: input.data ?? [:], nodeKey: input.nodeKey),
                    tenantID: tenantID, in: tx)
            } catch ArtifactRecorderError.taskNotFound {
                throw APIError.validation(["task_id": "no such task in this tenant"])
            } catch ArtifactRecorderError.invalid(let field, let reason) {
                throw APIError.validation([field: reason])
            }
        }
        return Created(ArtifactView(record))
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<ArtifactView> {
        let query = try request.query(ArtifactListQuery.self)
        var problems: [String: String] = [:]
        let from = QueryTime.parse(query.from, field: "from", into: &problems)
        let to = QueryTime.parse(query.to, field: "to", into: &problems)
        if !problems.isEmpty { throw APIError.validation(problems, message: "Invalid query parameters") }
        let filter = ArtifactFilter(
            tenantID: context.principal.tenantID, taskID: query.taskId, type: query.type, assetID: query.assetId,
            nodeKey: query.nodeKey.flatMap { $0.isEmpty ? nil : $0 }, from: from, to: to)
        return try await database.withTenant(context.tenant) { tx in
            let total = try await artifacts.count(filter, in: tx)
            let records = try await artifacts.list(filter, limit: query.paging.limit, offset: query.paging.offset, in: tx)
            return Page(items: records.map(ArtifactView.init), total: total, request: query.paging)
        }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> ArtifactView {
        let id = try context.pathUUID("id", or: .artifactNotFound)
        guard let record = try await database.withTenant(context.tenant, { tx in try await artifacts.find(id, tenantID: context.principal.tenantID, in: tx) })
        else { throw APIError.artifactNotFound }
        return ArtifactView(record)
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .artifactNotFound)
        let deleted = try await database.withTenant(context.tenant) { tx in try await artifacts.delete(id, tenantID: context.principal.tenantID, in: tx) }
        guard deleted else { throw APIError.artifactNotFound }
        return NoContent()
    }

    func ofTask(_ request: Request, _ context: AuthenticatedContext) async throws -> [ArtifactView] {
        let id = try context.pathUUID("id", or: .taskNotFound)
        let query = try request.query(TaskArtifactsQuery.self)
        return try await database.withTenant(context.tenant) { tx in
            guard try await artifacts.taskExists(id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.taskNotFound }
            return try await artifacts.artifacts(ofTask: id, tenantID: context.principal.tenantID, type: query.type, in: tx).map(ArtifactView.init)
        }
    }
}
