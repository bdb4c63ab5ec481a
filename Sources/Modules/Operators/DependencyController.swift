import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// GoyaVision's dependency row.
struct StoredDependency: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var operatorId: UUID
    var dependsOnId: UUID
    var minVersion: String?
    var isOptional: Bool
    var createdAt: Date
}

struct DependencyInput: Codable, Sendable {
    var dependsOnId: UUID
    var minVersion: String?
    var isOptional: Bool?
}

/// `PUT /operators/{id}/dependencies`: GoyaVision's `{dependencies: [...]}` (a bare array is
/// accepted too).
struct DependenciesInput: Codable, Sendable {
    var dependencies: [DependencyInput]
}

struct DependencyCheck: Codable, Sendable, ResponseEncodable {
    var satisfied: Bool
    var unmet: [String]
    /// Optional dependencies that are not met (they do not make `satisfied` false).
    var optionalUnmet: [String]
}

extension APIError {
    static var dependencyCycle: APIError { .conflict("The dependencies would form a cycle", code: "OPERATOR_DEPENDENCY_CYCLE") }
}

/// `/api/v1/operators/{id}/dependencies`: what an operator needs of others, checked by semver
/// against their active versions.
struct DependencyController: Sendable {
    let database: Database
    let operators = OperatorStore()
    let store = DependencyStore()

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("id")]
        let missing = RouteResponse.error(.notFound, "No such operator in this tenant")
        routes.get("/{id}/dependencies", "An operator's dependencies (a bare array)", .permission("operator:read"), parameters: id, responses: [missing], use: list)
        routes.put(
            "/{id}/dependencies", "Replace an operator's dependencies", .permission("operator:update"), parameters: id, body: DependenciesInput.self,
            responses: [.noContent("Replaced"), missing, .error(.conflict, "The dependencies would form a cycle")], use: replace)
        routes.get(
            "/{id}/dependencies/check", "Whether every dependency's active version satisfies its min_version", .permission("operator:read"),
            parameters: id, responses: [missing], use: check)
    }

    func owner(_ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> StoredOperator {
        let id = try context.pathUUID("id", or: .operatorNotFound)
        guard let stored = try await operators.find(id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.operatorNotFound }
        return stored
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> [StoredDependency] {
        try await database.withTenant(context.tenant) { tx in
            let owner = try await owner(context, in: tx)
            return try await store.list(of: owner.id, tenantID: context.principal.tenantID, in: tx)
        }
    }

    func replace(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let body = try await request.decode(as: JSONValue.self, context: context)
        let items: JSONValue = body["dependencies"] ?? body
        let dependencies: [DependencyInput]
        do {
            dependencies = try PlatformJSON.makeDecoder().decode([DependencyInput].self, from: PlatformJSON.makeEncoder().encode(items))
        } catch {
            throw APIError.validation(["dependencies": "must be an array of {depends_on_id (uuid), min_version?, is_optional?}"])
        }
        var problems: [String: String] = [:]
        if dependencies.count > 100 { problems["dependencies"] = "at most 100 dependencies" }
        for (index, dependency) in dependencies.enumerated() {
            if let minimum = dependency.minVersion, SemanticVersion(minimum) == nil { problems["dependencies[\(index)].min_version"] = "must be a semantic version such as 1.2.0" }
        }
        if Set(dependencies.map(\.dependsOnId)).count != dependencies.count { problems["dependencies"] = "names an operator twice" }
        let tenantID = context.principal.tenantID
        let shapeProblems = problems
        try await database.withTenant(context.tenant) { tx in
            var problems = shapeProblems
            let owner = try await owner(context, in: tx)
            let found = Set(try await operators.find(ids: dependencies.map(\.dependsOnId), tenantID: tenantID, in: tx).map(\.id))
            for (index, dependency) in dependencies.enumerated() {
                if dependency.dependsOnId == owner.id {
                    problems["dependencies[\(index)].depends_on_id"] = "an operator cannot depend on itself"
                } else if !found.contains(dependency.dependsOnId) {
                    problems["dependencies[\(index)].depends_on_id"] = "names no operator of this tenant"
                }
            }
            if !problems.isEmpty { throw APIError.validation(problems) }
            if try await store.reaches(owner.id, from: dependencies.map(\.dependsOnId), tenantID: tenantID, in: tx) { throw APIError.dependencyCycle }
            try await store.replace(owner.id, with: dependencies, tenantID: tenantID, in: tx)
        }
        return NoContent()
    }

    func check(_ request: Request, _ context: AuthenticatedContext) async throws -> DependencyCheck {
        let targets = try await database.withTenant(context.tenant) { tx in
            let owner = try await owner(context, in: tx)
            return try await store.targets(of: owner.id, tenantID: context.principal.tenantID, in: tx)
        }
        var unmet: [String] = []
        var optional: [String] = []
        for target in targets {
            let name = target.code ?? target.dependsOnId.uuidString.lowercased()
            var reason: String?
            if let active = target.activeVersion {
                if let minimum = target.minVersion, let required = SemanticVersion(minimum) {
                    if let current = SemanticVersion(active), current < required { reason = "\(name): active version \(active) is below \(minimum)" }
                }
            } else {
                reason = "\(name): no active version"
            }
            if let reason { if target.isOptional { optional.append(reason) } else { unmet.append(reason) } }
        }
        return DependencyCheck(satisfied: unmet.isEmpty, unmet: unmet, optionalUnmet: optional)
    }
}
