import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import Providers
import TaskEngine

/// Tenant settings (typed key/values, general settings, integrations), a member's theme, and
/// the platform's runtime configuration (`system/config`, `public/config`).
public struct SettingsModule: Sendable {
    let database: Database
    let runtime: RuntimeSettings
    let config: PlatformConfig
    let providers: ProviderRegistry

    public init(database: Database, runtime: RuntimeSettings, config: PlatformConfig, providers: ProviderRegistry) {
        self.database = database
        self.runtime = runtime
        self.config = config
        self.providers = providers
    }

    public func register(in registry: RouteRegistry) {
        TenantSettingsController(database: database, config: config, providers: providers).register(in: registry)
        TenantSecretsController(database: database, sealer: SecretSealer(config: config)).register(in: registry)
        PlatformSettingsController(runtime: runtime, config: config).register(in: registry)
    }
}

enum SettingType: String, Codable, Sendable, SchemaEnum, CaseIterable { case string, int, bool, json }

struct Setting: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var key: String
    var type: SettingType
    var value: JSONValue
    var description: String?
    var createdAt: Date
    var updatedAt: Date
}

struct TenantSettingsController: Sendable {
    let database: Database
    let config: PlatformConfig
    let providers: ProviderRegistry

    struct CreateSetting: Codable, Sendable {
        var key: String
        var value: JSONValue
        var type: SettingType?
        var description: String?
    }

    struct UpdateSetting: Codable, Sendable {
        var value: JSONValue?
        var type: SettingType?
        var description: String?
    }

    struct General: Codable, Sendable, ResponseEncodable {
        var appName: String
        var language: String
        var timezone: String
    }

    enum Theme: String, Codable, Sendable, SchemaEnum, CaseIterable { case light, dark, auto }

    struct ThemeInput: Codable, Sendable {
        var theme: Theme?
        var accentColor: String?
    }

    struct ThemeView: Codable, Sendable, ResponseEncodable {
        var theme: Theme
        var accentColor: String?
        var updatedAt: Date?
    }

    enum IntegrationStatus: String, Codable, Sendable, SchemaEnum, CaseIterable {
        case connected, pending, error
        case notConfigured = "not_configured"
    }

    struct Integration: Codable, Sendable {
        var name: String
        var kind: String
        var status: IntegrationStatus
        var configuredAt: Date?
        var details: JSONValue
    }

    struct Integrations: Codable, Sendable, ResponseEncodable {
        var integrations: [Integration]
    }

    static let columns = "id, key, type, value::text, description, created_at, updated_at"
    typealias Row = (UUID, String, String, String, String?, Date, Date)

    static func setting(_ row: Row) throws -> Setting {
        Setting(
            id: row.0, key: row.1, type: SettingType(rawValue: row.2) ?? .json,
            value: try PlatformJSON.makeDecoder().decode(JSONValue.self, from: Data(row.3.utf8)), description: row.4, createdAt: row.5, updatedAt: row.6)
    }

