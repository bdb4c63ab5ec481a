import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// The four routes n8n calls back on. They are public (n8n is not a signed-in user) and
/// authenticated by the callback secret of the registry entry that was triggered for the
/// subject: in that entry's callback header, or as an HMAC-SHA256 signature of the body. A
/// wrong or missing secret is a 401 and changes nothing. Every accepted callback is recorded in
/// `n8n_callbacks`; one whose event id (`event_id`, or the `X-Event-ID` header) was applied
/// before is acknowledged with `duplicate: true` and changes nothing.
struct N8nCallbackController: Sendable {
    let database: Database
    let registry: any WorkflowRegistryAccess
    let applier: N8nCallbackApplier
    let log = N8nCallbackStore()
    let inspirations = InspirationStore()
    let projects = ProjectStore()
    let logger = Logger(label: "platform.production")

    static let eventIDHeader = HTTPField.Name("X-Event-ID")

    func register(in routes: RouteGroup) {
        let headers = [
            RouteParameter("X-Callback-Secret", in: .header, schema: ["type": "string"], description: "The registered workflow's callback secret (the header's name is the entry's callback_header_name)"),
            RouteParameter(WorkflowCallbackSignature.headerName, in: .header, schema: ["type": "string"], description: "sha256=<hex HMAC-SHA256 of the raw body, keyed with the callback secret>"),
            RouteParameter("X-Event-ID", in: .header, schema: ["type": "string", "maxLength": 200], description: "Makes a repeated callback a no-op"),
        ]
        let responses: [RouteResponse] = [
            .error(.unauthorized, "The callback secret is missing or wrong"), .error(.conflict, "The subject's status does not allow this report"),
        ]
        let description = "Called by n8n. Authenticated by the callback secret of the registry entry triggered for the subject (docs/production.md)."
        routes.post(
            "/inspiration/{inspiration_id}", "n8n delivers a generated inspiration (content and score)", .public, description: description,
            parameters: [.uuid("inspiration_id")] + headers, body: InspirationCallback.self, responses: responses, use: inspiration)
        routes.post(
            "/project_creation/{inspiration_id}", "n8n creates the project and its tasks for an approved inspiration (once)", .public,
            description: description, parameters: [.uuid("inspiration_id")] + headers, body: ProjectCreationCallback.self, responses: responses,
            use: projectCreation)
        routes.post(
            "/project_execution/{project_id}", "n8n reports a project's execution (status, output asset)", .public, description: description,
            parameters: [.uuid("project_id")] + headers, body: ProjectExecutionCallback.self, responses: responses, use: projectExecution)
        routes.post(
            "/task_update/{task_id}", "n8n reports one of a project's tasks (status, output, error)", .public, description: description,
            parameters: [.uuid("task_id")] + headers, body: TaskUpdateCallback.self, responses: responses, use: taskUpdate)
    }

    // MARK: Shared steps

