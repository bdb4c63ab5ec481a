import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// `/social/posts` and `/social/cross-post` (the content platform seed): posts validated for
/// every network before anything is sent, then published on the task engine at once or at
/// their time, one delivery per network.
struct SocialPostController: Sendable {
    let database: Database
    let connections: SocialConnections
    let attempts: Int
    let store = SocialPostStore()

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("post_id")]
        routes.get("/posts", "Posts, newest (or latest scheduled) first, each with every network's status", .permission("social:post:list"),
                   query: SocialPostQuery.self, use: list)
        routes.post(
            "/posts", "Publish a post now, or at `scheduled_at`, to one or more connected networks", .permission("social:post:create"),
            body: SocialPostInput.self, use: create)
        routes.delete(
            "/posts/{post_id}", "Delete a post, here and (in the background) on every network it was published to", .permission("social:post:delete"),
            parameters: id, responses: [.noContent("Deleted"), .error(.notFound, "No such post")], use: delete)
        routes.post(
            "/cross-post", "Publish an existing post to more networks, its text adapted to each", .permission("social:post:create"),
            body: CrossPostInput.self, responses: [.error(.notFound, "No such post")], use: crossPost)
    }

    /// The networks named (each once), or every problem with the names.
    static func networks(_ names: [String], field: String) throws -> [SocialNetwork] {
        var networks: [SocialNetwork] = []
        var problems: [String: String] = [:]
        if names.isEmpty || names.count > SocialNetwork.allCases.count { problems[field] = "must name 1-\(SocialNetwork.allCases.count) networks" }
        for (index, name) in names.enumerated() {
            guard let network = SocialNetwork(name: name) else {
                problems["\(field)[\(index)]"] = "must be one of \(SocialNetwork.allCases.map(\.rawValue).joined(separator: ", "))"
                continue
            }
            if !networks.contains(network) { networks.append(network) }
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
        return networks
    }

    /// Which of `networks` the tenant has connected.
    func connected(_ networks: [SocialNetwork], scope: TenantScope) async throws -> Set<SocialNetwork> {
        let all = try await database.withTenant(scope) { tx in try await connections.store.all(tenantID: scope.tenantID, in: tx) }
        return Set(all.map(\.platform)).intersection(networks)
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<SocialPostView> {
        let input = try await request.decode(as: SocialPostInput.self, context: context)
        var problems: [String: String] = [:]
        let networks: [SocialNetwork]
        do { networks = try Self.networks(input.platforms, field: "platforms") } catch let error as APIError {
            problems.merge(error.fieldProblems) { first, _ in first }
            networks = []
        }
        let content = input.content.trimmingCharacters(in: .whitespacesAndNewlines)
        if !(1...10_000).contains(content.count) { problems["content"] = "must be 1-10000 characters" }
        let images = input.images ?? []
        for (index, image) in images.enumerated() {
            if image.count > 2000 || URL(string: image).map({ ["http", "https"].contains($0.scheme?.lowercased() ?? "") && $0.host != nil }) != true {
                problems["images[\(index)]"] = "must be an http(s) URL of an image"
            }
        }
        if images.count > 20 { problems["images"] = "at most 20 images" }
        let tags = input.hashtags ?? []
        for (index, tag) in tags.enumerated() where !SocialRules.isHashtag(tag) {
            problems["hashtags[\(index)]"] = "must be a hashtag of 1-100 letters, digits or _ (with or without #)"
        }
        if tags.count > 60 { problems["hashtags"] = "at most 60 hashtags" }
        let due = input.scheduledAt ?? input.scheduledTime
        if let due, due < Date().addingTimeInterval(-300) { problems["scheduled_at"] = "is in the past (leave it out to publish now)" }
        if let due, due > Date().addingTimeInterval(366 * 86_400) { problems["scheduled_at"] = "must be within a year" }
        let hashtags = SocialRules.normalizedHashtags(tags)
        let text = SocialRules.compose(content, hashtags: hashtags)
        let linked = try await connected(networks, scope: context.tenant)
        for network in networks {
            var found = SocialRules.problems(text, images: images.count, hashtags: hashtags.count, for: network)
            if !linked.contains(network) { found.insert("\(network.displayName) is not connected (POST /api/v1/social/connect)", at: 0) }
            if !found.isEmpty { problems[network.rawValue] = found.joined(separator: "; ") }
        }
        if !problems.isEmpty { throw APIError.validation(problems, message: "The post breaks the rules of a network or has invalid fields") }
        let tenantID = context.principal.tenantID
        let publishAt = due.flatMap { $0 > Date() ? $0 : nil }
        let view = try await database.withTenant(context.tenant) { tx -> SocialPostView in
            let id = UUID.v7()
            guard let post = try await store.insertPost(
                id: id, content: content, images: images, hashtags: hashtags, scheduledAt: due, tenantID: tenantID, ownerID: context.principal.userID, in: tx)
            else { throw APIError.internalError }
            for (position, network) in networks.enumerated() {
                let task = try await SocialJobs.enqueue(SocialJobs.publishType, post: id, platform: network, at: publishAt, attempts: attempts, tenantID: tenantID, in: tx)
                try await store.insertDelivery(post: id, platform: network, position: position, content: text, taskID: task, tenantID: tenantID, in: tx)
            }
            return SocialPostView(post, deliveries: try await store.deliveries(of: [id], tenantID: tenantID, in: tx))
        }
        return Created(view)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> SocialPostList {
        let query = try request.query(SocialPostQuery.self)
        var network: SocialNetwork?
        if let name = query.platform {
            guard let found = SocialNetwork(name: name) else { throw APIError.validation(["platform": "must be one of \(SocialNetwork.allCases.map(\.rawValue).joined(separator: ", "))"]) }
            network = found
        }
        if let status = query.status {
            let allowed = network == nil ? SocialPostStatus.allCases.map(\.rawValue) : ["scheduled", "publishing", "published", "failed"]
            if !allowed.contains(status) { throw APIError.validation(["status": "must be one of \(allowed.joined(separator: ", "))"]) }
        }
        let tenantID = context.principal.tenantID
        let filter = SocialPostFilter(tenantID: tenantID, platform: network, status: query.status)
        return try await database.withTenant(context.tenant) { tx in
            let posts = try await store.list(filter, page: query.paging, in: tx)
            let deliveries = Dictionary(grouping: try await store.deliveries(of: posts.map(\.id), tenantID: tenantID, in: tx), by: \.postId)
            return SocialPostList(
                posts: posts.map { SocialPostView($0, deliveries: deliveries[$0.id] ?? [], focus: network) }, total: try await store.count(filter, in: tx),
                limit: query.paging.limit, offset: query.paging.offset)
        }
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("post_id", or: .socialPostNotFound)
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            guard let removing = try await store.softDelete(id, tenantID: tenantID, in: tx) else { throw APIError.socialPostNotFound }
            for network in removing {
                _ = try await SocialJobs.enqueue(SocialJobs.deleteType, post: id, platform: network, at: nil, attempts: attempts, tenantID: tenantID, in: tx)
            }
            try await AuditLog.append(
                AuditEvent(
                    action: "social.post.delete", tenantID: tenantID, actorUserID: context.principal.userID, targetType: "social_post",
                    targetID: id.uuidString.lowercased(), requestID: context.requestID),
                in: tx)
        }
        return NoContent()
    }

    func crossPost(_ request: Request, _ context: AuthenticatedContext) async throws -> CrossPostResult {
        let input = try await request.decode(as: CrossPostInput.self, context: context)
        let networks = try Self.networks(input.platforms, field: "platforms")
        let tenantID = context.principal.tenantID
        let linked = try await connected(networks, scope: context.tenant)
        return try await database.withTenant(context.tenant) { tx in
            try await store.lockPost(input.postId, tenantID: tenantID, in: tx)
            guard let post = try await store.find(input.postId, tenantID: tenantID, in: tx) else { throw APIError.socialPostNotFound }
            let existing = try await store.deliveries(of: [post.id], tenantID: tenantID, in: tx)
            var problems: [String: String] = [:]
            var adapted: [String: String] = [:]
            for network in networks {
                if existing.contains(where: { $0.platform == network }) {
                    problems[network.rawValue] = "the post is already on \(network.displayName)"
                    continue
                }
                let text = SocialRules.adapt(post.content, hashtags: post.hashtags, for: network)
                var found = SocialRules.problems(text, images: post.images.count, hashtags: 0, for: network)
                if !linked.contains(network) { found.insert("\(network.displayName) is not connected (POST /api/v1/social/connect)", at: 0) }
                if found.isEmpty { adapted[network.rawValue] = text } else { problems[network.rawValue] = found.joined(separator: "; ") }
            }
            if !problems.isEmpty { throw APIError.validation(problems, message: "The post cannot go to every network named") }
            let publishAt = post.scheduledAt.flatMap { $0 > Date() ? $0 : nil }
            for (offset, network) in networks.enumerated() {
                let task = try await SocialJobs.enqueue(
                    SocialJobs.publishType, post: post.id, platform: network, at: publishAt, attempts: attempts, tenantID: tenantID, in: tx)
                try await store.insertDelivery(
                    post: post.id, platform: network, position: existing.count + offset, content: adapted[network.rawValue] ?? post.content, taskID: task,
                    tenantID: tenantID, in: tx)
            }
            try await store.refreshStatus(post.id, tenantID: tenantID, in: tx)
            guard let current = try await store.find(post.id, tenantID: tenantID, in: tx) else { throw APIError.socialPostNotFound }
            return CrossPostResult(
                success: true, postId: post.id, platforms: networks, adapted: adapted,
                post: SocialPostView(current, deliveries: try await store.deliveries(of: [post.id], tenantID: tenantID, in: tx)))
        }
    }
}

extension APIError {
    /// The `details.fields` of a validation error, as text.
    var fieldProblems: [String: String] {
        guard case .object(let fields)? = details?["fields"] else { return [:] }
        return fields.compactMapValues(\.stringValue)
    }
}