    func register(in registry: RouteRegistry) {
        let id = RouteParameter.path("id", ["type": "string", "format": "uuid"])
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/settings/general", summary: "The tenant's app name, language and time zone", tag: "settings",
                access: .permission("settings:tenant:read"), responses: [.json(.ok, General.self)])
        ) { _, context in try await self.general(context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/settings", summary: "The tenant's settings", tag: "settings", access: .permission("settings:tenant:read"),
                parameters: RouteParameter.paging, responses: [.json(.ok, Page<Setting>.self)])
        ) { request, context in try await self.list(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/settings/create", summary: "Create a typed setting (string, int, bool or json)",
                description: "`app_name`, `language` (e.g. `en`, `pt-BR`) and `timezone` (an IANA name) are the general settings and are checked as such.",
                tag: "settings", access: .permission("settings:tenant:create"), body: .type(CreateSetting.self),
                responses: [.json(.created, Setting.self), .error(.conflict, "The key exists")])
        ) { request, context in try await self.create(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .put, "/api/v1/settings/theme", summary: "Set your theme in this tenant", tag: "settings", access: .authenticated,
                body: .type(ThemeInput.self), responses: [.json(.ok, ThemeView.self)])
        ) { request, context in try await self.setTheme(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .delete, "/api/v1/settings/theme", summary: "Back to the default theme", tag: "settings", access: .authenticated,
                responses: [.noContent("Reset")])
        ) { _, context in try await self.resetTheme(context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/settings/integrations", summary: "The state of each integration (never a secret)", tag: "settings",
                access: .permission("settings:integration:read"), responses: [.json(.ok, Integrations.self)])
        ) { _, context in try await self.integrations(context) }
        registry.addProtected(
            RouteDeclaration(
                .put, "/api/v1/settings/{id}", summary: "Change a setting's value (checked against its type)", tag: "settings",
                access: .permission("settings:tenant:update"), parameters: [id], body: .type(UpdateSetting.self), responses: [.json(.ok, Setting.self)])
        ) { request, context in try await self.update(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .delete, "/api/v1/settings/{id}", summary: "Delete a setting (general settings fall back to their defaults)", tag: "settings",
                access: .permission("settings:tenant:delete"), parameters: [id], responses: [.noContent("Deleted")])
        ) { _, context in try await self.delete(context) }
    }

    /// Why `value` is not a `type` (or not acceptable for a well-known key); nil when it is.
    static func problem(key: String, type: SettingType, value: JSONValue) -> String? {
        switch (type, value) {
        case (.string, .string(let text)):
            if text.count > 10_000 { return "must be at most 10000 characters" }
        case (.int, .int): break
        case (.int, .double(let number)) where number.rounded() == number && abs(number) < 9e15: break
        case (.bool, .bool): break
        case (.json, _):
            if let data = try? JSONEncoder().encode(value), data.count > 100_000 { return "must be at most 100 KB of JSON" }
        case (.string, _): return "must be a string for type string"
        case (.int, _): return "must be an integer for type int"
        case (.bool, _): return "must be true or false for type bool"
        }
        switch key {
        case "app_name":
            guard type == .string, case .string(let text) = value, (1...100).contains(text.count) else { return "app_name is a string of 1-100 characters" }
        case "language":
            guard type == .string, case .string(let text) = value, text.wholeMatch(of: /[a-z]{2,3}(-[A-Za-z0-9]{2,8})*/) != nil else {
                return "language is a language tag such as en or pt-BR"
            }
        case "timezone":
            guard type == .string, case .string(let text) = value, TimeZone(identifier: text) != nil else { return "timezone is an IANA time zone such as Europe/Berlin" }
        default: break
        }
        return nil
    }

    static func normalized(_ type: SettingType, _ value: JSONValue) -> JSONValue {
        if type == .int, case .double(let number) = value { return .int(Int64(number)) }
        return value
    }

    func general(_ context: AuthenticatedContext) async throws -> General {
        let tenantID = context.principal.tenantID
        let (name, rows) = try await database.withTenant(context.tenant) { tx in
            let name = try await tx.first("SELECT name FROM tenants WHERE id = \(tenantID)", as: String.self)
            let rows = try await tx.all(
                "SELECT key, value #>> '{}' FROM tenant_settings WHERE tenant_id = \(tenantID) AND key IN ('app_name', 'language', 'timezone')",
                as: (String, String?).self)
            return (name, rows)
        }
        var values: [String: String] = [:]
        for (key, value) in rows { values[key] = value }
        return General(appName: values["app_name"] ?? name ?? "Platform", language: values["language"] ?? "en", timezone: values["timezone"] ?? "UTC")
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<Setting> {
        let page = try PageRequest(request: request)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let total = try await tx.first("SELECT count(*)::int FROM tenant_settings WHERE tenant_id = \(tenantID)", as: Int.self) ?? 0
            let rows = try await tx.all(
                "SELECT \(unescaped: Self.columns) FROM tenant_settings WHERE tenant_id = \(tenantID) ORDER BY key LIMIT \(page.limit) OFFSET \(page.offset)",
                as: Row.self)
            return Page(items: try rows.map(Self.setting), total: total, request: page)
        }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> EditedResponse<Setting> {
        let body = try await request.decode(as: CreateSetting.self, context: context)
        var problems: [String: String] = [:]
        if body.key.wholeMatch(of: /[a-z][a-z0-9_.-]{0,99}/) == nil { problems["key"] = "must start with a-z and use a-z, 0-9, _ . - (at most 100)" }
        let type = body.type ?? Self.inferred(body.value)
        if let problem = Self.problem(key: body.key, type: type, value: body.value) { problems["value"] = problem }
        if let description = body.description, description.count > 1000 { problems["description"] = "must be at most 1000 characters" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        let row = try await database.withTenant(context.tenant) { tx in
            if try await tx.first("SELECT 1 FROM tenant_settings WHERE tenant_id = \(tenantID) AND key = \(body.key)", as: Int.self) != nil {
                throw APIError.conflict("A setting '\(body.key)' exists; change it with PUT /api/v1/settings/{id}", code: "SETTING_EXISTS")
            }
            return try await tx.first(
                """
                INSERT INTO tenant_settings (tenant_id, id, key, type, value, description, created_by)
                VALUES (\(tenantID), \(UUID.v7()), \(body.key), \(type.rawValue), \(try PlatformJSON.text(Self.normalized(type, body.value)))::jsonb,
                        \(body.description), \(context.principal.userID))
                RETURNING \(unescaped: Self.columns)
                """, as: Row.self)
        }
        guard let row else { throw APIError.internalError }
        return EditedResponse(status: .created, response: try Self.setting(row))
    }

    static func inferred(_ value: JSONValue) -> SettingType {
        switch value {
        case .string: .string
        case .int: .int
        case .bool: .bool
        default: .json
        }
    }

    func settingID(_ context: AuthenticatedContext) throws -> UUID {
        try context.pathUUID(notFound: "Setting", code: "SETTING_NOT_FOUND")
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> Setting {
        let id = try settingID(context)
        let body = try await request.decode(as: UpdateSetting.self, context: context)
        if let description = body.description, description.count > 1000 { throw APIError.validation(["description": "must be at most 1000 characters"]) }
        let tenantID = context.principal.tenantID
        return try Self.setting(try await database.withTenant(context.tenant) { tx in
            guard let current = try await tx.first(
                "SELECT \(unescaped: Self.columns) FROM tenant_settings WHERE tenant_id = \(tenantID) AND id = \(id) FOR UPDATE", as: Row.self)
            else { throw APIError.notFound("Setting", code: "SETTING_NOT_FOUND") }
            let existing = try Self.setting(current)
            let type = body.type ?? existing.type
            let value = body.value ?? existing.value
            if let problem = Self.problem(key: existing.key, type: type, value: value) { throw APIError.validation(["value": problem]) }
            guard let row = try await tx.first(
                """
                UPDATE tenant_settings SET type = \(type.rawValue), value = \(try PlatformJSON.text(Self.normalized(type, value)))::jsonb,
                       description = coalesce(\(body.description), description), updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING \(unescaped: Self.columns)
                """, as: Row.self)
            else { throw APIError.notFound("Setting", code: "SETTING_NOT_FOUND") }
            return row
        })
    }

    func delete(_ context: AuthenticatedContext) async throws -> Response {
        let id = try settingID(context)
        let tenantID = context.principal.tenantID
        let deleted = try await database.withTenant(context.tenant) { tx in
            try await tx.execute("DELETE FROM tenant_settings WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING 1")
        }
        guard deleted == 1 else { throw APIError.notFound("Setting", code: "SETTING_NOT_FOUND") }
        return Response(status: .noContent)
    }

    func setTheme(_ request: Request, _ context: AuthenticatedContext) async throws -> ThemeView {
        let body = try await request.decode(as: ThemeInput.self, context: context)
        if let color = body.accentColor, color.wholeMatch(of: /#[0-9a-fA-F]{6}/) == nil { throw APIError.validation(["accent_color": "must be a color like #FF0000"]) }
        let tenantID = context.principal.tenantID
        let userID = context.principal.userID
        let row = try await database.withTenant(context.tenant) { tx in
            try await tx.first(
                """
                INSERT INTO user_preferences (tenant_id, user_id, theme, accent_color) VALUES (\(tenantID), \(userID), \((body.theme ?? .auto).rawValue), \(body.accentColor))
                ON CONFLICT (tenant_id, user_id) DO UPDATE SET theme = coalesce(\(body.theme?.rawValue), user_preferences.theme),
                    accent_color = coalesce(\(body.accentColor), user_preferences.accent_color), updated_at = now()
                RETURNING theme, accent_color, updated_at
                """, as: (String, String?, Date).self)
        }
        guard let row else { throw APIError.internalError }
        return ThemeView(theme: Theme(rawValue: row.0) ?? .auto, accentColor: row.1, updatedAt: row.2)
    }

    func resetTheme(_ context: AuthenticatedContext) async throws -> Response {
        let tenantID = context.principal.tenantID
        let userID = context.principal.userID
        _ = try await database.withTenant(context.tenant) { tx in
            try await tx.execute("DELETE FROM user_preferences WHERE tenant_id = \(tenantID) AND user_id = \(userID)")
        }
        return Response(status: .noContent)
    }

    func integrations(_ context: AuthenticatedContext) async throws -> Integrations {
        let tenantID = context.principal.tenantID
        let (webhooks, tokens, files) = try await database.withTenant(context.tenant) { tx in
            let webhooks = try await tx.first(
                """
                SELECT count(*) FILTER (WHERE active)::int, count(*) FILTER (WHERE NOT active AND disabled_reason IS NOT NULL)::int, min(created_at)
                FROM webhook_endpoints WHERE tenant_id = \(tenantID) AND deleted_at IS NULL
                """, as: (Int, Int, Date?).self)
            let tokens = try await tx.first(
                "SELECT count(*)::int, min(created_at) FROM inbound_webhook_tokens WHERE tenant_id = \(tenantID) AND revoked_at IS NULL", as: (Int, Date?).self)
            let files = try await tx.first(
                "SELECT count(*)::int, coalesce(sum(size), 0)::int8 FROM files WHERE tenant_id = \(tenantID) AND deleted_at IS NULL", as: (Int, Int64).self)
            return (webhooks, tokens, files)
        }
        var list: [Integration] = []
        // Model providers: reachable or not (a short health check each), and whether this
        // tenant uses a key of its own. Addresses and keys are never shown.
        let stored = try await database.withTenant(context.tenant) { tx in
            try await tx.all("SELECT name, updated_at FROM tenant_secrets WHERE tenant_id = \(tenantID) AND name LIKE '%.api_key'", as: (String, Date).self)
        }
        for name in providers.names {
            guard let provider = try? await providers.provider(name) else { continue }
            let health = await provider.health()
            let own = stored.first { $0.0 == "\(name).api_key" }
            list.append(Integration(
                name: name, kind: "model_provider", status: health.healthy ? .connected : .error, configuredAt: own?.1,
                details: ["built_in": .bool(name == "local"), "tenant_key": .bool(own != nil), "message": .string(String(health.message.prefix(200)))]))
        }
        let github = config.github
        list.append(Integration(
            name: "github", kind: "oauth", status: github.clientID != nil && github.clientSecret != nil ? .connected : .notConfigured, configuredAt: nil,
            details: ["sign_in": .bool(github.clientID != nil && github.clientSecret != nil)]))
        if let webhooks {
            let status: IntegrationStatus = webhooks.1 > 0 ? .error : webhooks.0 > 0 ? .connected : .notConfigured
            list.append(Integration(
                name: "webhooks", kind: "outbound_webhooks", status: status, configuredAt: webhooks.2,
                details: ["active_endpoints": .int(Int64(webhooks.0)), "disabled_by_failures": .int(Int64(webhooks.1))]))
        }
        if let tokens {
            list.append(Integration(
                name: "inbound_webhooks", kind: "inbound_webhooks", status: tokens.0 > 0 ? .connected : .notConfigured, configuredAt: tokens.1,
                details: ["tokens": .int(Int64(tokens.0))]))
        }
        list.append(Integration(
            name: "file_storage", kind: "storage", status: .connected, configuredAt: nil,
            details: ["backend": "local_disk", "files": .int(Int64(files?.0 ?? 0)), "bytes": .int(files?.1 ?? 0),
                      "quota_bytes": .int(config.files.tenantQuotaBytes)]))
        return Integrations(integrations: list)
    }
}

struct PlatformSettingsController: Sendable {
    let runtime: RuntimeSettings
    let config: PlatformConfig

    struct SystemSettings: Codable, Sendable, ResponseEncodable {
        var debugMode: Bool
        var logLevel: String
        var maxWorkers: Int
        var workerLeaseSeconds: Int
        var rateLimitPerMinute: Int
        var maxUploadBytes: Int64
        var webhookTimeoutSeconds: Int
        var version: String
    }

    struct ConfigView: Codable, Sendable, ResponseEncodable {
        var settings: [String: JSONValue]
        var definitions: [RuntimeSettings.Definition]
        /// Settings fixed at start-up (environment or config file); secrets are never shown.
        var startup: SystemSettings
    }

    struct PublicConfig: Codable, Sendable, ResponseEncodable {
        var appName: String
        var announcement: String
        var supportEmail: String
        var authMethods: [String]
        var featureFlags: JSONValue
        var version: String
    }

    func register(in registry: RouteRegistry) {
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/settings/system", summary: "The platform's system settings (platform administrators)", tag: "settings",
                access: .permission("platform:settings:read"), responses: [.json(.ok, SystemSettings.self)])
        ) { _, _ in self.system }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/system/config", summary: "Runtime and start-up configuration, without secrets", tag: "settings",
                access: .permission("platform:settings:read"), responses: [.json(.ok, ConfigView.self)])
        ) { _, _ in self.view }
        registry.addProtected(
            RouteDeclaration(
                .put, "/api/v1/system/config", summary: "Change runtime settings; every instance applies them at once",
                description: "A JSON object of setting keys to values (see `definitions` in GET); each value is checked against its type.",
                tag: "settings", access: .permission("platform:settings:update"), body: .schema(["type": "object"]),
                responses: [.json(.ok, ConfigView.self)])
        ) { request, context in try await self.update(request, context) }
        registry.addPublic(
            RouteDeclaration(
                .get, "/api/v1/public/config", summary: "What a login page needs: app name, sign-in methods, feature flags", tag: "settings",
                access: .public, responses: [.json(.ok, PublicConfig.self)])
        ) { _, _ in self.publicConfig }
    }

    var system: SystemSettings {
        SystemSettings(
            debugMode: config.logLevel <= .debug, logLevel: config.logLevel.rawValue.uppercased(), maxWorkers: config.tasks.serveWorkerConcurrency,
            workerLeaseSeconds: config.tasks.leaseSeconds, rateLimitPerMinute: config.rateLimit.requestsPerMinute,
            maxUploadBytes: config.files.maxUploadBytes, webhookTimeoutSeconds: config.webhooks.timeoutSeconds, version: HealthController.apiVersion)
    }

    var view: ConfigView {
        ConfigView(settings: runtime.current, definitions: RuntimeSettings.definitions, startup: system)
    }

    var publicConfig: PublicConfig {
        let current = runtime.current
        var methods = ["password", "api_key"]
        if config.github.clientID != nil && config.github.clientSecret != nil { methods.append("github") }
        return PublicConfig(
            appName: current["app_name"]?.stringValue ?? "Platform", announcement: current["announcement"]?.stringValue ?? "",
            supportEmail: current["support_email"]?.stringValue ?? "", authMethods: methods,
            featureFlags: current["feature_flags"] ?? [:], version: HealthController.apiVersion)
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> ConfigView {
        let body = try await request.decode(as: JSONValue.self, context: context)
        guard case .object(var changes) = body else { throw APIError.validation(["body": "must be an object of setting keys to values"]) }
        // Also accept the shape GET answers: {"settings": {...}}.
        if case .object(let nested)? = changes["settings"], changes.count == 1 { changes = nested }
        guard !changes.isEmpty else { throw APIError.validation(["body": "name at least one setting"]) }
        var problems: [String: String] = [:]
        for (key, value) in changes {
            if let problem = RuntimeSettings.problem(key, value) { problems[key] = problem }
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
        try await runtime.update(changes, by: context.principal.userID)
        return view
    }
}
