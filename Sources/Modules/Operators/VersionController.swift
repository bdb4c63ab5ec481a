import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// `/api/v1/operators/{id}/versions`: semver versions, unique per operator and never edited;
/// one is active (activate, roll back to the one active before it), others may be archived.
struct VersionController: Sendable {
    let database: Database
    let service: OperatorService
    var store: OperatorStore { service.store }

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("id")]
        let missing = RouteResponse.error(.notFound, "No such operator (or version) in this tenant")
        routes.get("/{id}/versions", "An operator's versions ({items, total}, newest first)", .permission("operator:read"), query: VersionQuery.self, parameters: id, responses: [missing], use: list)
        routes.get(
            "/{id}/versions/{version_id}", "One version", .permission("operator:read"), parameters: id + [.uuid("version_id")], responses: [missing], use: get)
        routes.post(
            "/{id}/versions", "Add a version (semver, unique per operator)", .permission("operator:version:create"), parameters: id, body: VersionInput.self,
            responses: [missing, .error(.conflict, "The operator already has that version")], use: create)
        routes.post(
            "/{id}/versions/activate", "Make a version the active one", .permission("operator:version:activate"), parameters: id, body: VersionSelector.self,
            responses: [missing], use: activate)
        routes.post(
            "/{id}/versions/rollback", "Go back to the version active before the current one (or to `version_id`)", .permission("operator:version:activate"),
            parameters: id, body: VersionSelector.self, bodyRequired: false, responses: [missing, .error(.conflict, "No earlier active version")], use: rollback)
        routes.post(
            "/{id}/versions/archive", "Archive a version that is not the active one", .permission("operator:version:activate"), parameters: id,
            body: VersionSelector.self, responses: [missing, .error(.conflict, "The version is the active one")], use: archive)
    }

    func operatorID(_ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> StoredOperator {
        let id = try context.pathUUID("id", or: .operatorNotFound)
        guard let stored = try await store.find(id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.operatorNotFound }
        return stored
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> VersionList {
        let query = try request.query(VersionQuery.self)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let owner = try await operatorID(context, in: tx)
            let items = try await store.versions(of: owner.id, tenantID: tenantID, status: query.status, limit: query.paging.limit, offset: query.paging.offset, in: tx)
            let total = try await store.versionCount(of: owner.id, tenantID: tenantID, status: query.status, in: tx)
            return VersionList(items: items.map(VersionView.init), total: total)
        }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> VersionView {
        let versionID = try context.pathUUID("version_id", or: .versionNotFound)
        return try await database.withTenant(context.tenant) { tx in
            let owner = try await operatorID(context, in: tx)
            guard let version = try await store.version(versionID, operatorID: owner.id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.versionNotFound }
            return VersionView(version)
        }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<VersionView> {
        let input = try await request.decode(as: VersionInput.self, context: context)
        let tenantID = context.principal.tenantID
        return Created(try await database.withTenant(context.tenant) { tx in
            let owner = try await operatorID(context, in: tx)
            let new = try await service.version(input, tenantID: tenantID, in: tx)
            guard let version = try await store.insertVersion(new, operatorID: owner.id, tenantID: tenantID, in: tx) else { throw APIError.versionTaken }
            return VersionView(version)
        })
    }

    func selected(_ selector: VersionSelector?, of owner: StoredOperator, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredVersion {
        guard let versionID = selector?.versionId else { throw APIError.validation(["version_id": "is required"]) }
        guard let version = try await store.version(versionID, operatorID: owner.id, tenantID: tenantID, in: tx) else { throw APIError.versionNotFound }
        return version
    }

    func activate(_ request: Request, _ context: AuthenticatedContext) async throws -> OperatorView {
        let selector = try await request.decode(as: VersionSelector.self, context: context)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let owner = try await operatorID(context, in: tx)
            let version = try await selected(selector, of: owner, tenantID: tenantID, in: tx)
            if version.status != .active { try await store.activate(version, tenantID: tenantID, in: tx) }
            guard let updated = try await store.find(owner.id, tenantID: tenantID, in: tx) else { throw APIError.operatorNotFound }
            return try await service.view(updated, tenantID: tenantID, in: tx)
        }
    }

    func rollback(_ request: Request, _ context: AuthenticatedContext) async throws -> OperatorView {
        let selector = try await request.decodeIfPresent(as: VersionSelector.self, context: context)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let owner = try await operatorID(context, in: tx)
            let target: StoredVersion
            if selector?.versionId != nil {
                target = try await selected(selector, of: owner, tenantID: tenantID, in: tx)
                guard target.activatedAt != nil, target.id != owner.activeVersionId else { throw APIError.noPreviousVersion }
            } else {
                guard let previous = try await store.previouslyActive(operatorID: owner.id, current: owner.activeVersionId, tenantID: tenantID, in: tx) else {
                    throw APIError.noPreviousVersion
                }
                target = previous
            }
            try await store.activate(target, tenantID: tenantID, in: tx)
            guard let updated = try await store.find(owner.id, tenantID: tenantID, in: tx) else { throw APIError.operatorNotFound }
            return try await service.view(updated, tenantID: tenantID, in: tx)
        }
    }

    func archive(_ request: Request, _ context: AuthenticatedContext) async throws -> VersionView {
        let selector = try await request.decode(as: VersionSelector.self, context: context)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let owner = try await operatorID(context, in: tx)
            let version = try await selected(selector, of: owner, tenantID: tenantID, in: tx)
            if version.id == owner.activeVersionId { throw APIError.versionIsActive }
            guard let archived = try await store.archive(version.id, tenantID: tenantID, in: tx) else { throw APIError.versionNotFound }
            return VersionView(archived)
        }
    }
}
