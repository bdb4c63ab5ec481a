import Foundation
import NIOCore
import PlatformDatabase
import PlatformSupport

/// Which AI models a list shows; the page and its count share it.
struct AIModelFilter: Sendable {
    var tenantID: UUID
    var keyword: String?
    var provider: String?
    var status: AIModelStatus?

    var condition: SQL {
        let pattern = keyword.map { "%" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%" }
        return """
            m.tenant_id = \(tenantID)
            AND (\(provider)::text IS NULL OR m.provider = \(provider))
            AND (\(status?.rawValue)::text IS NULL OR m.status = \(status?.rawValue))
            AND (\(pattern)::text IS NULL OR m.name ILIKE \(pattern) OR m.description ILIKE \(pattern) OR m.model_name ILIKE \(pattern))
            """
    }
}

/// An AI model as written; nil fields keep what is stored on update. `sealedKey` is `.some(nil)`
/// to remove the key.
struct AIModelFields: Sendable {
    var name: String?
    var description: String?
    var provider: String?
    var endpoint: String?
    var sealedKey: ByteBuffer??
    var modelName: String?
    var config: JSONValue?
    var status: AIModelStatus?
    var visibility: RowVisibility?
    var visibleRoleIds: [UUID]?
}

/// Every statement on `ai_models`.
struct AIModelStore: Sendable {
    static let columns = """
        m.id, m.owner_id, m.visibility::text AS visibility, m.visible_role_ids, m.name, m.description, m.provider, m.endpoint,
        (m.sealed_api_key IS NOT NULL) AS has_api_key, m.model_name, m.config, m.status, m.created_at, m.updated_at
        """

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredAIModel? {
        try await tx.row("SELECT \(unescaped: Self.columns) FROM ai_models m WHERE m.tenant_id = \(tenantID) AND m.id = \(id)", decoding: StoredAIModel.self)
    }

    /// An active model by its name (case-insensitive), with its sealed key.
    func findActive(named name: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> (StoredAIModel, ByteBuffer?)? {
        guard let model = try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM ai_models m WHERE m.tenant_id = \(tenantID) AND lower(m.name) = lower(\(name)) AND m.status = 'active'",
            decoding: StoredAIModel.self)
        else { return nil }
        return (model, try await sealedKey(model.id, tenantID: tenantID, in: tx))
    }

    func sealedKey(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> ByteBuffer? {
        // A model without a key has a NULL here: decode it as an optional (a plain ByteBuffer fails on NULL).
        try await tx.value("SELECT sealed_api_key FROM ai_models WHERE tenant_id = \(tenantID) AND id = \(id)", as: ByteBuffer?.self) ?? nil
    }

    func list(_ filter: AIModelFilter, page: PageRequest, in tx: DatabaseTransaction) async throws -> [StoredAIModel] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM ai_models m WHERE \(filter.condition)
            ORDER BY m.created_at DESC, m.id DESC LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: StoredAIModel.self)
    }

    func count(_ filter: AIModelFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM ai_models m WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    /// The tenant's active models, for the chat model list.
    func active(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [StoredAIModel] {
        try await tx.rows(
            "SELECT \(unescaped: Self.columns) FROM ai_models m WHERE m.tenant_id = \(tenantID) AND m.status = 'active' ORDER BY m.name LIMIT 500",
            decoding: StoredAIModel.self)
    }

    func nameTaken(_ name: String, except id: UUID?, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value(
            "SELECT 1 FROM ai_models WHERE tenant_id = \(tenantID) AND lower(name) = lower(\(name)) AND (\(id)::uuid IS NULL OR id <> \(id))",
            as: Int.self) != nil
    }

    func insert(id: UUID, _ fields: AIModelFields, tenantID: UUID, ownerID: UUID, in tx: DatabaseTransaction) async throws -> StoredAIModel? {
        let key: ByteBuffer? = fields.sealedKey ?? nil
        return try await tx.row(
            """
            INSERT INTO ai_models AS m (tenant_id, id, owner_id, visibility, visible_role_ids, name, description, provider, endpoint,
                                        sealed_api_key, model_name, config, status)
            VALUES (\(tenantID), \(id), \(ownerID), \((fields.visibility ?? .private).rawValue)::visibility, \(fields.visibleRoleIds ?? []),
                    \(fields.name ?? ""), \(fields.description ?? ""), \(fields.provider ?? ""), \(fields.endpoint ?? ""), \(key),
                    \(fields.modelName ?? ""), \(try PlatformJSON.text(fields.config ?? [:]))::jsonb, \((fields.status ?? .active).rawValue))
            RETURNING \(unescaped: Self.columns)
            """, decoding: StoredAIModel.self)
    }

    func update(_ id: UUID, tenantID: UUID, _ fields: AIModelFields, in tx: DatabaseTransaction) async throws -> StoredAIModel? {
        let changeKey = fields.sealedKey != nil
        let key: ByteBuffer? = fields.sealedKey ?? nil
        return try await tx.row(
            """
            UPDATE ai_models AS m SET
                name = coalesce(\(fields.name), m.name),
                description = coalesce(\(fields.description), m.description),
                provider = coalesce(\(fields.provider), m.provider),
                endpoint = coalesce(\(fields.endpoint), m.endpoint),
                sealed_api_key = CASE WHEN \(changeKey) THEN \(key) ELSE m.sealed_api_key END,
                model_name = coalesce(\(fields.modelName), m.model_name),
                config = coalesce(\(try PlatformJSON.text(fields.config))::jsonb, m.config),
                status = coalesce(\(fields.status?.rawValue), m.status),
                visibility = coalesce(\(fields.visibility?.rawValue)::visibility, m.visibility),
                visible_role_ids = coalesce(\(fields.visibleRoleIds)::uuid[], m.visible_role_ids),
                updated_at = now()
            WHERE m.tenant_id = \(tenantID) AND m.id = \(id)
            RETURNING \(unescaped: Self.columns)
            """, decoding: StoredAIModel.self)
    }

    func delete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.run("DELETE FROM ai_models WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING 1") > 0
    }
}
