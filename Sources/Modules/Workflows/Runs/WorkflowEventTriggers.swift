import FlowEngine
import Foundation
import Logging
import PlatformDatabase
import PlatformSupport

/// Starts the workflows that events trigger (`trigger_type` `event`, and GoyaVision's
/// `asset_new` / `asset_done` on `asset.created` / `asset.ready`). An event outbox consumer: it
/// runs in the transaction that marks the batch dispatched, and a run is unique per workflow
/// and event, so each event starts each matching workflow once.
struct WorkflowEventTriggers: EventConsumer {
    /// The platform's own run and task events never trigger workflows (a run would trigger itself).
    static let ignoredPrefixes = ["task.", "workflow.", "flow.", "internal.", "command.", "auth.", "webhook."]
    static let assetEvents: [TriggerType: String] = [.assetNew: "asset.created", .assetDone: "asset.ready"]

    let service: WorkflowService
    let logger: Logger

    func consume(_ events: [LoggedEvent], in tx: DatabaseTransaction) async throws {
        let candidates = events.filter { event in !Self.ignoredPrefixes.contains { event.type.hasPrefix($0) } }
        for (tenantID, tenantEvents) in Dictionary(grouping: candidates, by: \.tenantId) {
            let workflows = try await service.store.eventTriggered(
                tenantID: tenantID, triggerTypes: [TriggerType.event, .assetNew, .assetDone].map(\.rawValue), in: tx)
            guard !workflows.isEmpty else { continue }
            for event in tenantEvents {
                for workflow in workflows where Self.matches(workflow, event) {
                    try await start(workflow, for: event, in: tx)
                }
            }
        }
    }

    func start(_ workflow: StoredWorkflow, for event: LoggedEvent, in tx: DatabaseTransaction) async throws {
        // Events a run emits carry its depth, so workflows triggering each other stop.
        let depth = (event.data["run_depth"].flatMap(JSONSchema.integer) ?? -1) + 1
        guard depth < SubflowNodeKind.maximumDepth else {
            logger.warning("an event chain of workflows is too deep", metadata: ["workflow_id": "\(workflow.id)", "event_id": "\(event.id)"])
            return
        }
        var input: [String: JSONValue] = [
            "event": ["id": .string(event.id.uuidString.lowercased()), "type": .string(event.type), "data": event.data,
                      "occurred_at": .string(RFC3339.string(from: event.occurredAt))],
        ]
        var assetID: UUID?
        if Self.assetEvents[workflow.triggerType] != nil {
            assetID = (event.data["asset_id"] ?? event.data["id"])?.stringValue.flatMap(UUID.init(uuidString:)) ?? event.subjectId
            if let assetID { input["asset_id"] = .string(assetID.uuidString.lowercased()) }
        }
        do {
            _ = try await service.startRun(
                workflow, input: .object(input), trigger: workflow.triggerType.rawValue, triggerKey: "event:" + event.id.uuidString.lowercased(),
                assetID: assetID, tenantID: event.tenantId, ownerID: workflow.ownerId, depth: depth, in: tx)
        } catch let error as APIError {
            // A definition that cannot run (or refuses this input) is reported and skipped.
            logger.warning("an event-triggered workflow could not start", metadata: ["workflow_id": "\(workflow.id)", "reason": "\(error.message)"])
        }
    }

    /// Whether `event` triggers `workflow`: its type (exact, `prefix.` or `prefix.*`), then every
    /// `event_filter` entry equal to the value at that (dotted) path of the event's data.
    static func matches(_ workflow: StoredWorkflow, _ event: LoggedEvent) -> Bool {
        let conf = workflow.triggerConf
        if let assetType = assetEvents[workflow.triggerType] {
            guard event.type == assetType else { return false }
        } else {
            guard workflow.triggerType == .event, let pattern = conf["event_type"]?.stringValue else { return false }
            let matched = pattern == event.type || (pattern.hasSuffix(".") && event.type.hasPrefix(pattern))
                || (pattern.hasSuffix(".*") && event.type.hasPrefix(String(pattern.dropLast())))
            guard matched else { return false }
        }
        guard case .object(let filter)? = conf["event_filter"] else { return true }
        return filter.allSatisfy { path, expected in value(at: path, in: event.data) == expected }
    }

    static func value(at path: String, in data: JSONValue) -> JSONValue? {
        var current: JSONValue? = data
        for part in path.split(separator: ".") { current = current?[String(part)] }
        return current
    }
}
