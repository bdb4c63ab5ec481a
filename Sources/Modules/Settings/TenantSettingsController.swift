import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// The tenant's typed settings, its general settings, and a member's theme.
struct TenantSettingsController: Sendable {
    let database: Database
    let tenants: any TenantDirectory
    let store = SettingsStore()

    func register(in routes: RouteGroup) {
        routes.get("/general", "The tenant's app name, language and time zone", .permission("settings:tenant:read"), use: general)
        routes.get("", "The tenant's settings", .permission("settings:tenant:read"), query: PagingQuery.self, use: list)
        routes.post(
            "/create", "Create a typed setting (string, int, bool or json)", .permission("settings:tenant:create"),
            description: "`app_name`, `language` (e.g. `en`, `pt-BR`) and `timezone` (an IANA name) are the general settings and are checked as such.",
            body: CreateSetting.self, responses: [.error(.conflict, "The key exists")], use: create)
        routes.put("/theme", "Set your theme in this tenant", .authenticated, body: ThemeInput.self, use: setTheme)
        routes.delete("/theme", "Back to the default theme", .authenticated, responses: [.noContent("Reset")], use: resetTheme)
        routes.put(
            "/{id}", "Change a setting's value (checked against its type)", .permission("settings:tenant:update"), parameters: [.uuid("id")],
            body: UpdateSetting.self, use: update)
        routes.delete(
            "/{id}", "Delete a setting (general settings fall back to their defaults)", .permission("settings:tenant:delete"), parameters: [.uuid("id")],
            responses: [.noContent("Deleted")], use: delete)
    }

    func general(_ request: Request, _ context: AuthenticatedContext) async throws -> General {
        let tenantID = context.principal.tenantID
        let (name, rows) = try await database.withTenant(context.tenant) { tx in
            (try await tenants.name(of: tenantID, in: tx), try await store.generalValues(tenantID: tenantID, in: tx))
        }
        var values: [String: String] = [:]
        for row in rows { values[row.key] = row.value }
        return General(appName: values["app_name"] ?? name ?? "Platform", language: values["language"] ?? "en", timezone: values["timezone"] ?? "UTC")
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<Setting> {
        let page = try request.query(PagingQuery.self).paging
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.count(tenantID: tenantID, in: tx)
            let items = try await store.list(tenantID: tenantID, page: page, in: tx)
            return Page(items: items, total: total, request: page)
        }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<Setting> {
        let body = try await request.decode(as: CreateSetting.self, context: context)
        var problems: [String: String] = [:]
        if body.key.wholeMatch(of: /[a-z][a-z0-9_.-]{0,99}/) == nil { problems["key"] = "must start with a-z and use a-z, 0-9, _ . - (at most 100)" }
        let type = body.type ?? SettingRules.inferred(body.value)
        if let problem = SettingRules.problem(key: body.key, type: type, value: body.value) { problems["value"] = problem }
        if let description = body.description, description.count > 1000 { problems["description"] = "must be at most 1000 characters" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        let setting = try await database.withTenant(context.tenant) { tx in
            if try await store.keyExists(body.key, tenantID: tenantID, in: tx) { throw APIError.settingExists(body.key) }
            return try await store.insert(
                key: body.key, type: type, value: SettingRules.normalized(type, body.value), description: body.description, tenantID: tenantID,
                createdBy: context.principal.userID, in: tx)
        }
        guard let setting else { throw APIError.internalError }
        return Created(setting)
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> Setting {
        let id = try context.pathUUID("id", or: .settingNotFound)
        let body = try await request.decode(as: UpdateSetting.self, context: context)
        if let description = body.description, description.count > 1000 { throw APIError.validation(["description": "must be at most 1000 characters"]) }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            guard let existing = try await store.findForUpdate(id, tenantID: tenantID, in: tx) else { throw APIError.settingNotFound }
            let type = body.type ?? existing.type
            let value = body.value ?? existing.value
            if let problem = SettingRules.problem(key: existing.key, type: type, value: value) { throw APIError.validation(["value": problem]) }
            guard let setting = try await store.update(
                id, tenantID: tenantID, type: type, value: SettingRules.normalized(type, value), description: body.description, in: tx)
            else { throw APIError.settingNotFound }
            return setting
        }
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .settingNotFound)
        let tenantID = context.principal.tenantID
        let deleted = try await database.withTenant(context.tenant) { tx in try await store.delete(id, tenantID: tenantID, in: tx) }
        guard deleted else { throw APIError.settingNotFound }
        return NoContent()
    }

    func setTheme(_ request: Request, _ context: AuthenticatedContext) async throws -> ThemeView {
        let body = try await request.decode(as: ThemeInput.self, context: context)
        if let color = body.accentColor, color.wholeMatch(of: /#[0-9a-fA-F]{6}/) == nil { throw APIError.validation(["accent_color": "must be a color like #FF0000"]) }
        let tenantID = context.principal.tenantID
        let userID = context.principal.userID
        let theme = try await database.withTenant(context.tenant) { tx in try await store.saveTheme(body, tenantID: tenantID, userID: userID, in: tx) }
        guard let theme else { throw APIError.internalError }
        return theme
    }

    func resetTheme(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let tenantID = context.principal.tenantID
        let userID = context.principal.userID
        try await database.withTenant(context.tenant) { tx in try await store.resetTheme(tenantID: tenantID, userID: userID, in: tx) }
        return NoContent()
    }
}
