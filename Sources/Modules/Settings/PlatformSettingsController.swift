import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// The platform's configuration: start-up settings, runtime settings (`system/config`) and what
/// a login page may know (`public/config`).
struct PlatformSettingsController: Sendable {
    let runtime: RuntimeSettings
    let config: PlatformConfig

    func register(settings: RouteGroup, system: RouteGroup, publicRoutes: RouteGroup) {
        settings.get("/system", "The platform's system settings (platform administrators)", .permission("platform:settings:read"), use: systemSettings)
        system.get("/config", "Runtime and start-up configuration, without secrets", .permission("platform:settings:read"), use: configuration)
        system.put(
            "/config", "Change runtime settings; every instance applies them at once", .permission("platform:settings:update"),
            description: "A JSON object of setting keys to values (see `definitions` in GET); each value is checked against its type.",
            body: RuntimeSettingChanges.self, use: update)
        publicRoutes.get("/config", "What a login page needs: app name, sign-in methods, feature flags", .public, use: publicConfiguration)
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

    func systemSettings(_ request: Request, _ context: AuthenticatedContext) async throws -> SystemSettings { system }

    func configuration(_ request: Request, _ context: AuthenticatedContext) async throws -> ConfigView { view }

    func publicConfiguration(_ request: Request, _ context: AppRequestContext) async throws -> PublicConfig {
        let current = runtime.current
        var methods = ["password", "api_key"]
        if config.github.clientID != nil && config.github.clientSecret != nil { methods.append("github") }
        return PublicConfig(
            appName: current["app_name"]?.stringValue ?? "Platform", announcement: current["announcement"]?.stringValue ?? "",
            supportEmail: current["support_email"]?.stringValue ?? "", authMethods: methods,
            featureFlags: current["feature_flags"] ?? [:], version: HealthController.apiVersion)
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> ConfigView {
        let body = try await request.decode(as: RuntimeSettingChanges.self, context: context).body
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
