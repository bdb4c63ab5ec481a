import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// The short-video seed's inspirations: ideas generated and scored by the project type's n8n
/// inspiration workflow, reviewed, and on approval turned into a project by its transform workflow.
struct InspirationController: Sendable {
    let database: Database
    let calls: N8nCalls
    let store = InspirationStore()
    let types = ProjectTypeStore()
    let callStore = N8nCallStore()

    func register(in routes: RouteGroup) {
        let id = [RouteParameter.uuid("inspiration_id")]
        routes.post(
            "", "Create an inspiration and trigger its project type's inspiration workflow (n8n)", .permission("production:inspiration:create"),
            description: "The call to n8n is recorded with the inspiration and sent after commit (retried on failure); `last_workflow_call` shows how it went.",
            body: InspirationInput.self, use: create)
        routes.get("", "Inspirations, newest first (a bare array)", .permission("production:inspiration:list"), query: InspirationListQuery.self, use: list)
        routes.get("/{inspiration_id}", "One inspiration", .permission("production:inspiration:read"), parameters: id, use: get)
        routes.put(
            "/{inspiration_id}", "Change an inspiration (missing fields keep their value; `status` follows the status machine)",
            .permission("production:inspiration:update"), parameters: id, body: InspirationInput.self,
            responses: [.error(.conflict, "The status cannot move there")], use: update)
        routes.delete("/{inspiration_id}", "Delete an inspiration (soft)", .permission("production:inspiration:delete"), parameters: id, use: delete)
        routes.post(
            "/{inspiration_id}/approve", "Approve a reviewed inspiration and trigger the transform workflow (project creation)",
            .permission("production:inspiration:review"), parameters: id, body: ApprovalInput.self, bodyRequired: false,
            responses: [.error(.conflict, "Not pending_review")], use: approve)
        routes.post(
            "/{inspiration_id}/reject", "Reject an inspiration", .permission("production:inspiration:review"), parameters: id,
            body: RejectionInput.self, bodyRequired: false, responses: [.error(.conflict, "Already approved or rejected")], use: reject)
        routes.post(
            "/{inspiration_id}/regenerate", "Generate the inspiration again through its inspiration workflow", .permission("production:inspiration:regenerate"),
            parameters: id, body: RegenerationInput.self, bodyRequired: false,
            responses: [.error(.conflict, "Approved, or the project type has no inspiration workflow")], use: regenerate)
    }

    // MARK: Input

    static func fields(_ input: InspirationInput, creating: Bool) -> (InspirationFields, FieldProblems) {
        var check = FieldProblems()
        var fields = InspirationFields()
        fields.title = check.text(input.title, "title", 1...500, required: creating)
        if let description = input.description { fields.description = check.text(description, "description", 0...20_000) }
        if let code = input.projectTypeCode { fields.projectTypeCode = check.text(code, "project_type_code", 1...100) }
        if let source = input.source { fields.source = check.text(source, "source", 0...200) }
        check.object(input.parameters, "parameters")
        fields.parameters = input.parameters
        if creating, let status = input.status, status != .pending { check.add("status", "a new inspiration is pending") }
        fields.status = creating ? nil : input.status
        check.score(input.score)
        fields.score = input.score
        check.object(input.scoreDetails, "score_details")
        fields.scoreDetails = input.scoreDetails
        if let notes = input.reviewNotes { fields.reviewNotes = check.text(notes, "review_notes", 0...10_000) }
        return (fields, check)
    }

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredInspiration {
        guard let inspiration = try await store.find(id, tenantID: tenantID, forUpdate: true, in: tx) else { throw APIError.inspirationNotFound }
        return inspiration
    }

    func view(_ inspiration: StoredInspiration, tenantID: UUID, in tx: DatabaseTransaction) async throws -> InspirationView {
        InspirationView(inspiration, call: try await callStore.latest(inspirations: [inspiration.id], tenantID: tenantID, in: tx)[inspiration.id])
    }

