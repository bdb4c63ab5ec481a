import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// The tenant's content items: drafting, review, approval (which publishes), revisions.
struct ContentController: Sendable {
    let database: Database
    let store = ContentStore()

    func register(in routes: RouteGroup) {
        routes.post(
            "/approve", "Approve (and so publish) or reject an item, with feedback", .permission("content:item:approve"),
            body: ContentApproval.self,
            responses: [.error(.notFound, "No such item in the tenant"), .error(.conflict, "The item is not awaiting a decision (details.current_status)")],
            use: approve)
        routes.post(
            "", "Create a content item (a draft unless `status: pending_review`)", .permission("content:item:create"),
            description: "The slug is derived from the title when absent (made unique with -2, -3, ...); a given slug that is taken answers 409.",
            body: ContentItemInput.self, responses: [.error(.conflict, "The slug is taken in this tenant")], use: create)
        routes.get("", "List content items", .permission("content:item:list"), query: ContentListQuery.self, use: list)
        routes.get("/{id}", "One content item", .permission("content:item:read"), parameters: [.uuid("id")], use: get)
        for method in [HTTPRequest.Method.post, .patch] {
            routes.on(
                method, "/{id}", "Change an item (each change is kept as a revision)", .permission("content:item:update"),
                description: "Editors move items between draft, pending_review and archived; publishing is by approval.",
                parameters: [.uuid("id")], body: ContentItemInput.self,
                responses: [.error(.conflict, "A status the item cannot move to, or a taken slug")], use: update)
        }
        routes.delete("/{id}", "Delete an item", .permission("content:item:delete"), parameters: [.uuid("id")], responses: [.noContent("Deleted")], use: delete)
        routes.get(
            "/{id}/revisions", "The item's revisions, newest first", .permission("content:item:read"), query: PagingQuery.self,
            parameters: [.uuid("id")], use: revisions)
    }

    func find(_ id: UUID, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> ContentItem {
        guard let item = try await store.find(id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.contentNotFound }
        return item
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<ContentItem> {
        let input = try await request.decode(as: ContentItemInput.self, context: context)
        let problems = input.problems(creating: true)
        if !problems.isEmpty { throw APIError.validation(problems) }
        let title = (input.title ?? "").trimmingCharacters(in: .whitespaces)
        let tenantID = context.principal.tenantID
        let item = try await database.withTenant(context.tenant) { tx -> ContentItem in
            let slug = try await input.slug.asyncOr { try await store.uniqueSlug(Slug.from(title), tenantID: tenantID, in: tx) }
            let item = try await store.insert(
                ContentStore.NewItem(
                    title: title, body: input.text ?? "", excerpt: input.excerpt, featuredImageUrl: input.featuredImageUrl,
                    seoTitle: input.seoTitle, seoDescription: input.seoDescription, seoKeywords: input.seoKeywords ?? [],
                    category: input.category, tags: input.normalizedTags ?? [], slug: slug, status: input.status ?? .draft,
                    visibility: input.visibility ?? .private, qualityScore: input.qualityScore),
                tenantID: tenantID, ownerID: context.principal.userID, in: tx)
            try await store.recordRevision(item, tenantID: tenantID, change: "created", by: context.principal.userID, in: tx)
            try await store.publish(item, "content.created", tenantID: tenantID, in: tx)
            return item
        }
        return Created(item)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<ContentItem> {
        let query = try request.query(ContentListQuery.self)
        let filter = ContentFilter(tenantID: context.principal.tenantID, status: query.status, category: query.category, search: query.search)
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.count(filter, in: tx)
            let items = try await store.list(filter, page: query.paging, in: tx)
            return Page(items: items, total: total, request: query.paging)
        }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> ContentItem {
        let id = try context.pathUUID("id", or: .contentNotFound)
        return try await database.withTenant(context.tenant) { tx in try await find(id, context, in: tx) }
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> ContentItem {
        let id = try context.pathUUID("id", or: .contentNotFound)
        let input = try await request.decode(as: ContentItemInput.self, context: context)
        let problems = input.problems(creating: false)
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let before = try await find(id, context, in: tx)
            if let status = input.status, status != before.status, ContentStatus.editable[before.status]?.contains(status) != true {
                throw APIError.invalidTransition(from: before.status, to: status)
            }
            if let slug = input.slug, slug != before.slug, try await store.slugTaken(slug, tenantID: tenantID, excluding: id, in: tx) {
                throw APIError.slugTaken(slug)
            }
            let change = ContentChange(
                title: input.title?.trimmingCharacters(in: .whitespaces), body: input.text, excerpt: input.excerpt,
                featuredImageUrl: input.featuredImageUrl, seoTitle: input.seoTitle, seoDescription: input.seoDescription,
                seoKeywords: input.seoKeywords, category: input.category, tags: input.normalizedTags, slug: input.slug,
                status: input.status, visibility: input.visibility, qualityScore: input.qualityScore)
            guard let item = try await store.update(id, tenantID: tenantID, change, in: tx) else { throw APIError.contentNotFound }
            try await store.recordRevision(item, tenantID: tenantID, change: "updated", by: context.principal.userID, in: tx)
            let type = item.status != before.status ? "content.\(item.status.rawValue)" : "content.updated"
            try await store.publish(item, type, tenantID: tenantID, in: tx)
            return item
        }
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .contentNotFound)
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            let item = try await find(id, context, in: tx)
            try await store.softDelete(id, tenantID: tenantID, in: tx)
            try await store.publish(item, "content.deleted", tenantID: tenantID, in: tx)
        }
        return NoContent()
    }

    func approve(_ request: Request, _ context: AuthenticatedContext) async throws -> ContentItem {
        let body = try await request.decode(as: ContentApproval.self, context: context)
        if let feedback = body.feedback, feedback.count > 5000 { throw APIError.validation(["feedback": "must be at most 5000 characters"]) }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            guard let before = try await store.find(body.contentId, tenantID: tenantID, in: tx) else { throw APIError.contentNotFound }
            guard [.draft, .pendingReview, .approved, .rejected].contains(before.status) || (!body.approved && before.status == .published) else {
                throw APIError.notAwaitingDecision(before.status)
            }
            guard let item = try await store.decide(body.contentId, tenantID: tenantID, approved: body.approved, feedback: body.feedback, in: tx) else {
                throw APIError.contentNotFound
            }
            try await store.recordRevision(item, tenantID: tenantID, change: body.approved ? "approved" : "rejected", by: context.principal.userID, in: tx)
            let extra: [String: JSONValue] = ["decided_by": .string(context.principal.userID.uuidString.lowercased()), "feedback": body.feedback.map { .string($0) } ?? .null]
            if body.approved {
                try await store.publish(item, "content.approved", tenantID: tenantID, extra: extra, in: tx)
                try await store.publish(item, "content.published", tenantID: tenantID, extra: extra, in: tx)
            } else {
                try await store.publish(item, "content.rejected", tenantID: tenantID, extra: extra, in: tx)
            }
            return item
        }
    }

    func revisions(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<ContentRevision> {
        let id = try context.pathUUID("id", or: .contentNotFound)
        let page = try request.query(PagingQuery.self).paging
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let item = try await find(id, context, in: tx)
            let items = try await store.revisions(of: id, tenantID: tenantID, page: page, in: tx)
            return Page(items: items, total: item.revision, request: page)
        }
    }
}

extension Optional where Wrapped: Sendable {
    /// The value, or what `make` produces when there is none.
    func asyncOr(_ make: () async throws -> Wrapped) async rethrows -> Wrapped {
        if let self { return self }
        return try await make()
    }
}
