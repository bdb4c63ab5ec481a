import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// `POST /accounts/{id}/trigger-crawl` and `POST /accounts/batch-trigger-crawl`.
extension AccountController {
    static let maxBatch = 100

    func triggerCrawl(_ request: Request, _ context: AuthenticatedContext) async throws -> MonitoringTaskView {
        let id = try context.pathUUID("account_id", or: .accountNotFound)
        let input = try await request.decodeIfPresent(as: CrawlInput.self, context: context) ?? CrawlInput()
        if let limit = input.videoLimit, !Self.videoLimitRange.contains(limit) { throw APIError.validation(["video_limit": "must be from 1 to 1000"]) }
        return MonitoringTaskView(try await database.withTenant(context.tenant) { tx in
            let account = try await find(id, context, in: tx)
            guard account.isActive else { throw APIError.conflict("The account is inactive; activate it first", code: "ACCOUNT_INACTIVE") }
            return try await queueCrawl(
                account, crawlVideos: input.crawlVideos ?? true, limit: input.videoLimit ?? account.videoCrawlLimit, trigger: .manual,
                context: context, in: tx
            ).0
        })
    }

    func batchCrawl(_ request: Request, _ context: AuthenticatedContext) async throws -> BatchCrawlResult {
        let input = try await request.decode(as: BatchCrawlInput.self, context: context)
        var problems: [String: String] = [:]
        if input.accountIds.isEmpty || input.accountIds.count > Self.maxBatch { problems["account_ids"] = "must list 1-\(Self.maxBatch) account ids" }
        if input.accountIds.contains(where: { $0.count > 100 }) { problems["account_ids"] = "each id must be at most 100 characters" }
        if let limit = input.videoLimit, !Self.videoLimitRange.contains(limit) { problems["video_limit"] = "must be from 1 to 1000" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        var seen: Set<String> = []
        let ids = input.accountIds.filter { seen.insert($0.lowercased()).inserted }
        let items = try await database.withTenant(context.tenant) { tx -> [BatchCrawlResult.Item] in
            var items: [BatchCrawlResult.Item] = []
            for text in ids {
                guard let id = UUID(uuidString: text), let account = try await store.find(id, tenantID: tenantID, in: tx) else {
                    items.append(.init(status: "not_found", accountId: text, message: "no such target account"))
                    continue
                }
                guard account.isActive else {
                    items.append(.init(status: "inactive", accountId: text, message: "the account is inactive"))
                    continue
                }
                let (task, queued) = try await queueCrawl(
                    account, crawlVideos: input.crawlVideos ?? true, limit: input.videoLimit ?? account.videoCrawlLimit, trigger: .manual,
                    context: context, in: tx)
                items.append(.init(
                    status: queued ? "queued" : "already_queued", accountId: text, taskId: task.id,
                    message: queued ? "crawl queued" : "a crawl of this account is already \(task.status.rawValue)"))
            }
            return items
        }
        let queued = items.filter { $0.status == "queued" }.count
        let already = items.filter { $0.status == "already_queued" }.count
        return BatchCrawlResult(
            message: "Queued \(queued) crawl(s) of \(items.count) account(s)", total: items.count, queued: queued, alreadyQueued: already,
            failed: items.count - queued - already, results: items)
    }
}