    /// The live, active project type an inspiration names (422 otherwise).
    func activeType(_ code: String, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredProjectType {
        guard let type = try await types.find(code, tenantID: tenantID, in: tx), type.isActive else {
            throw APIError.validation(["project_type_code": "no active project type with this code"])
        }
        return type
    }

    /// Records the call of `purpose` for the inspiration (the type's workflow), sent after commit.
    func trigger(
        _ purpose: N8nCallPurpose, _ inspiration: StoredInspiration, registryID: UUID, type: StoredProjectType, extra: [String: JSONValue] = [:],
        ownerID: UUID?, tenantID: UUID, in tx: DatabaseTransaction
    ) async throws -> UUID {
        var body = extra
        body["inspiration"] = try .encoding(InspirationView(inspiration, call: nil))
        body["project_type"] = try .encoding(ProjectTypeView(type))
        let id = try await calls.enqueue(
            NewN8nCall(purpose: purpose, registryID: registryID, inspirationID: inspiration.id, projectID: nil, body: body),
            tenantID: tenantID, ownerID: ownerID, in: tx)
        try await store.setWorkflow(inspiration.id, purpose: purpose, registryID: registryID, tenantID: tenantID, in: tx)
        return id
    }

    // MARK: Handlers

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> InspirationView {
        let input = try await request.decode(as: InspirationInput.self, context: context)
        let (fields, check) = Self.fields(input, creating: true)
        try check.check()
        let tenantID = context.principal.tenantID
        let userID = context.principal.userID
        return try await database.withTenant(context.tenant) { tx in
            let type = try await fields.projectTypeCode.asyncMap { try await activeType($0, tenantID: tenantID, in: tx) }
            guard let title = fields.title, let inspiration = try await store.insert(fields, title: title, tenantID: tenantID, ownerID: userID, in: tx)
            else { throw APIError.internalError }
            if let type, let workflow = type.inspirationWorkflowId {
                _ = try await trigger(.inspiration, inspiration, registryID: workflow, type: type, ownerID: userID, tenantID: tenantID, in: tx)
            }
            return try await view(inspiration, tenantID: tenantID, in: tx)
        }
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> [InspirationView] {
        let query = try request.query(InspirationListQuery.self)
        let tenantID = context.principal.tenantID
        let filter = InspirationFilter(tenantID: tenantID, status: query.status, projectTypeCode: query.projectTypeCode)
        return try await database.withTenant(context.tenant) { tx in
            let items = try await store.list(filter, skip: SeedPaging.skip(query.skip), limit: SeedPaging.limit(query.limit), in: tx)
            let latest = try await callStore.latest(inspirations: items.map(\.id), tenantID: tenantID, in: tx)
            return items.map { InspirationView($0, call: latest[$0.id]) }
        }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> InspirationView {
        let id = try context.pathUUID("inspiration_id", or: .inspirationNotFound)
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            guard let inspiration = try await store.find(id, tenantID: tenantID, in: tx) else { throw APIError.inspirationNotFound }
            return try await view(inspiration, tenantID: tenantID, in: tx)
        }
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> InspirationView {
        let id = try context.pathUUID("inspiration_id", or: .inspirationNotFound)
        let input = try await request.decode(as: InspirationInput.self, context: context)
        let (fields, check) = Self.fields(input, creating: false)
        try check.check()
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let current = try await find(id, tenantID: tenantID, in: tx)
            if let status = fields.status, !current.status.allows(status) { throw APIError.inspirationTransition(from: current.status, to: status) }
            if let code = fields.projectTypeCode, code != current.projectTypeCode { _ = try await activeType(code, tenantID: tenantID, in: tx) }
            guard let updated = try await store.update(id, fields, tenantID: tenantID, in: tx) else { throw APIError.inspirationNotFound }
            return try await view(updated, tenantID: tenantID, in: tx)
        }
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> DeletedInspiration {
        let id = try context.pathUUID("inspiration_id", or: .inspirationNotFound)
        let tenantID = context.principal.tenantID
        guard try await database.withTenant(context.tenant, { tx in try await store.delete(id, tenantID: tenantID, in: tx) }) else {
            throw APIError.inspirationNotFound
        }
        return DeletedInspiration(message: "Inspiration deleted", inspirationId: id)
    }

    func approve(_ request: Request, _ context: AuthenticatedContext) async throws -> InspirationView {
        let id = try context.pathUUID("inspiration_id", or: .inspirationNotFound)
        let input = try await request.decodeIfPresent(as: ApprovalInput.self, context: context) ?? ApprovalInput()
        var check = FieldProblems()
        let notes = input.reviewNotes.flatMap { check.text($0, "review_notes", 0...10_000) }
        check.score(input.score)
        try check.check()
        let tenantID = context.principal.tenantID
        let userID = context.principal.userID
        return try await database.withTenant(context.tenant) { tx in
            let current = try await find(id, tenantID: tenantID, in: tx)
            guard current.status == .pendingReview else { throw APIError.inspirationTransition(from: current.status, to: .approved) }
            let fields = InspirationFields(status: .approved, score: input.score, reviewNotes: notes)
            guard let approved = try await store.update(id, fields, tenantID: tenantID, in: tx) else { throw APIError.inspirationNotFound }
            if let code = approved.projectTypeCode, let type = try await types.find(code, tenantID: tenantID, in: tx), let workflow = type.transformWorkflowId {
                _ = try await trigger(.transform, approved, registryID: workflow, type: type, ownerID: userID, tenantID: tenantID, in: tx)
            }
            return try await view(approved, tenantID: tenantID, in: tx)
        }
    }

    func reject(_ request: Request, _ context: AuthenticatedContext) async throws -> InspirationView {
        let id = try context.pathUUID("inspiration_id", or: .inspirationNotFound)
        let input = try await request.decodeIfPresent(as: RejectionInput.self, context: context) ?? RejectionInput()
        var check = FieldProblems()
        let notes = input.reviewNotes.flatMap { check.text($0, "review_notes", 0...10_000) }
        try check.check()
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let current = try await find(id, tenantID: tenantID, in: tx)
            guard [.pending, .generating, .pendingReview].contains(current.status) else {
                throw APIError.inspirationTransition(from: current.status, to: .rejected)
            }
            guard let rejected = try await store.update(id, InspirationFields(status: .rejected, reviewNotes: notes), tenantID: tenantID, in: tx) else {
                throw APIError.inspirationNotFound
            }
            return try await view(rejected, tenantID: tenantID, in: tx)
        }
    }

    func regenerate(_ request: Request, _ context: AuthenticatedContext) async throws -> InspirationRegeneration {
        let id = try context.pathUUID("inspiration_id", or: .inspirationNotFound)
        let input = try await request.decodeIfPresent(as: RegenerationInput.self, context: context) ?? RegenerationInput()
        var check = FieldProblems()
        check.object(input.regenerationParams, "regeneration_params")
        try check.check()
        let tenantID = context.principal.tenantID
        let userID = context.principal.userID
        let execution = try await database.withTenant(context.tenant) { tx -> UUID in
            let current = try await find(id, tenantID: tenantID, in: tx)
            guard current.status != .approved else { throw APIError.inspirationTransition(from: current.status, to: .pending) }
            guard let code = current.projectTypeCode, let type = try await types.find(code, tenantID: tenantID, in: tx), let workflow = type.inspirationWorkflowId else {
                throw APIError.noWorkflow("inspiration", type: current.projectTypeCode)
            }
            guard let pending = try await store.update(id, InspirationFields(status: .pending), tenantID: tenantID, in: tx) else {
                throw APIError.inspirationNotFound
            }
            return try await trigger(
                .inspiration, pending, registryID: workflow, type: type, extra: ["regeneration_params": input.regenerationParams ?? [:]],
                ownerID: userID, tenantID: tenantID, in: tx)
        }
        return InspirationRegeneration(message: "Inspiration regeneration queued", inspirationId: id, executionId: execution)
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
