import Foundation
import Logging
import PlatformDatabase
import PlatformServices
import PlatformSupport
import TaskEngine

/// `production.n8n_call`: sends one recorded call to n8n through the workflow registry, and
/// records the outcome on the call (which the inspiration or project shows). A failed attempt
/// that may succeed later (n8n unreachable, 5xx, 429) is retried by the engine with its backoff,
/// up to `attempts`; one that cannot (no such entry, deactivated, refused URL, 4xx) fails at once.
struct N8nCallHandler: TaskHandler {
    static let taskType = "production.n8n_call"
    static let attempts = 8

    let database: Database
    let registry: any WorkflowRegistryAccess
    let store = N8nCallStore()
    let inspirations = InspirationStore()
    let logger = Logger(label: "platform.production")

    func run(_ job: TaskJob) async throws -> JSONValue? {
        guard let text = job.task.taskInput["call_id"]?.stringValue, let id = UUID(uuidString: text) else {
            throw TaskFailure("task_input.call_id is missing", retryable: false)
        }
        let tenantID = job.task.tenantId
        let scope = job.tenantScope
        guard let call = try await database.withTenant(scope, { tx in try await store.find(id, tenantID: tenantID, in: tx) }) else {
            throw TaskFailure("call \(text) does not exist", retryable: false)
        }
        guard call.status == .queued || call.status == .retrying else { return ["skipped": .string("the call is \(call.status.rawValue)")] }
        let attempt = job.task.attempts
        do {
            let answer = try await registry.trigger(call.registryId, scope: scope, payload: call.payload, callbackURL: call.callbackUrl)
            try await database.withTenant(scope) { tx in
                try await store.markSent(
                    id, attempts: attempt, statusCode: answer.statusCode, body: answer.body, n8nExecutionID: Self.executionID(in: answer.body),
                    tenantID: tenantID, in: tx)
                if call.purpose == .inspiration, let inspiration = call.inspirationId {
                    try await inspirations.markGenerating(inspiration, tenantID: tenantID, in: tx)
                }
            }
            return ["call_id": .string(text), "status_code": .int(Int64(answer.statusCode))]
        } catch let failure as WorkflowTriggerFailure {
            let final = !failure.retryable || attempt >= job.task.maxAttempts
            try await database.withTenant(scope) { tx in
                try await store.markFailed(id, attempts: attempt, error: failure.message, statusCode: failure.statusCode, final: final, tenantID: tenantID, in: tx)
            }
            logger.warning("n8n call failed", metadata: ["call_id": "\(text)", "attempt": "\(attempt)", "final": "\(final)", "reason": "\(failure.message)"])
            throw TaskFailure(failure.message, retryable: failure.retryable)
        }
    }

    /// n8n's execution id, when its answer names one (`executionId` or `execution_id`).
    static func executionID(in body: JSONValue) -> String? {
        for key in ["executionId", "execution_id"] {
            switch body[key] {
            case .string(let text)? where !text.isEmpty: return String(text.prefix(200))
            case .int(let number)?: return String(number)
            default: continue
            }
        }
        return nil
    }
}
