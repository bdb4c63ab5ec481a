import Foundation
import PlatformDatabase
import PlatformSupport
import TaskEngine

/// Records calls to n8n in the caller's transaction: the call (`n8n_calls`) and the task that
/// sends it after commit (`production.n8n_call`, on the task engine: the outbox). If the process
/// dies between the commit and the send, a worker picks the task up; a failed attempt is retried
/// with the engine's backoff.
struct N8nCalls: Sendable {
    let publicBaseURL: String?
    let store = N8nCallStore()

    static let callbackPrefix = "/api/v1/webhooks/n8n"

    /// Where n8n reports back, when the platform knows its public address.
    func callbackURL(_ kind: String, _ id: String) -> String? {
        publicBaseURL.map { "\($0)\(Self.callbackPrefix)/\(kind)/\(id)" }
    }

    /// The callback URLs a call carries: the one its purpose answers on, and the others that
    /// concern the same subject (an execution also reports per task).
    func callbackURLs(_ call: NewN8nCall) -> (primary: String?, all: [String: JSONValue]) {
        var all: [String: JSONValue] = [:]
        var primary: String?
        if let inspiration = call.inspirationID?.lowercased {
            if let url = callbackURL("inspiration", inspiration) { all["inspiration"] = .string(url) }
            if let url = callbackURL("project_creation", inspiration) { all["project_creation"] = .string(url) }
            primary = call.purpose == .inspiration ? callbackURL("inspiration", inspiration) : callbackURL("project_creation", inspiration)
        }
        if let project = call.projectID?.lowercased {
            if let url = callbackURL("project_execution", project) { all["project_execution"] = .string(url) }
            if let url = callbackURL("task_update", "{task_id}") { all["task_update"] = .string(url) }
            if call.purpose == .execution { primary = callbackURL("project_execution", project) }
        }
        return (primary, all)
    }

    static func event(_ purpose: N8nCallPurpose) -> String {
        switch purpose {
        case .inspiration: "inspiration.generate"
        case .transform: "inspiration.approved"
        case .execution: "project.execute"
        }
    }

    /// Records `call` and its task; returns the call's id (the `execution_id` answered).
    @discardableResult
    func enqueue(_ call: NewN8nCall, tenantID: UUID, ownerID: UUID?, in tx: DatabaseTransaction) async throws -> UUID {
        let id = UUID.v7()
        let (primary, all) = callbackURLs(call)
        var payload = call.body
        payload["event"] = .string(Self.event(call.purpose))
        payload["execution_id"] = .string(id.uuidString)
        payload["tenant_id"] = .string(tenantID.uuidString)
        payload["workflow_id"] = .string(call.registryID.uuidString)
        payload["callback_url"] = primary.map(JSONValue.string) ?? .null
        payload["callback_urls"] = .object(all)
        try await store.supersede(call.purpose, inspirationID: call.inspirationID, projectID: call.projectID, tenantID: tenantID, in: tx)
        try await store.insert(id: id, call, payload: .object(payload), callbackURL: primary, tenantID: tenantID, in: tx)
        var task = NewTask(taskType: N8nCallHandler.taskType)
        task.kind = .internal
        task.queue = "n8n"
        task.priority = 60
        task.input = ["call_id": .string(id.lowercased)]
        task.maxAttempts = N8nCallHandler.attempts
        task.enqueue = true
        let created = try await TaskStore.insert(task, tenantID: tenantID, ownerID: ownerID, in: tx)
        try await store.setTask(id, taskID: created.id, tenantID: tenantID, in: tx)
        return id
    }
}
