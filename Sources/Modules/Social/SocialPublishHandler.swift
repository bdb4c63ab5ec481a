import Foundation
import PlatformDatabase
import PlatformSupport
import TaskEngine

/// Work on the task engine: one task per post and network (`social.publish`, due at the post's
/// time), and one per removal from a network (`social.delete`). Both are platform jobs
/// (`internal`), retried on 429 (after `Retry-After`) and 5xx.
enum SocialJobs {
    static let publishType = "social.publish"
    static let deleteType = "social.delete"

    static func enqueue(
        _ type: String, post: UUID, platform: SocialNetwork, at due: Date?, attempts: Int, tenantID: UUID, in tx: DatabaseTransaction
    ) async throws -> UUID {
        var task = NewTask(taskType: type)
        task.kind = .internal
        task.queue = "social"
        task.priority = 60
        task.input = ["post_id": .string(post.uuidString.lowercased()), "platform": .string(platform.rawValue)]
        task.maxAttempts = attempts
        task.scheduledAt = due
        task.enqueue = true
        return try await TaskStore.insert(task, tenantID: tenantID, ownerID: nil, in: tx).id
    }

    static func input(_ job: TaskJob) throws -> (UUID, SocialNetwork) {
        guard let text = job.task.taskInput["post_id"]?.stringValue, let post = UUID(uuidString: text),
            let name = job.task.taskInput["platform"]?.stringValue, let network = SocialNetwork(rawValue: name)
        else { throw TaskFailure("task_input needs post_id and platform", retryable: false) }
        return (post, network)
    }
}

/// Publishes one post to one network: the delivery becomes `publishing`, the linked platform
/// account's quota is drawn on (once per delivery), the network's API is called (its token
/// refreshed when needed), and the delivery ends `published` with the remote id and URL, or
/// `failed` with the network's error once no retry is left.
struct SocialPublishHandler: TaskHandler {
    let database: Database
    let connections: SocialConnections
    let quota: PlatformAccountQuota
    let attempts: Int
    let store = SocialPostStore()

    func run(_ job: TaskJob) async throws -> JSONValue? {
        let (postID, network) = try SocialJobs.input(job)
        let scope = job.tenantScope
        let tenantID = job.task.tenantId
        let started = try await database.withTenant(scope) { tx -> (StoredPost, StoredDelivery)? in
            try await store.lockPost(postID, tenantID: tenantID, in: tx)
            guard let post = try await store.find(postID, tenantID: tenantID, in: tx),
                let delivery = try await store.delivery(postID, network, tenantID: tenantID, locking: true, in: tx),
                delivery.status == .scheduled || delivery.status == .publishing
            else { return nil }
            try await store.markPublishing(postID, network, attempt: job.task.attempts, tenantID: tenantID, in: tx)
            try await store.refreshStatus(postID, tenantID: tenantID, in: tx)
            return (post, delivery)
        }
        guard let (post, delivery) = started else { return ["skipped": "the post was deleted or this delivery is no longer due"] }
        let final = job.task.attempts >= job.task.maxAttempts
        do {
            guard let session = try await connections.session(network, scope: scope) else {
                throw SocialPlatformError.refused("\(network.displayName) is not connected")
            }
            if let accountID = session.connection.platformAccountId, !delivery.quotaCounted {
                try await drawQuota(accountID, post: postID, network: network, scope: scope)
            }
            let outgoing = OutgoingPost(text: delivery.content, images: post.images, idempotencyKey: "\(postID.uuidString.lowercased())-\(network.rawValue)")
            let published = try await connections.call(session, scope: scope) { client, credentials in
                try await client.publish(outgoing, as: session.connection.connectedAccount, credentials)
            }
            try await database.withTenant(scope) { tx in
                try await store.lockPost(postID, tenantID: tenantID, in: tx)
                let status = try await store.markPublished(postID, network, remoteID: published.remoteID, url: published.url, tenantID: tenantID, in: tx)
                try await store.refreshStatus(postID, tenantID: tenantID, in: tx)
                if status == .deleting {
                    _ = try await SocialJobs.enqueue(SocialJobs.deleteType, post: postID, platform: network, at: nil, attempts: attempts, tenantID: tenantID, in: tx)
                }
            }
            return ["platform": .string(network.rawValue), "remote_id": .string(published.remoteID), "url": published.url.map { .string($0) } ?? .null]
        } catch let error as SocialPlatformError {
            let last = final || !error.retryable
            try await database.withTenant(scope) { tx in
                try await store.lockPost(postID, tenantID: tenantID, in: tx)
                try await store.markFailed(postID, network, error: error.message, final: last, tenantID: tenantID, in: tx)
                try await store.refreshStatus(postID, tenantID: tenantID, in: tx)
            }
            // A long Retry-After is honoured up to an hour; the engine's backoff applies without one.
            throw TaskFailure(error.message, retryable: !last, retryAfter: error.retryAfter.map { min($0, .seconds(3600)) })
        }
    }

