import Foundation
import PlatformDatabase
import PlatformSupport

/// Every statement on `tenant_settings` and `user_preferences`.
struct SettingsStore: Sendable {
    static let columns = "id, key, type, value, description, created_at, updated_at"

    struct TextValue: Decodable, Sendable {
        var key: String
        var value: String?
    }

    /// The general settings that are set, as text.
    func generalValues(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [TextValue] {
        try await tx.rows(
            "SELECT key, value #>> '{}' AS value FROM tenant_settings WHERE tenant_id = \(tenantID) AND key IN ('app_name', 'language', 'timezone')",
            decoding: TextValue.self)
    }

    /// One setting as text (`#>> '{}'`: a string's value, anything else's JSON), for `TenantSettingPreferences`.
    func text(_ key: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> String? {
        try await tx.value("SELECT value #>> '{}' FROM tenant_settings WHERE tenant_id = \(tenantID) AND key = \(key)", as: String.self)
    }

    func list(tenantID: UUID, page: PageRequest, in tx: DatabaseTransaction) async throws -> [Setting] {
        try await tx.rows(
            "SELECT \(unescaped: Self.columns) FROM tenant_settings WHERE tenant_id = \(tenantID) ORDER BY key LIMIT \(page.limit) OFFSET \(page.offset)",
            decoding: Setting.self)
    }

    func count(tenantID: UUID, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM tenant_settings WHERE tenant_id = \(tenantID)", as: Int.self) ?? 0
    }

    func keyExists(_ key: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.value("SELECT 1 FROM tenant_settings WHERE tenant_id = \(tenantID) AND key = \(key)", as: Int.self) != nil
    }

    func insert(
        key: String, type: SettingType, value: JSONValue, description: String?, tenantID: UUID, createdBy: UUID, in tx: DatabaseTransaction
    ) async throws -> Setting? {
        try await tx.row(
            """
            INSERT INTO tenant_settings (tenant_id, id, key, type, value, description, created_by)
            VALUES (\(tenantID), \(UUID.v7()), \(key), \(type.rawValue), \(try PlatformJSON.text(value))::jsonb, \(description), \(createdBy))
            RETURNING \(unescaped: Self.columns)
            """, decoding: Setting.self)
    }

    /// The setting, locked for an update in the same transaction.
    func findForUpdate(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Setting? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM tenant_settings WHERE tenant_id = \(tenantID) AND id = \(id) FOR UPDATE", decoding: Setting.self)
    }

    func update(_ id: UUID, tenantID: UUID, type: SettingType, value: JSONValue, description: String?, in tx: DatabaseTransaction) async throws -> Setting? {
        try await tx.row(
            """
            UPDATE tenant_settings SET type = \(type.rawValue), value = \(try PlatformJSON.text(value))::jsonb,
                   description = coalesce(\(description), description), updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING \(unescaped: Self.columns)
            """, decoding: Setting.self)
    }

    /// Whether a setting was deleted.
    func delete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.run("DELETE FROM tenant_settings WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING 1") == 1
    }

    /// Sets the member's theme; fields left out keep their value (a first one defaults to auto).
    func saveTheme(_ input: ThemeInput, tenantID: UUID, userID: UUID, in tx: DatabaseTransaction) async throws -> ThemeView? {
        try await tx.row(
            """
            INSERT INTO user_preferences (tenant_id, user_id, theme, accent_color) VALUES (\(tenantID), \(userID), \((input.theme ?? .auto).rawValue), \(input.accentColor))
            ON CONFLICT (tenant_id, user_id) DO UPDATE SET theme = coalesce(\(input.theme?.rawValue), user_preferences.theme),
                accent_color = coalesce(\(input.accentColor), user_preferences.accent_color), updated_at = now()
            RETURNING theme, accent_color, updated_at
            """, decoding: ThemeView.self)
    }

    func resetTheme(tenantID: UUID, userID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("DELETE FROM user_preferences WHERE tenant_id = \(tenantID) AND user_id = \(userID)")
    }
}
