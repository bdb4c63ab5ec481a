import FlowEngine
import Foundation
import PlatformDatabase
import PlatformSupport
import TaskEngine

/// What both editing APIs do to a workflow: check it whole, write it, keep revisions, plan its
/// schedule, and start runs.
struct WorkflowService: Sendable {
    let registry: FlowNodeRegistry
    let store = WorkflowStore()
    let runs = RunStore()

    /// Every problem with the fields and the graph, as one 422 (nil when all is well).
    func problems(_ fields: WorkflowFields, creating: Bool, graph: FlowGraph, requireNodes: Bool = false) -> APIError? {
        var problems: [String: String] = [:]
        if creating {
            if fields.code == nil { problems["code"] = "is required" }
            if fields.name == nil { problems["name"] = "is required" }
        }
        if let code = fields.code, code.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9_.-]{0,63}/) == nil {
            problems["code"] = "must be 1-64 letters, digits or _ . - (starting with a letter or digit)"
        }
        if let name = fields.name, name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 200 { problems["name"] = "must be 1-200 characters" }
        if let description = fields.description, description.count > 10_000 { problems["description"] = "must be at most 10000 characters" }
        if let version = fields.version, version.isEmpty || version.count > 50 { problems["version"] = "must be 1-50 characters" }
        if let tags = fields.tags, tags.count > 50 || tags.contains(where: { $0.isEmpty || $0.count > 60 }) { problems["tags"] = "at most 50 tags of 1-60 characters" }
        if let roles = fields.visibleRoleIds, roles.count > 100 { problems["visible_role_ids"] = "at most 100 roles" }
        if let spec = fields.contextSpec, case .object = spec {} else if fields.contextSpec != nil { problems["context_spec"] = "must be an object" }
        for (key, message) in Self.triggerProblems(fields.triggerType ?? .manual, fields.triggerConf ?? [:]) { problems[key] = message }
        let graphProblems = FlowValidator.problems(graph, registry: registry, requireNodes: requireNodes)
        if problems.isEmpty && graphProblems.isEmpty { return nil }
        return .invalidGraph(graphProblems, extra: problems)
    }

    /// The registered graph checks that read the tenant's data (operator connections).
    func checkWithTenantData(_ graph: FlowGraph, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        let problems = try await registry.tenantProblems(graph, tenantID: tenantID, in: tx)
        if !problems.isEmpty { throw APIError.invalidGraph(problems) }
    }

    static func triggerProblems(_ type: TriggerType, _ conf: JSONValue) -> [String: String] {
        guard case .object(let object) = conf else { return ["trigger_conf": "must be an object"] }
        switch type {
        case .manual:
            return [:]
        case .schedule:
            let cron = object["schedule"]?.stringValue ?? object["cron"]?.stringValue
            let interval = object["interval_sec"].flatMap(JSONSchema.integer)
            if cron == nil && interval == nil { return ["trigger_conf": "a schedule needs `schedule` (a cron expression) or `interval_sec`"] }
            if cron != nil && interval != nil { return ["trigger_conf": "give `schedule` or `interval_sec`, not both"] }
            if let cron {
                do { _ = try CronExpression(cron) } catch { return ["trigger_conf.schedule": error.description] }
            }
            if let interval, interval < 60 { return ["trigger_conf.interval_sec": "must be at least 60"] }
            if object["interval_sec"] != nil && interval == nil { return ["trigger_conf.interval_sec": "must be an integer"] }
            if let zone = object["timezone"]?.stringValue, TimeZone(identifier: zone) == nil { return ["trigger_conf.timezone": "is not an IANA time zone"] }
            return [:]
        case .event:
            guard let event = object["event_type"]?.stringValue, !event.isEmpty, event.count <= 100 else {
                return ["trigger_conf.event_type": "is required (an event type, or a prefix ending in .)"]
            }
            if let filter = object["event_filter"], case .object = filter {} else if object["event_filter"] != nil { return ["trigger_conf.event_filter": "must be an object"] }
            return [:]
        case .assetNew, .assetDone:
            if let filter = object["event_filter"], case .object = filter {} else if object["event_filter"] != nil { return ["trigger_conf.event_filter": "must be an object"] }
            return [:]
        }
    }

    /// When a scheduled workflow fires next after `date` (nil: it is not scheduled).
    static func nextFire(_ workflow: StoredWorkflow, after date: Date = Date()) -> Date? {
        guard workflow.status == .enabled, workflow.triggerType == .schedule, case .object(let conf) = workflow.triggerConf else { return nil }
        if let cron = conf["schedule"]?.stringValue ?? conf["cron"]?.stringValue, let expression = try? CronExpression(cron) {
            let zone = conf["timezone"]?.stringValue.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC") ?? .current
            return expression.next(after: date, in: zone)
        }
        if let interval = conf["interval_sec"].flatMap(JSONSchema.integer), interval >= 60 {
            return date.addingTimeInterval(TimeInterval(interval))
        }
        return nil
    }

    func create(_ fields: WorkflowFields, origin: String, scope: TenantScope, ownerID: UUID, in tx: DatabaseTransaction) async throws -> StoredWorkflow {
        let graph = fields.graph ?? FlowGraph()
        if let error = problems(fields, creating: true, graph: graph, requireNodes: fields.status == .enabled) { throw error }
        try await checkWithTenantData(graph, tenantID: scope.tenantID, in: tx)
        if let code = fields.code, try await store.codeTaken(code, tenantID: scope.tenantID, in: tx) { throw APIError.codeTaken }
        var fields = fields
        if fields.visibility == .role && (fields.visibleRoleIds ?? []).isEmpty { fields.visibleRoleIds = scope.roleIDs }
        let workflow = try await store.insert(id: UUID.v7(), fields, origin: origin, tenantID: scope.tenantID, ownerID: ownerID, in: tx)
        _ = try await store.addRevision(workflow.definition, workflowID: workflow.id, tenantID: scope.tenantID, activate: true, by: ownerID, in: tx)
        try await store.schedule(workflow.id, tenantID: scope.tenantID, next: Self.nextFire(workflow), in: tx)
        try await publish("workflow.created", workflow, tenantID: scope.tenantID, in: tx)
        guard let saved = try await store.find(workflow.id, tenantID: scope.tenantID, in: tx) else { throw APIError.internalError }
        return saved
    }

    /// Applies `fields`; a change of definition becomes a new active revision.
    func update(_ current: StoredWorkflow, _ fields: WorkflowFields, scope: TenantScope, by userID: UUID, in tx: DatabaseTransaction) async throws -> StoredWorkflow {
        let graph = fields.graph ?? current.graph
        var merged = fields
        merged.triggerType = fields.triggerType ?? current.triggerType
        merged.triggerConf = fields.triggerConf ?? (fields.triggerType != nil && fields.triggerType != current.triggerType ? [:] : current.triggerConf)
        let becomesEnabled = (fields.status ?? current.status) == .enabled
        if let error = problems(merged, creating: false, graph: graph, requireNodes: becomesEnabled) { throw error }
        if fields.graph != nil { try await checkWithTenantData(graph, tenantID: scope.tenantID, in: tx) }
        var write = merged
        if write.visibility == .role && (write.visibleRoleIds ?? current.visibleRoleIds).isEmpty { write.visibleRoleIds = scope.roleIDs }
        guard let updated = try await store.update(current.id, tenantID: scope.tenantID, write, in: tx) else { throw APIError.workflowNotFound }
        if updated.definition != current.definition || current.currentRevisionId == nil {
            _ = try await store.addRevision(updated.definition, workflowID: updated.id, tenantID: scope.tenantID, activate: true, by: userID, in: tx)
        }
        try await store.schedule(updated.id, tenantID: scope.tenantID, next: Self.nextFire(updated), in: tx)
        try await publish("workflow.updated", updated, tenantID: scope.tenantID, in: tx)
        guard let saved = try await store.find(updated.id, tenantID: scope.tenantID, in: tx) else { throw APIError.internalError }
        return saved
    }

    func setStatus(_ current: StoredWorkflow, _ status: WorkflowStatus, scope: TenantScope, by userID: UUID, in tx: DatabaseTransaction) async throws -> StoredWorkflow {
        if status == .enabled {
            if current.graph.nodes.isEmpty { throw APIError.workflowEmpty }
            if let error = problems(WorkflowFields(triggerType: current.triggerType, triggerConf: current.triggerConf), creating: false, graph: current.graph, requireNodes: true) {
                throw error
            }
        }
        return try await update(current, WorkflowFields(status: status), scope: scope, by: userID, in: tx)
    }

    /// Starts a run of the workflow's active revision.
    func startRun(
        _ workflow: StoredWorkflow, input: JSONValue, trigger: String, triggerKey: String? = nil, assetID: UUID? = nil,
        tenantID: UUID, ownerID: UUID?, depth: Int = 0, in tx: DatabaseTransaction
    ) async throws -> TaskRecord? {
        guard let revisionID = workflow.currentRevisionId, let revision = try await store.revision(id: revisionID, tenantID: tenantID, in: tx) else {
            throw APIError.workflowEmpty
        }
        let graph = revision.definition.graph
        if graph.nodes.isEmpty { throw APIError.workflowEmpty }
        let problems = FlowValidator.problems(graph, registry: registry, requireNodes: true)
        if !problems.isEmpty { throw APIError.invalidGraph(problems) }
        guard case .object = input else { throw APIError.validation(["input": "must be an object"]) }
        if let start = graph.nodes.first(where: { registry.canonicalID($0.type) == "start" }), let schema = start.config["input_schema"] {
            let inputProblems = JSONSchema(schema).validate(input)
            if !inputProblems.isEmpty {
                throw APIError.validation(Dictionary(inputProblems.map { ("input" + ($0.path.isEmpty ? "" : ".\($0.path)"), $0.message) }, uniquingKeysWith: { a, _ in a }))
            }
        }
        return try await runs.start(
            RunStore.NewRun(workflow: workflow, revision: revision, trigger: trigger, triggerKey: triggerKey, assetID: assetID, input: input, ownerID: ownerID, depth: depth),
            tenantID: tenantID, in: tx)
    }

    func publish(_ type: String, _ workflow: StoredWorkflow, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await EventBus.publish(
            PlatformEvent(
                type: type, tenantId: tenantID, subjectId: workflow.id,
                data: [
                    "workflow_id": .string(workflow.id.uuidString.lowercased()), "code": .string(workflow.code), "name": .string(workflow.name),
                    "status": .string(workflow.status.rawValue), "revision": workflow.currentRevision.map { .int(Int64($0)) } ?? .null,
                ]),
            in: tx)
    }
}
