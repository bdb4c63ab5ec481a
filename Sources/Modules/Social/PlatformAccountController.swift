import Foundation
import Hummingbird
import NIOCore
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// `/api/v1/platform-accounts` (the short-video seed): the pool of platform accounts workers
/// draw from, with daily quotas. Bare arrays with `skip`/`limit`; credentials sealed at rest and
/// answered masked.
struct PlatformAccountController: Sendable {
    let database: Database
    let quota: PlatformAccountQuota
    let store = PlatformAccountStore()

    static let defaultLimit = 100

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("account_id")]
        let notFound = RouteResponse.error(.notFound, "No such account in this tenant")
        let sealing = RouteResponse.error(.serviceUnavailable, "Credentials were given but no secrets key is configured")
        routes.post(
            "", "Add a platform account (credentials sealed, answered masked)", .permission("platform-account:create"),
            body: PlatformAccountInput.self, responses: [.error(.conflict, "The platform has an account of that name"), sealing], use: create)
        routes.get(
            "", "Platform accounts, newest first (a bare array)", .permission("platform-account:list"), query: PlatformAccountQuery.self, use: list)
        routes.get(
            "/available/{platform}", "Active accounts of a platform with quota left today, most remaining first", .permission("platform-account:list"),
            parameters: [.path("platform", ["type": "string", "minLength": 1, "maxLength": 50])],
            responses: [.error(.unprocessableContent, "The platform name is longer than 50 characters")], use: available)
        routes.get("/platforms/list", "Every platform the tenant has accounts for, sorted", .permission("platform-account:list"), use: platforms)
        routes.get("/{account_id}", "One platform account", .permission("platform-account:read"), parameters: id, responses: [notFound], use: get)
        routes.put(
            "/{account_id}", "Change a platform account (missing fields keep their value)", .permission("platform-account:update"),
            parameters: id, body: PlatformAccountInput.self,
            responses: [notFound, .error(.conflict, "The platform has an account of that name"), sealing], use: update)
        routes.delete(
            "/{account_id}", "Delete a platform account (logically)", .permission("platform-account:delete"), parameters: id,
            responses: [notFound, .error(.conflict, "A social connection uses the account")], use: delete)
        routes.post(
            "/{account_id}/reset-usage", "Set today's usage count (0 unless `used_today` is given)", .permission("platform-account:reset"),
            parameters: id, body: UsageResetInput.self, bodyRequired: false, responses: [notFound], use: resetUsage)
    }

    // MARK: Input

    /// The checked fields, the credentials sealed and masked. `stored` is the account's current
    /// credentials (for values sent back masked).
    func fields(_ input: PlatformAccountInput, id: UUID, creating: Bool, stored: JSONValue?, tenantID: UUID) throws -> PlatformAccountFields {
        let problems = input.problems(creating: creating)
        if !problems.isEmpty { throw APIError.validation(problems) }
        var fields = PlatformAccountFields(
            platform: input.platform.map(PlatformAccountInput.normalizedPlatform), name: input.name?.trimmingCharacters(in: .whitespacesAndNewlines),
            status: input.status)
        if input.proxyGiven { fields.proxy = .some(input.proxy.flatMap { $0.isEmpty ? nil : $0 }) }
        if input.dailyLimitGiven { fields.dailyLimit = .some(input.dailyLimit) }
        if let given = input.credentials ?? (creating ? [:] : nil) {
            let credentials = CredentialMask.restore(given, stored: stored)
            fields.maskedCredentials = CredentialMask.mask(credentials)
            if credentials != [:] {
                guard let sealer = quota.sealer else { throw APIError.socialSecretsNotConfigured }
                fields.sealedCredentials = try sealer.seal(
                    String(decoding: try JSONEncoder().encode(credentials), as: UTF8.self), tenant: tenantID, name: PlatformAccountQuota.secretName(id))
            }
        }
        return fields
    }

    func audit(_ action: String, _ id: UUID, _ context: AuthenticatedContext) -> AuditEvent {
        AuditEvent(
            action: action, tenantID: context.principal.tenantID, actorUserID: context.principal.userID, targetType: "platform_account",
            targetID: id.uuidString.lowercased(), requestID: context.requestID)
    }

    // MARK: Handlers

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> PlatformAccountView {
        let input = try await request.decode(as: PlatformAccountInput.self, context: context)
        let id = UUID.v7()
        let tenantID = context.principal.tenantID
        let fields = try fields(input, id: id, creating: true, stored: nil, tenantID: tenantID)
        let account = try await database.withTenant(context.tenant) { tx -> StoredPlatformAccount? in
            if try await store.nameTaken(fields.name ?? "", platform: fields.platform ?? "", except: nil, tenantID: tenantID, in: tx) {
                throw APIError.platformAccountNameTaken
            }
            let day = try await quota.days.today(tenantID, in: tx)
            let account = try await store.insert(id: id, fields, tenantID: tenantID, ownerID: context.principal.userID, day: day, in: tx)
            try await AuditLog.append(audit("platform_account.create", id, context), in: tx)
            return account
        }
        guard let account else { throw APIError.internalError }
        return PlatformAccountView(account)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> [PlatformAccountView] {
        let query = try request.query(PlatformAccountQuery.self)
        let tenantID = context.principal.tenantID
        let filter = PlatformAccountFilter(
            tenantID: tenantID, platform: query.platform.map(PlatformAccountInput.normalizedPlatform), status: query.status)
        return try await database.withTenant(context.tenant) { tx in
            let day = try await quota.days.today(tenantID, in: tx)
            return try await store.list(filter, skip: query.skip ?? 0, limit: query.limit ?? Self.defaultLimit, day: day, in: tx)
        }.map(PlatformAccountView.init)
    }

    func available(_ request: Request, _ context: AuthenticatedContext) async throws -> [PlatformAccountView] {
        let platform = PlatformAccountInput.normalizedPlatform(context.parameters.get("platform") ?? "")
        if !(1...50).contains(platform.count) { throw APIError.validation(["platform": "must be 1-50 characters"]) }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let day = try await quota.days.today(tenantID, in: tx)
            return try await store.available(platform: platform, tenantID: tenantID, day: day, in: tx)
        }.map(PlatformAccountView.init)
    }

    func platforms(_ request: Request, _ context: AuthenticatedContext) async throws -> [String] {
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in try await store.platforms(tenantID: tenantID, in: tx) }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> PlatformAccountView {
        let id = try context.pathUUID("account_id", or: .platformAccountNotFound)
        let tenantID = context.principal.tenantID
        guard let account = try await database.withTenant(context.tenant, { tx in
            try await store.find(id, tenantID: tenantID, day: try await quota.days.today(tenantID, in: tx), in: tx)
        }) else { throw APIError.platformAccountNotFound }
        return PlatformAccountView(account)
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> PlatformAccountView {
        let id = try context.pathUUID("account_id", or: .platformAccountNotFound)
        let input = try await request.decode(as: PlatformAccountInput.self, context: context)
        let tenantID = context.principal.tenantID
        if !input.problems(creating: false).isEmpty { throw APIError.validation(input.problems(creating: false)) }
        // The stored credentials, for values sent back masked.
        let stored: JSONValue? = try await database.withTenant(context.tenant) { tx in
            guard let sealed = try await store.sealed(id, tenantID: tenantID, in: tx) else { throw APIError.platformAccountNotFound }
            return input.credentials == nil ? nil : quota.open(sealed, tenantID: tenantID)
        }
        let fields = try fields(input, id: id, creating: false, stored: stored, tenantID: tenantID)
        let account = try await database.withTenant(context.tenant) { tx -> StoredPlatformAccount? in
            let day = try await quota.days.today(tenantID, in: tx)
            guard let current = try await store.find(id, tenantID: tenantID, day: day, in: tx) else { throw APIError.platformAccountNotFound }
            if fields.name != nil || fields.platform != nil,
                try await store.nameTaken(fields.name ?? current.name, platform: fields.platform ?? current.platform, except: id, tenantID: tenantID, in: tx)
            {
                throw APIError.platformAccountNameTaken
            }
            let account = try await store.update(id, fields, tenantID: tenantID, day: day, in: tx)
            try await AuditLog.append(audit("platform_account.update", id, context), in: tx)
            return account
        }
        guard let account else { throw APIError.platformAccountNotFound }
        return PlatformAccountView(account)
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> DeletedPlatformAccount {
        let id = try context.pathUUID("account_id", or: .platformAccountNotFound)
        let tenantID = context.principal.tenantID
        let deleted = try await database.withTenant(context.tenant) { tx in
            if try await SocialConnectionStore().usesAccount(id, tenantID: tenantID, in: tx) {
                throw APIError.conflict("A social connection uses this account; connect the network without it first", code: "PLATFORM_ACCOUNT_IN_USE")
            }
            let deleted = try await store.softDelete(id, tenantID: tenantID, in: tx)
            if deleted { try await AuditLog.append(audit("platform_account.delete", id, context), in: tx) }
            return deleted
        }
        guard deleted else { throw APIError.platformAccountNotFound }
        return DeletedPlatformAccount(message: "Platform account deleted", id: id)
    }

    func resetUsage(_ request: Request, _ context: AuthenticatedContext) async throws -> PlatformAccountView {
        let id = try context.pathUUID("account_id", or: .platformAccountNotFound)
        let input = try await request.decodeIfPresent(as: UsageResetInput.self, context: context) ?? UsageResetInput()
        let count = input.usedToday ?? 0
        if !(0...10_000_000).contains(count) { throw APIError.validation(["used_today": "must be from 0 to 10000000"]) }
        let tenantID = context.principal.tenantID
        let account = try await database.withTenant(context.tenant) { tx -> StoredPlatformAccount? in
            let day = try await quota.days.today(tenantID, in: tx)
            guard let current = try await store.find(id, tenantID: tenantID, day: day, in: tx) else { throw APIError.platformAccountNotFound }
            if let limit = current.dailyLimit, count > limit {
                throw APIError.validation(["used_today": "must not exceed the daily limit (\(limit))"])
            }
            let account = try await store.resetUsage(id, to: count, tenantID: tenantID, day: day, in: tx)
            try await AuditLog.append(audit("platform_account.reset_usage", id, context), in: tx)
            return account
        }
        guard let account else { throw APIError.platformAccountNotFound }
        return PlatformAccountView(account)
    }
}
