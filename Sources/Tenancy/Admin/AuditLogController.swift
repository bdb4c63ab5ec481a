import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// `GET /api/v1/audit-logs`: tenant administrators read their tenant's entries; platform
/// administrators read any tenant's (`tenant_id`), or all of them.
struct AuditLogController: Sendable {
    let database: Database

    struct Entry: Codable, Sendable {
        var id: UUID
        var tenantId: UUID?
        var actorUserId: UUID?
        var actorApiKeyId: UUID?
        var action: String
        var targetType: String?
        var targetId: String?
        var outcome: String
        var clientIp: String?
        var requestId: String?
        var before: JSONValue?
        var after: JSONValue?
        var metadata: JSONValue?
        var createdAt: Date
    }

    struct Filter: Sendable {
        var actor: UUID?
        var action: String?
        var targetType: String?
        var targetID: String?
        var from: Date?
        var to: Date?
        var tenant: UUID?
    }

    func register(in registry: RouteRegistry) {
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/audit-logs", summary: "Audit log entries, newest first", tag: "audit",
                access: .permission("system:audit:list"),
                parameters: RouteParameter.paging + [
                    .query("actor_id", ["type": "string", "format": "uuid"]),
                    .query("action", ["type": "string"], description: "Exact action, or a prefix ending in '.' (e.g. 'auth.')"),
                    .query("target_type", ["type": "string"]), .query("target_id", ["type": "string"]),
                    .query("from", ["type": "string", "format": "date-time"]), .query("to", ["type": "string", "format": "date-time"]),
                    .query("tenant_id", ["type": "string", "format": "uuid"], description: "Platform administrators only"),
                ],
                responses: [.json(.ok, Page<Entry>.self)])
        ) { request, context in try await self.list(request, context) }
    }

    static func filter(_ request: Request) throws -> Filter {
        let query = request.uri.queryParameters
        var problems: [String: String] = [:]
        func uuid(_ name: String) -> UUID? {
            guard let text = query[name[...]].map(String.init) else { return nil }
            guard let id = UUID(uuidString: text) else { problems[name] = "must be a UUID"; return nil }
            return id
        }
        func date(_ name: String) -> Date? {
            guard let text = query[name[...]].map(String.init) else { return nil }
            guard let value = RFC3339.date(from: text) else { problems[name] = "must be an RFC 3339 timestamp"; return nil }
            return value
        }
        let filter = Filter(
            actor: uuid("actor_id"), action: query["action"].map(String.init), targetType: query["target_type"].map(String.init),
            targetID: query["target_id"].map(String.init), from: date("from"), to: date("to"), tenant: uuid("tenant_id"))
        if !problems.isEmpty { throw APIError.validation(problems) }
        return filter
    }

    typealias Row = (UUID, UUID?, UUID?, UUID?, String, String?, String?, String, String?, String?, String?, String?, String?, Date)

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<Entry> {
        let page = try PageRequest(request: request)
        let filter = try Self.filter(request)
        let principal = context.principal
        if filter.tenant != nil && filter.tenant != principal.tenantID && !principal.isPlatformAdmin {
            throw APIError(.forbidden, code: "FORBIDDEN", message: "Only platform administrators can read other tenants' audit logs")
        }
        let tenant: UUID? = principal.isPlatformAdmin ? filter.tenant : principal.tenantID
        let actionPrefix = filter.action.flatMap { $0.hasSuffix(".") ? $0 + "%" : nil }
        let exactAction = actionPrefix == nil ? filter.action : nil
        // Tenant administrators read through their tenant scope; platform administrators through the platform scope.
        let run: @Sendable (DatabaseTransaction) async throws -> Page<Entry> = { tx in
            let total = try await tx.first(
                """
                SELECT count(*)::int FROM audit_logs
                WHERE (\(tenant)::uuid IS NULL OR tenant_id = \(tenant)) AND (\(filter.actor)::uuid IS NULL OR actor_user_id = \(filter.actor))
                  AND (\(exactAction)::text IS NULL OR action = \(exactAction)) AND (\(actionPrefix)::text IS NULL OR action LIKE \(actionPrefix))
                  AND (\(filter.targetType)::text IS NULL OR target_type = \(filter.targetType)) AND (\(filter.targetID)::text IS NULL OR target_id = \(filter.targetID))
                  AND (\(filter.from)::timestamptz IS NULL OR created_at >= \(filter.from)) AND (\(filter.to)::timestamptz IS NULL OR created_at < \(filter.to))
                """, as: Int.self) ?? 0
            let rows = try await tx.all(
                """
                SELECT id, tenant_id, actor_user_id, actor_api_key_id, action, target_type, target_id, outcome, client_ip, request_id,
                       before::text, after::text, metadata::text, created_at
                FROM audit_logs
                WHERE (\(tenant)::uuid IS NULL OR tenant_id = \(tenant)) AND (\(filter.actor)::uuid IS NULL OR actor_user_id = \(filter.actor))
                  AND (\(exactAction)::text IS NULL OR action = \(exactAction)) AND (\(actionPrefix)::text IS NULL OR action LIKE \(actionPrefix))
                  AND (\(filter.targetType)::text IS NULL OR target_type = \(filter.targetType)) AND (\(filter.targetID)::text IS NULL OR target_id = \(filter.targetID))
                  AND (\(filter.from)::timestamptz IS NULL OR created_at >= \(filter.from)) AND (\(filter.to)::timestamptz IS NULL OR created_at < \(filter.to))
                ORDER BY created_at DESC, id DESC LIMIT \(page.limit) OFFSET \(page.offset)
                """, as: Row.self)
            func json(_ text: String?) -> JSONValue? {
                text.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
            }
            let entries = rows.map {
                Entry(
                    id: $0.0, tenantId: $0.1, actorUserId: $0.2, actorApiKeyId: $0.3, action: $0.4, targetType: $0.5, targetId: $0.6,
                    outcome: $0.7, clientIp: $0.8, requestId: $0.9, before: json($0.10), after: json($0.11), metadata: json($0.12), createdAt: $0.13)
            }
            return Page(items: entries, total: total, request: page)
        }
        return principal.isPlatformAdmin
            ? try await database.withPlatformScope(run)
            : try await database.withTenant(context.tenant, run)
    }
}
