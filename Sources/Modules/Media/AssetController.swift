import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import TaskEngine

/// Both video seeds' assets: create (deduplicated by file hash), list with filters, by hash,
/// by type, children, tags, update, soft delete; public assets read by anyone.
struct AssetController: Sendable {
    let database: Database
    let files: any StoredFileDirectory
    let store = AssetStore()
    let sources = SourceStore()

    /// The scope of an anonymous reader: a tenant that does not exist, so row-level security
    /// admits public rows only.
    static let nobody = TenantScope(tenantID: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), dataScope: .own)

    func register(in routes: RouteGroup) {
        routes.post(
            "", "Create an asset (deduplicated by file hash)", .permission("media:asset:create"),
            description: "Refers to an uploaded file (`file_id`: its hash, size and name are taken from it) or to a `path`/`storage_path`. When a live asset of the tenant has the same `file_hash`, that asset is answered with 200 and `deduplicated: true`. Video, audio and image files are probed with ffprobe in the background (status pending → processing → ready or failed).",
            body: AssetInput.self,
            responses: [
                .json(.created, AssetView.self, "Created"), .json(.ok, AssetView.self, "An asset with this file hash exists: it is answered, deduplicated"),
            ],
            use: create)
        routes.get("", "List assets", .permission("media:asset:list"), query: AssetListQuery.self, use: list)
        routes.get("/tags", "Tags in use, with how many assets carry each", .permission("media:asset:list"), query: AssetTagsQuery.self, use: tags)
        routes.get(
            "/by-hash/{file_hash}", "The asset with this file hash (SHA-256)", .permission("media:asset:read"),
            parameters: [.path("file_hash", ["type": "string", "pattern": "^[0-9a-fA-F]{64}$"])], use: byHash)
        routes.get(
            "/by-type/{asset_type}", "Assets of one type, newest first (a bare array)", .permission("media:asset:list"), query: AssetByTypeQuery.self,
            parameters: [.path("asset_type", ["type": "string", "enum": .array(AssetType.allCases.map { .string($0.rawValue) })])], use: byType)
        routes.get(
            "/{id}", "One asset (public assets: any caller, signed in or not)", .public,
            description: "The caller's tenant's assets with `media:asset:read`; any tenant's public assets to anyone.",
            parameters: [.uuid("id")], use: get)
        routes.get("/{id}/children", "Assets derived from this one (a bare array)", .permission("media:asset:read"), parameters: [.uuid("id")], use: children)
        routes.put("/{id}", "Change an asset", .permission("media:asset:update"), parameters: [.uuid("id")], body: AssetUpdate.self, use: update)
        routes.delete(
            "/{id}", "Delete an asset (soft)", .permission("media:asset:delete"), parameters: [.uuid("id")],
            responses: [.noContent("Deleted"), .error(.conflict, "The asset has child assets")], use: delete)
    }

    func find(_ id: UUID, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> StoredAsset {
        guard let asset = try await store.find(id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.assetNotFound }
        return asset
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let input = try await request.decode(as: AssetInput.self, context: context)
        let tenantID = context.principal.tenantID
        let (asset, deduplicated) = try await database.withTenant(context.tenant) { tx -> (StoredAsset, Bool) in
            var file: StoredFileInfo?
            if let fileID = input.fileId {
                file = try await files.file(fileID, tenantID: tenantID, in: tx)
                if file == nil { throw APIError.validation(["file_id": "no such file in this tenant"]) }
            }
            let new = try AssetValidation.newAsset(input, file: file, principal: context.principal)
            var problems: [String: String] = [:]
            if let parent = new.parentID, try await store.find(parent, tenantID: tenantID, in: tx) == nil { problems["parent_id"] = "no such asset in this tenant" }
            if let source = new.sourceID, try await sources.find(source, tenantID: tenantID, in: tx) == nil { problems["source_id"] = "no such media source in this tenant" }
            if !problems.isEmpty { throw APIError.validation(problems) }
            if let hash = new.fileHash, let existing = try await store.findByHash(hash, tenantID: tenantID, in: tx) { return (existing, true) }
            guard let inserted = try await store.insert(new, id: UUID.v7(), tenantID: tenantID, ownerID: context.principal.userID, in: tx) else {
                // Another request created the same hash in between.
                guard let hash = new.fileHash, let existing = try await store.findByHash(hash, tenantID: tenantID, in: tx) else { throw APIError.internalError }
                return (existing, true)
            }
            try await store.publish(inserted, "asset.created", in: tx)
            if AssetProbeHandler.wants(inserted) { try await AssetProbeHandler.enqueue(inserted, in: tx) }
            return (inserted, false)
        }
        var response = try AssetView(asset, deduplicated: deduplicated).response(from: request, context: context)
        response.status = deduplicated ? .ok : .created
        return response
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<AssetView> {
        let query = try request.query(AssetListQuery.self)
        var problems: [String: String] = [:]
        if let type = query.type, let other = query.assetType, type != other { problems["asset_type"] = "differs from type" }
        let from = QueryTime.parse(query.from, field: "from", into: &problems)
        let to = QueryTime.parse(query.to, field: "to", into: &problems)
        let tags = AssetValidation.tags(query.tags ?? [], field: "tags", into: &problems) ?? []
        if !problems.isEmpty { throw APIError.validation(problems, message: "Invalid query parameters") }
        let search = query.search.flatMap { $0.isEmpty ? nil : $0 }
        let filter = AssetFilter(
            tenantID: context.principal.tenantID, type: query.type ?? query.assetType, status: query.status, sourceType: query.sourceType,
            sourceID: query.sourceId, parentID: query.parentId, tags: tags, from: from, to: to, search: search)
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.count(filter, in: tx)
            let assets = try await store.list(filter, limit: query.paging.limit, offset: query.paging.offset, in: tx)
            return Page(items: assets.map { AssetView($0) }, total: total, request: query.paging)
        }
    }

    func tags(_ request: Request, _ context: AuthenticatedContext) async throws -> AssetTags {
        let query = try request.query(AssetTagsQuery.self)
        return AssetTags(tags: try await database.withTenant(context.tenant) { tx in
            try await store.tags(tenantID: context.principal.tenantID, type: query.type, in: tx)
        })
    }

    func byHash(_ request: Request, _ context: AuthenticatedContext) async throws -> AssetView {
        guard let hash = context.parameters.get("file_hash")?.lowercased(), hash.wholeMatch(of: /[0-9a-f]{64}/) != nil else {
            throw APIError.validation(["file_hash": "must be a SHA-256 in hex (64 characters)"])
        }
        guard let asset = try await database.withTenant(context.tenant, { tx in try await store.findByHash(hash, tenantID: context.principal.tenantID, in: tx) })
        else { throw APIError.assetNotFound }
        return AssetView(asset)
    }

    func byType(_ request: Request, _ context: AuthenticatedContext) async throws -> [AssetView] {
        guard let text = context.parameters.get("asset_type"), let type = AssetType(rawValue: text) else {
            throw APIError.validation(["asset_type": "must be one of \(AssetType.allCases.map(\.rawValue).joined(separator: ", "))"])
        }
        let query = try request.query(AssetByTypeQuery.self)
        let filter = AssetFilter(tenantID: context.principal.tenantID, type: type)
        return try await database.withTenant(context.tenant) { tx in
            try await store.list(filter, limit: query.paging.limit, offset: query.paging.offset, in: tx).map { AssetView($0) }
        }
    }

    func get(_ request: Request, _ context: AppRequestContext) async throws -> AssetView {
        guard let id = context.parameters.get("id", as: UUID.self) else { throw APIError.assetNotFound }
        let asset: StoredAsset?
        if let principal = context.principal, principal.holds("media:asset:read") {
            asset = try await database.withTenant(principal.tenantScope) { tx in try await store.findReadable(id, tenantID: principal.tenantID, in: tx) }
        } else {
            asset = try await database.withTenant(Self.nobody) { tx in try await store.findPublic(id, in: tx) }
        }
        guard let asset else { throw APIError.assetNotFound }
        return AssetView(asset)
    }

    func children(_ request: Request, _ context: AuthenticatedContext) async throws -> [AssetView] {
        let id = try context.pathUUID("id", or: .assetNotFound)
        return try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            let filter = AssetFilter(tenantID: context.principal.tenantID, parentID: id)
            return try await store.list(filter, limit: 1000, offset: 0, in: tx).map { AssetView($0) }
        }
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> AssetView {
        let id = try context.pathUUID("id", or: .assetNotFound)
        let body = try await request.decode(as: AssetUpdate.self, context: context)
        let change = try AssetValidation.change(body, principal: context.principal)
        return AssetView(try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            guard let updated = try await store.update(id, tenantID: context.principal.tenantID, change, in: tx) else { throw APIError.assetNotFound }
            return updated
        })
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .assetNotFound)
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            let asset = try await find(id, context, in: tx)
            if try await store.hasChildren(id, tenantID: tenantID, in: tx) { throw APIError.assetHasChildren }
            try await store.softDelete(id, tenantID: tenantID, in: tx)
            try await store.publish(asset, "asset.deleted", in: tx)
        }
        return NoContent()
    }
}
