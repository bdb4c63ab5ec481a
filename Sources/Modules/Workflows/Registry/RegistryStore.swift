import Foundation
import NIOCore
import PlatformDatabase
import PlatformSupport

/// Which entries a list shows.
struct RegistryFilter: Sendable {
    var tenantID: UUID
    var workflowType: String?
    var isActive: Bool?

    var condition: SQL {
        """
        tenant_id = \(tenantID) AND deleted_at IS NULL
        AND (\(workflowType)::text IS NULL OR workflow_type = \(workflowType))
        AND (\(isActive)::boolean IS NULL OR is_active = \(isActive))
        """
    }
}

/// What the n8n node needs to call an entry: its URL and the sealed secrets.
struct RegistryCallTarget: Decodable, Sendable {
    var id: UUID
    var name: String
    var n8nWebhookUrl: String?
    var isActive: Bool
    var authHeaderName: String?
    var callbackHeaderName: String
    var timeoutSeconds: Int
}

/// Every statement on `workflow_registry`. Secrets arrive sealed (`SecretSealer`).
struct RegistryStore: Sendable {
    static let columns = """
        id, name, description, workflow_type, n8n_webhook_url, is_active, auth_header_name, auth_header_value IS NOT NULL AS has_auth_header,
        callback_header_name, callback_secret IS NOT NULL AS has_callback_secret, timeout_seconds, created_at, updated_at
        """

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> RegistryEntryView? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM workflow_registry WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL",
            decoding: RegistryEntryView.self)
    }

    func list(_ filter: RegistryFilter, page: PageRequest, in tx: DatabaseTransaction) async throws -> [RegistryEntryView] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM workflow_registry WHERE \(filter.condition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: RegistryEntryView.self)
    }

    func types(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [String] {
        struct Row: Decodable { var workflowType: String }
        return try await tx.rows(
            "SELECT DISTINCT workflow_type FROM workflow_registry WHERE tenant_id = \(tenantID) AND deleted_at IS NULL ORDER BY workflow_type",
            decoding: Row.self
        ).map(\.workflowType)
    }

    func insert(
        id: UUID, _ fields: RegistryFields, authHeaderValue: ByteBuffer?, callbackSecret: ByteBuffer?, tenantID: UUID, ownerID: UUID?,
        in tx: DatabaseTransaction
    ) async throws -> RegistryEntryView? {
        try await tx.row(
            """
            INSERT INTO workflow_registry (tenant_id, id, owner_id, name, description, workflow_type, n8n_webhook_url, is_active,
                auth_header_name, auth_header_value, callback_header_name, callback_secret, timeout_seconds)
            VALUES (\(tenantID), \(id), \(ownerID), \(fields.name), \(fields.description), \(fields.workflowType), \(fields.n8nWebhookUrl),
                COALESCE(\(fields.isActive), true), \(fields.authHeaderName), \(authHeaderValue), COALESCE(\(fields.callbackHeaderName), 'X-Callback-Secret'),
                \(callbackSecret), COALESCE(\(fields.timeoutSeconds), 30))
            RETURNING \(unescaped: Self.columns)
            """, decoding: RegistryEntryView.self)
    }

    /// Nil fields keep what is stored; `clearAuthHeader`/`clearCallbackSecret` remove a secret.
    func update(
        _ id: UUID, _ fields: RegistryFields, authHeaderValue: ByteBuffer?, clearAuthHeader: Bool, callbackSecret: ByteBuffer?, clearCallbackSecret: Bool,
        tenantID: UUID, in tx: DatabaseTransaction
    ) async throws -> RegistryEntryView? {
        try await tx.row(
            """
            UPDATE workflow_registry SET
                name = COALESCE(\(fields.name), name), description = COALESCE(\(fields.description), description),
                workflow_type = COALESCE(\(fields.workflowType), workflow_type), n8n_webhook_url = COALESCE(\(fields.n8nWebhookUrl), n8n_webhook_url),
                is_active = COALESCE(\(fields.isActive), is_active), auth_header_name = COALESCE(\(fields.authHeaderName), auth_header_name),
                auth_header_value = CASE WHEN \(clearAuthHeader) THEN NULL ELSE COALESCE(\(authHeaderValue), auth_header_value) END,
                callback_header_name = COALESCE(\(fields.callbackHeaderName), callback_header_name),
                callback_secret = CASE WHEN \(clearCallbackSecret) THEN NULL ELSE COALESCE(\(callbackSecret), callback_secret) END,
                timeout_seconds = COALESCE(\(fields.timeoutSeconds), timeout_seconds), updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL
            RETURNING \(unescaped: Self.columns)
            """, decoding: RegistryEntryView.self)
    }

    /// Soft delete; whether an entry was there.
    func delete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.run(
            "UPDATE workflow_registry SET deleted_at = now(), is_active = false WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL RETURNING 1"
        ) > 0
    }

    func callTarget(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> RegistryCallTarget? {
        try await tx.row(
            """
            SELECT id, name, n8n_webhook_url, is_active, auth_header_name, callback_header_name, timeout_seconds
            FROM workflow_registry WHERE tenant_id = \(tenantID) AND id = \(id) AND deleted_at IS NULL
            """, decoding: RegistryCallTarget.self)
    }

    func sealedAuthHeader(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> ByteBuffer? {
        try await tx.value("SELECT auth_header_value FROM workflow_registry WHERE tenant_id = \(tenantID) AND id = \(id)", as: ByteBuffer?.self) ?? nil
    }

    func sealedCallbackSecret(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> ByteBuffer? {
        try await tx.value("SELECT callback_secret FROM workflow_registry WHERE tenant_id = \(tenantID) AND id = \(id)", as: ByteBuffer?.self) ?? nil
    }
}
