import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// The short-video seed's target accounts: quick-add by channel URL, list, read, change,
/// (logical) delete, crawl triggers, and an account's snapshots. Bare arrays with `skip`/`limit`.
struct AccountController: Sendable {
    let database: Database
    let store = AccountStore()
    let tasks = MonitoringTaskStore()

    static let defaultLimit = 100
    static let videoLimitRange = 1...1000

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("account_id")]
        routes.post(
            "/accounts/quick-add", "Add a target account by its channel URL and crawl it at once", .permission("analysis:account:create"),
            description: "Accepted URLs: `https://www.youtube.com/@handle`, `/channel/UC…`, `/c/name`, `/user/name` (with or without `www.`/`m.`); anything else answers 422 naming them. An account already tracking the channel is answered (200) instead of a new one (201). A crawl is queued either way (unless one is waiting or running); `latest_snapshot` is null until the first crawl.",
            body: QuickAddInput.self,
            responses: [.json(.created, AccountView.self, "Created"), .json(.ok, AccountView.self, "The tenant already tracks this channel")],
            use: quickAdd)
        routes.post(
            "/accounts/batch-trigger-crawl", "Queue crawls of several accounts; a summary per account", .permission("analysis:account:crawl"),
            body: BatchCrawlInput.self, use: batchCrawl)
        routes.get(
            "/accounts", "Target accounts with their latest snapshot, newest first (a bare array)", .permission("analysis:account:list"),
            query: AccountListQuery.self, use: list)
        routes.get("/accounts/{account_id}", "One target account with its latest snapshot", .permission("analysis:account:read"), parameters: id, use: get)
        routes.put(
            "/accounts/{account_id}", "Change a target account: category, activity, crawl limit, schedule", .permission("analysis:account:update"),
            description: "Absent fields keep their value. `schedule_interval` (60–31536000 s) or `cron_string` (five fields, UTC) replaces the other; `is_scheduled: false` stops scheduled crawls.",
            parameters: id, body: AccountUpdateInput.self, use: update)
        routes.delete(
            "/accounts/{account_id}", "Delete a target account (logically); 409 while its videos have downloads or analyses, unless forced",
            .permission("analysis:account:delete"), query: DeleteAccountQuery.self, parameters: id, body: DeleteAccountInput.self, bodyRequired: false,
            responses: [.error(.conflict, "Its videos have downloads or analyses (send force: true)")], use: delete)
        routes.post(
            "/accounts/{account_id}/trigger-crawl", "Queue a crawl of the account now; the monitoring task", .permission("analysis:account:crawl"),
            description: "When a crawl of the account is already waiting or running, that task is answered instead of a second one.",
            parameters: id, body: CrawlInput.self, bodyRequired: false, responses: [.error(.conflict, "The account is inactive")], use: triggerCrawl)
        routes.get(
            "/accounts/{account_id}/snapshots", "The account's snapshots, oldest first (for charts; a bare array)", .permission("analysis:account:read"),
            query: SnapshotQuery.self, parameters: id, use: snapshots)
    }

    func find(_ id: UUID, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> StoredAccount {
        guard let account = try await store.find(id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.accountNotFound }
        return account
    }

    static func category(_ text: String?, into problems: inout [String: String]) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        if text.count > 100 { problems["category"] = "must be at most 100 characters" }
        return text
    }

    // MARK: Handlers

    func quickAdd(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let input = try await request.decode(as: QuickAddInput.self, context: context)
        var problems: [String: String] = [:]
        let locator = ChannelLocator(url: input.channelUrl)
        if locator == nil { problems["channel_url"] = "must be " + ChannelLocator.acceptedForms }
        let category = Self.category(input.category, into: &problems)
        let limit = input.videoLimit ?? 50
        if !Self.videoLimitRange.contains(limit) { problems["video_limit"] = "must be from 1 to 1000" }
        let schedule = CrawlSchedule.validated(
            isScheduled: input.isScheduled ?? true, interval: input.scheduleInterval, cron: input.cronString, into: &problems)
        guard let locator, problems.isEmpty else { throw APIError.validation(problems) }
        let crawlVideos = input.crawlVideos ?? true
        let tenantID = context.principal.tenantID
        let (account, created) = try await database.withTenant(context.tenant) { tx -> (StoredAccount, Bool) in
            var created = false
            var account = try await store.find(locator, tenantID: tenantID, in: tx)
            if account == nil {
                let new = NewAccount(
                    locator: locator, category: category, videoCrawlLimit: limit, crawlVideos: crawlVideos, schedule: schedule,
                    nextCrawlAt: schedule?.next(after: Date()))
                if let id = try await store.insert(new, id: UUID.v7(), tenantID: tenantID, ownerID: context.principal.userID, in: tx) {
                    account = try await store.find(id, tenantID: tenantID, in: tx)
                    created = true
                } else {
                    account = try await store.find(locator, tenantID: tenantID, in: tx)
                }
            }
            guard let account else { throw APIError.internalError }
            _ = try await queueCrawl(
                account, crawlVideos: crawlVideos, limit: limit, trigger: .quickAdd, context: context, in: tx)
            return (account, created)
        }
        var response = try AccountView(account).response(from: request, context: context)
        response.status = created ? .created : .ok
        return response
    }

    /// The account's waiting or running crawl, or a new one; whether it is new.
    func queueCrawl(
        _ account: StoredAccount, crawlVideos: Bool, limit: Int, trigger: MonitoringTrigger, context: AuthenticatedContext, in tx: DatabaseTransaction
    ) async throws -> (StoredMonitoringTask, Bool) {
        let tenantID = context.principal.tenantID
        if let running = try await tasks.inFlight(.accountCrawl, accountID: account.id, videoID: nil, tenantID: tenantID, in: tx) { return (running, false) }
        let new = NewMonitoringTask(
            type: .accountCrawl, accountID: account.id, trigger: trigger,
            input: ["account_id": .string(account.id.uuidString.lowercased()), "crawl_videos": .bool(crawlVideos), "video_limit": .int(Int64(limit))])
        return (try await tasks.create(new, tenantID: tenantID, ownerID: context.principal.userID, in: tx), true)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> [AccountView] {
        let query = try request.query(AccountListQuery.self)
        let filter = AccountFilter(tenantID: context.principal.tenantID, isActive: query.isActive, category: query.category)
        return try await database.withTenant(context.tenant) { tx in
            try await store.list(filter, limit: query.limit ?? Self.defaultLimit, offset: query.skip ?? 0, in: tx).map(AccountView.init)
        }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> AccountView {
        let id = try context.pathUUID("account_id", or: .accountNotFound)
        return AccountView(try await database.withTenant(context.tenant) { tx in try await find(id, context, in: tx) })
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> AccountView {
        let id = try context.pathUUID("account_id", or: .accountNotFound)
        let input = try await request.decode(as: AccountUpdateInput.self, context: context)
        var problems: [String: String] = [:]
        let category = Self.category(input.category, into: &problems)
        let limit = input.videoCrawlLimit ?? input.videoLimit
        if let limit, !Self.videoLimitRange.contains(limit) { problems[input.videoCrawlLimit != nil ? "video_crawl_limit" : "video_limit"] = "must be from 1 to 1000" }
        _ = CrawlSchedule.validated(isScheduled: false, interval: input.scheduleInterval, cron: input.cronString, into: &problems)
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        return AccountView(try await database.withTenant(context.tenant) { tx in
            let current = try await find(id, context, in: tx)
            // The schedule after the change: what was given replaces what was stored.
            let isScheduled = input.isScheduled ?? (current.isScheduled || input.scheduleInterval != nil || input.cronString != nil)
            var interval = current.scheduleInterval
            var cron = current.cronString
            if let given = input.scheduleInterval { (interval, cron) = (given, nil) }
            if let given = input.cronString { (interval, cron) = (nil, given) }
            var ignored: [String: String] = [:]
            let schedule = CrawlSchedule.validated(isScheduled: isScheduled, interval: interval, cron: cron, into: &ignored)
            let active = input.isActive ?? current.isActive
            let scheduleChanged = schedule != (current.isScheduled ? CrawlSchedule(interval: current.scheduleInterval, cron: current.cronString) : nil)
            let next: Date? = if let schedule, active {
                scheduleChanged || current.nextCrawlAt == nil ? schedule.next(after: Date()) : current.nextCrawlAt
            } else {
                nil
            }
            let change = AccountChange(
                category: category, isActive: input.isActive, videoCrawlLimit: limit, crawlVideos: input.crawlVideos, schedule: schedule, nextCrawlAt: next)
            guard try await store.update(id, tenantID: tenantID, change, in: tx) else { throw APIError.accountNotFound }
            return try await find(id, context, in: tx)
        })
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> DeletedAccount {
        let id = try context.pathUUID("account_id", or: .accountNotFound)
        let query = try request.query(DeleteAccountQuery.self)
        let body = try await request.decodeIfPresent(as: DeleteAccountInput.self, context: context)
        let force = body?.force ?? query.force ?? false
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            if !force, try await store.hasWork(id, tenantID: tenantID, in: tx) { throw APIError.accountHasWork }
            for task in try await tasks.unfinished(accountID: id, tenantID: tenantID, in: tx) {
                var change = TaskStatusChange(errorMessage: "the target account was deleted")
                change.currentStep = "cancelled"
                do {
                    _ = try await TaskStore.transition(task, tenantID: tenantID, to: .cancelled, change: change, kind: .task, in: tx)
                } catch let error as APIError where error.status == .conflict {
                    // It finished meanwhile.
                }
            }
            guard try await store.softDelete(id, tenantID: tenantID, in: tx) else { throw APIError.accountNotFound }
        }
        return DeletedAccount(message: "Target account deleted", id: id)
    }

    func snapshots(_ request: Request, _ context: AuthenticatedContext) async throws -> [AccountSnapshotView] {
        let id = try context.pathUUID("account_id", or: .accountNotFound)
        let query = try request.query(SnapshotQuery.self)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            return try await store.snapshots(of: id, tenantID: tenantID, limit: query.limit ?? Self.defaultLimit, offset: query.skip ?? 0, in: tx)
        }
    }
}