    /// One use of the linked platform account for this delivery; refuses (without retry) when
    /// the account is used up for the day or not active.
    func drawQuota(_ accountID: UUID, post: UUID, network: SocialNetwork, scope: TenantScope) async throws {
        try await database.withTenant(scope) { tx in
            try await store.lockPost(post, tenantID: scope.tenantID, in: tx)
            switch try await quota.use(accountID, key: "social:\(post.uuidString.lowercased()):\(network.rawValue)", tenantID: scope.tenantID, in: tx) {
            case .counted, .alreadyCounted:
                try await store.markQuotaCounted(post, network, tenantID: scope.tenantID, in: tx)
            case .exhausted(let account):
                throw SocialPlatformError.refused("the platform account \(account.name) reached its daily limit of \(account.dailyLimit ?? 0) uses")
            case .unavailable(let account):
                throw SocialPlatformError.refused("the platform account \(account.name) is \(account.status.rawValue)")
            case .notFound:
                throw SocialPlatformError.refused("the connection's platform account was deleted")
            }
        }
    }
}

/// Removes a deleted post's delivery from its network. A post the network no longer has
/// counts as removed; a network that cannot delete (Instagram) leaves a note.
struct SocialDeleteHandler: TaskHandler {
    let database: Database
    let connections: SocialConnections
    let store = SocialPostStore()

    func run(_ job: TaskJob) async throws -> JSONValue? {
        let (postID, network) = try SocialJobs.input(job)
        let scope = job.tenantScope
        let tenantID = job.task.tenantId
        guard let delivery = try await database.withTenant(scope, { tx in
            try await store.delivery(postID, network, tenantID: tenantID, locking: false, in: tx)
        }), delivery.status == .deleting, let remoteID = delivery.remoteId
        else { return ["skipped": "nothing to remove"] }
        func finish(_ note: String?) async throws -> JSONValue {
            try await database.withTenant(scope) { tx in try await store.markRemoved(postID, network, note: note, tenantID: tenantID, in: tx) }
            return ["platform": .string(network.rawValue), "remote_id": .string(remoteID), "removed": .bool(note == nil), "note": note.map { .string($0) } ?? .null]
        }
        do {
            guard let session = try await connections.session(network, scope: scope) else {
                return try await finish("\(network.displayName) is no longer connected; the post was left there")
            }
            try await connections.call(session, scope: scope) { client, credentials in
                try await client.delete(remoteID, as: session.connection.connectedAccount, credentials)
            }
            return try await finish(nil)
        } catch let error as SocialPlatformError {
            switch error.kind {
            case .notFound: return try await finish(nil)
            case .refused: return try await finish(error.message)
            default:
                let last = job.task.attempts >= job.task.maxAttempts || !error.retryable
                try await database.withTenant(scope) { tx in try await store.noteError(postID, network, error: error.message, tenantID: tenantID, in: tx) }
                throw TaskFailure(error.message, retryable: !last, retryAfter: error.retryAfter.map { min($0, .seconds(3600)) })
            }
        }
    }
}