    /// The raw body (for the signature) and its JSON, which must be an object.
    static func body(_ request: Request) async throws -> (bytes: [UInt8], data: Data) {
        if let type = request.headers[.contentType], !type.lowercased().contains("json") {
            throw APIError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", message: "Expected a JSON body", hint: "Send 'Content-Type: application/json'")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: PlatformRequestDecoder.maximumBodySize)
        } catch {
            throw APIError(.contentTooLarge, code: "PAYLOAD_TOO_LARGE", message: "The request body is larger than \(PlatformRequestDecoder.maximumBodySize) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        let data = Data(bytes)
        guard case .object = try PlatformRequestDecoder.decode(JSONValue.self, from: data) else {
            throw APIError.validation(["body": "must be a JSON object"])
        }
        return (bytes, data)
    }

    /// The proof the callback carries for `registryID`, or a 401 (the reason is logged).
    func authenticate(
        _ kind: CallbackKind, subject: UUID, registryID: UUID?, tenantID: UUID, request: Request, body: [UInt8], in tx: DatabaseTransaction
    ) async throws -> (registryID: UUID, proof: String) {
        let reason: String
        if let registryID {
            switch try await registry.verifyCallback(registryID, tenantID: tenantID, headers: request.headers, body: body, in: tx) {
            case .accepted(let proof): return (registryID, proof)
            case .rejected(let why): reason = why
            }
        } else {
            reason = "no registered workflow was triggered for it"
        }
        logger.warning(
            "n8n callback refused", metadata: ["kind": "\(kind.rawValue)", "subject_id": "\(subject.lowercased)", "reason": "\(reason)"])
        throw APIError.callbackRejected
    }

    /// The event id that makes a repeat a no-op: the payload's, else the header's.
    static func eventID(_ sent: String?, _ request: Request) throws -> String? {
        let value = sent ?? eventIDHeader.flatMap { request.headers[$0] }
        guard let value else { return nil }
        guard (1...200).contains(value.count) else { throw APIError.validation(["event_id": "must be 1-200 characters"]) }
        return value
    }

    /// Everything a callback's application needs once it is authenticated.
    struct Accepted: Sendable {
        var kind: CallbackKind
        var subject: UUID
        var tenantID: UUID
        var registryID: UUID
        var proof: String
        var eventID: String?
        var payload: JSONValue

        func record(_ log: N8nCallbackStore, duplicate: Bool, in tx: DatabaseTransaction) async throws -> Bool {
            if !duplicate, try await log.recordApplied(
                kind, subject: subject, eventID: eventID, registryID: registryID, proof: proof, payload: payload, tenantID: tenantID, in: tx) {
                return true
            }
            try await log.recordDuplicate(
                kind, subject: subject, eventID: eventID, registryID: registryID, proof: proof, payload: payload, tenantID: tenantID, in: tx)
            return false
        }
    }

    /// Authenticates the callback; its event id is set once the typed payload is read.
    func authenticated(
        _ kind: CallbackKind, subject: UUID, registryID: UUID?, tenantID: UUID, request: Request, body: (bytes: [UInt8], data: Data),
        in tx: DatabaseTransaction
    ) async throws -> Accepted {
        let (registryID, proof) = try await authenticate(kind, subject: subject, registryID: registryID, tenantID: tenantID, request: request, body: body.bytes, in: tx)
        let payload = try PlatformRequestDecoder.decode(JSONValue.self, from: body.data)
        return Accepted(kind: kind, subject: subject, tenantID: tenantID, registryID: registryID, proof: proof, eventID: nil, payload: payload)
    }

    static func scope(_ tenantID: UUID) -> TenantScope { TenantScope(tenantID: tenantID, dataScope: .all) }

    // MARK: Handlers

    func inspiration(_ request: Request, _ context: AppRequestContext) async throws -> CallbackReceipt {
        guard let id = context.parameters.get("inspiration_id", as: UUID.self) else { throw APIError.inspirationNotFound }
        let body = try await Self.body(request)
        guard let tenantID = try await database.withPlatformScope({ tx in try await inspirations.tenant(of: id, in: tx) }) else {
            throw APIError.inspirationNotFound
        }
        return try await database.withTenant(Self.scope(tenantID)) { tx in
            guard let current = try await inspirations.find(id, tenantID: tenantID, forUpdate: true, in: tx) else { throw APIError.inspirationNotFound }
            var accepted = try await authenticated(
                .inspiration, subject: id, registryID: current.inspirationWorkflowId, tenantID: tenantID, request: request, body: body, in: tx)
            let payload = try PlatformRequestDecoder.decode(InspirationCallback.self, from: body.data)
            accepted.eventID = try Self.eventID(payload.eventId, request)
            return try await applier.inspiration(current, payload, accepted, in: tx)
        }
    }

    func projectCreation(_ request: Request, _ context: AppRequestContext) async throws -> CallbackReceipt {
        guard let id = context.parameters.get("inspiration_id", as: UUID.self) else { throw APIError.inspirationNotFound }
        let body = try await Self.body(request)
        guard let tenantID = try await database.withPlatformScope({ tx in try await inspirations.tenant(of: id, in: tx) }) else {
            throw APIError.inspirationNotFound
        }
        return try await database.withTenant(Self.scope(tenantID)) { tx in
            guard let current = try await inspirations.find(id, tenantID: tenantID, forUpdate: true, in: tx) else { throw APIError.inspirationNotFound }
            var accepted = try await authenticated(
                .projectCreation, subject: id, registryID: current.transformWorkflowId, tenantID: tenantID, request: request, body: body, in: tx)
            let payload = try PlatformRequestDecoder.decode(ProjectCreationCallback.self, from: body.data)
            accepted.eventID = try Self.eventID(payload.eventId, request)
            return try await applier.projectCreation(current, payload, accepted, in: tx)
        }
    }

    func projectExecution(_ request: Request, _ context: AppRequestContext) async throws -> CallbackReceipt {
        guard let id = context.parameters.get("project_id", as: UUID.self) else { throw APIError.projectNotFound }
        let body = try await Self.body(request)
        guard let tenantID = try await database.withPlatformScope({ tx in try await projects.tenant(of: id, in: tx) }) else {
            throw APIError.projectNotFound
        }
        return try await database.withTenant(Self.scope(tenantID)) { tx in
            guard let current = try await projects.find(id, tenantID: tenantID, forUpdate: true, in: tx) else { throw APIError.projectNotFound }
            var accepted = try await authenticated(
                .projectExecution, subject: id, registryID: current.usedExecutionWorkflowId ?? current.usedTransformWorkflowId, tenantID: tenantID,
                request: request, body: body, in: tx)
            let payload = try PlatformRequestDecoder.decode(ProjectExecutionCallback.self, from: body.data)
            accepted.eventID = try Self.eventID(payload.eventId, request)
            return try await applier.projectExecution(current, payload, accepted, in: tx)
        }
    }

    func taskUpdate(_ request: Request, _ context: AppRequestContext) async throws -> CallbackReceipt {
        guard let id = context.parameters.get("task_id", as: UUID.self) else { throw APIError.taskNotFound }
        let body = try await Self.body(request)
        guard let found = try await database.withPlatformScope({ tx in try await log.task(id, in: tx) }), let projectID = found.projectID else {
            throw APIError.taskNotFound
        }
        let tenantID = found.tenantID
        return try await database.withTenant(Self.scope(tenantID)) { tx in
            // Only the tasks of a live project take n8n's reports.
            guard let project = try await projects.find(projectID, tenantID: tenantID, in: tx) else { throw APIError.taskNotFound }
            var accepted = try await authenticated(
                .taskUpdate, subject: id, registryID: project.usedExecutionWorkflowId ?? project.usedTransformWorkflowId, tenantID: tenantID,
                request: request, body: body, in: tx)
            let payload = try PlatformRequestDecoder.decode(TaskUpdateCallback.self, from: body.data)
            accepted.eventID = try Self.eventID(payload.eventId, request)
            return try await applier.taskUpdate(id, payload, accepted, in: tx)
        }
    }
}
