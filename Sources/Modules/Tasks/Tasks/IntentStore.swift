import Foundation
import PlatformDatabase
import PlatformSupport

/// Proposed plans (`task_intents`) and their decisions.
struct IntentStore: Sendable {
    struct StoredIntent: Decodable {
        var id: UUID
        var status: String
        var plan: [IntentController.PlanStep]
        var taskId: UUID?
    }

    func insert(
        id: UUID, tenantID: UUID, ownerID: UUID, taskID: UUID?, intent: String, parameters: JSONValue, plan: [IntentController.PlanStep],
        in tx: DatabaseTransaction
    ) async throws {
        let planText = String(decoding: try PlatformJSON.makeEncoder().encode(plan), as: UTF8.self)
        try await tx.run(
            """
            INSERT INTO task_intents (tenant_id, id, owner_id, task_id, intent, parameters, plan)
            VALUES (\(tenantID), \(id), \(ownerID), \(taskID), \(intent), \(try PlatformJSON.text(parameters))::jsonb, \(planText)::jsonb)
            """)
    }

    /// The intent named by id, or the latest one proposed for `taskID`; locked for the decision.
    func latest(intentID: UUID?, taskID: UUID?, tenantID: UUID, userID: UUID, tenantWide: Bool, in tx: DatabaseTransaction) async throws -> StoredIntent? {
        try await tx.row(
            """
            SELECT id, status, plan, task_id FROM task_intents
            WHERE tenant_id = \(tenantID) AND (owner_id = \(userID) OR \(tenantWide))
              AND ((\(intentID)::uuid IS NOT NULL AND id = \(intentID)) OR (\(intentID)::uuid IS NULL AND task_id = \(taskID)))
            ORDER BY id DESC LIMIT 1 FOR UPDATE
            """, decoding: StoredIntent.self)
    }

    func decide(_ id: UUID, tenantID: UUID, status: String, taskIDs: [UUID], in tx: DatabaseTransaction) async throws {
        try await tx.run(
            "UPDATE task_intents SET status = \(status), decided_at = now(), task_ids = \(taskIDs) WHERE tenant_id = \(tenantID) AND id = \(id)")
    }
}
