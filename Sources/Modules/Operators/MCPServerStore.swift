import Foundation
import PlatformDatabase
import PlatformSupport

/// Every statement on `operator_mcp_servers` and `operator_templates`.
struct MCPServerStore: Sendable {
    static let columns = "s.id, s.name, s.description, s.transport, s.url, s.command, s.args, s.timeout_sec, s.enabled, s.created_at, s.updated_at"

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredMCPServer? {
        try await tx.row("SELECT \(unescaped: Self.columns) FROM operator_mcp_servers s WHERE s.tenant_id = \(tenantID) AND s.id = \(id)", decoding: StoredMCPServer.self)
    }

    func list(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [StoredMCPServer] {
        try await tx.rows(
            "SELECT \(unescaped: Self.columns) FROM operator_mcp_servers s WHERE s.tenant_id = \(tenantID) ORDER BY lower(s.name), s.id LIMIT 500",
            decoding: StoredMCPServer.self)
    }

    func insert(_ fields: MCPServerFields, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredMCPServer? {
        try await tx.row(
            """
            WITH s AS (
                INSERT INTO operator_mcp_servers (tenant_id, id, name, description, transport, url, command, args, timeout_sec, enabled)
                VALUES (\(tenantID), \(UUID.v7()), \(fields.name), \(fields.description), \(fields.transport.rawValue), \(fields.url), \(fields.command),
                    \(fields.args), \(fields.timeoutSec), \(fields.enabled))
                ON CONFLICT (tenant_id, lower(name)) DO NOTHING
                RETURNING *
            )
            SELECT \(unescaped: Self.columns) FROM s
            """, decoding: StoredMCPServer.self)
    }

    func nameTaken(_ name: String, except id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value(
            "SELECT EXISTS (SELECT 1 FROM operator_mcp_servers WHERE tenant_id = \(tenantID) AND lower(name) = lower(\(name)) AND id <> \(id))",
            as: Bool.self) ?? false
    }

    func update(_ id: UUID, _ fields: MCPServerFields, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredMCPServer? {
        try await tx.row(
            """
            WITH s AS (
                UPDATE operator_mcp_servers SET name = \(fields.name), description = \(fields.description), transport = \(fields.transport.rawValue),
                    url = \(fields.url), command = \(fields.command), args = \(fields.args), timeout_sec = \(fields.timeoutSec), enabled = \(fields.enabled),
                    updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING *
            )
            SELECT \(unescaped: Self.columns) FROM s
            """, decoding: StoredMCPServer.self)
    }

    func delete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value(
            "WITH d AS (DELETE FROM operator_mcp_servers WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING 1) SELECT count(*)::int FROM d",
            as: Int.self) == 1
    }

    // MARK: - Synced templates

    /// Writes a tool's template; true when it was new.
    func upsertTemplate(_ template: TemplateView, serverID: UUID, toolName: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        let execConfig = try PlatformJSON.text(template.execConfig ?? [:])
        let input = try PlatformJSON.text(template.inputSchema)
        let output = try PlatformJSON.text(template.outputSpec)
        let config = try PlatformJSON.text(template.config ?? [:])
        return try await tx.value(
            """
            INSERT INTO operator_templates (tenant_id, id, code, name, description, category, type, exec_mode, exec_config, input_schema, output_spec,
                config, author, tags, mcp_server_id, tool_name)
            VALUES (\(tenantID), \(template.id), \(template.code), \(template.name), \(template.description ?? ""), \(template.category.rawValue),
                \(template.type), \(template.execMode.rawValue), \(execConfig)::jsonb, \(input)::jsonb, \(output)::jsonb, \(config)::jsonb, \(template.author),
                \(template.tags), \(serverID), \(toolName))
            ON CONFLICT (tenant_id, mcp_server_id, tool_name) DO UPDATE SET code = EXCLUDED.code, name = EXCLUDED.name, description = EXCLUDED.description,
                exec_config = EXCLUDED.exec_config, input_schema = EXCLUDED.input_schema, updated_at = now()
            RETURNING (xmax = 0)
            """, as: Bool.self) ?? false
    }

    static let templateColumns = """
        t.id, t.code, t.name, t.description, t.category, t.type, t.exec_mode, t.exec_config, t.input_schema, t.output_spec, t.config, t.author,
        t.tags, t.created_at, t.updated_at,
        (SELECT count(*)::int FROM operators o WHERE o.tenant_id = t.tenant_id AND o.template_id = t.id) AS downloads
        """

    func templates(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [StoredTemplate] {
        try await tx.rows(
            "SELECT \(unescaped: Self.templateColumns) FROM operator_templates t WHERE t.tenant_id = \(tenantID) ORDER BY t.created_at, t.id LIMIT 1000",
            decoding: StoredTemplate.self)
    }

    func template(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredTemplate? {
        try await tx.row(
            "SELECT \(unescaped: Self.templateColumns) FROM operator_templates t WHERE t.tenant_id = \(tenantID) AND t.id = \(id)", decoding: StoredTemplate.self)
    }

    /// How many operators of the tenant were installed from each template.
    func installCounts(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [UUID: Int] {
        struct Row: Decodable { var templateId: UUID; var count: Int }
        let rows = try await tx.rows(
            "SELECT template_id, count(*)::int AS count FROM operators WHERE tenant_id = \(tenantID) AND template_id IS NOT NULL GROUP BY template_id",
            decoding: Row.self)
        return Dictionary(rows.map { ($0.templateId, $0.count) }, uniquingKeysWith: +)
    }
}
