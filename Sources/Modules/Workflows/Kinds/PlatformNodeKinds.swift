import FlowEngine
import Foundation
import PlatformDatabase
import PlatformSupport
import Providers
import TaskEngine

/// Waits for a task to end: its events first, its row as the fallback (and the truth).
struct TaskWaiter: Sendable {
    let database: Database
    let bus: EventBus

    func wait(for taskID: UUID, tenantScope: TenantScope) async throws -> TaskRecord {
        let subscription = bus.subscribe(tenantID: tenantScope.tenantID, subjectID: taskID)
        defer { bus.unsubscribe(subscription.id) }
        while true {
            try Task.checkCancellation()
            let task = try await database.withTenant(tenantScope) { tx in try await TaskStore.find(taskID, tenantID: tenantScope.tenantID, in: tx) }
            guard let task else { throw FlowNodeFailure("the task \(taskID.uuidString.lowercased()) is gone", retryable: false) }
            if task.status.isTerminal { return task }
            // An event, or a look every few seconds in case one was missed.
            _ = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    for await event in subscription.events where event.type.hasSuffix(".completed") || event.type.hasSuffix(".failed") || event.type.hasSuffix(".cancelled") {
                        return true
                    }
                    return false
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(5))
                    return false
                }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
        }
    }
}

/// `task`: enqueues a task of a type the workers run and (by default) waits for its output.
struct TaskNodeKind: FlowNodeKind {
    let database: Database
    let waiter: TaskWaiter
    let taskTypes: [String]

    var descriptor: FlowNodeDescriptor {
        FlowNodeDescriptor(
            id: "task", name: "Task", category: "platform",
            description: "Queues a task of a type the platform's workers run, and waits for its output (unless `wait` is false).",
            inputSchema: [
                "type": "object", "required": ["task_type"],
                "properties": [
                    "task_type": ["type": "string", "enum": .array(taskTypes.map { .string($0) })], "input": ["description": "The task's input (a template)"],
                    "queue": ["type": "string", "pattern": "^[a-z0-9][a-z0-9_.:-]{0,62}$"], "priority": ["type": "integer", "minimum": 0, "maximum": 100],
                    "wait": ["type": "boolean", "default": true],
                ],
            ],
            outputSchema: ["description": "The task's output, or {task_id} without waiting"],
            exampleUsage: .init(input: ["task_type": "wait", "input": ["seconds": 1]], output: ["waited_seconds": 1]),
            defaultTimeoutSeconds: 3600)
    }

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        let input = try invocation.render("input")
        guard input == .null || input.isObject else { throw FlowNodeFailure("input must render to an object", retryable: false) }
        var new = NewTask(taskType: invocation.config["task_type"]?.stringValue ?? "")
        new.taskName = "\(invocation.node.key) of run \(invocation.run.runID.uuidString.lowercased().prefix(8))"
        new.queue = invocation.config["queue"]?.stringValue ?? "default"
        new.priority = JSONSchema.integer(invocation.config["priority"] ?? 50) ?? 50
        new.input = input == .null ? [:] : input
        new.metadata = ["parent_task_id": .string(invocation.run.runID.uuidString.lowercased()), "node_key": .string(invocation.node.key)]
        new.enqueue = true
        let scope = TenantScope(tenantID: invocation.run.tenantID, userID: invocation.run.ownerID, dataScope: .all)
        let task = try await database.withTenant(scope) { tx in try await TaskStore.insert(new, tenantID: scope.tenantID, ownerID: invocation.run.ownerID, in: tx) }
        invocation.log("queued task \(task.id.uuidString.lowercased())")
        guard invocation.config["wait"] != .bool(false) else { return ["task_id": .string(task.id.uuidString.lowercased())] }
        let done = try await waiter.wait(for: task.id, tenantScope: scope)
        guard done.status == .completed else { throw FlowNodeFailure("the task \(done.status.rawValue): \(done.errorMessage ?? "no reason given")", retryable: false) }
        return done.taskOutput ?? .null
    }
}

/// `emit`: publishes an event of the tenant, which its webhooks and triggers see.
struct EmitNodeKind: FlowNodeKind {
    let database: Database
    static let reserved = ["task.", "command.", "internal.", "auth.", "role.", "user.", "tenant.", "flow.", "workflow.", "webhook."]

    var descriptor: FlowNodeDescriptor {
        FlowNodeDescriptor(
            id: "emit", name: "Emit event", category: "platform",
            description: "Publishes an event of the tenant (webhooks and workflow triggers see it). Platform prefixes such as task. are reserved.",
            inputSchema: [
                "type": "object", "required": ["event_type"],
                "properties": ["event_type": ["type": "string", "pattern": "^[a-z][a-z0-9_.-]{0,99}$"], "data": ["description": "The event's data (a template)"]],
            ],
            outputSchema: ["type": "object", "properties": ["event_id": ["type": "string", "format": "uuid"]]],
            exampleUsage: .init(input: ["event_type": "report.ready", "data": ["url": "{{prev.body.url}}"]], output: ["event_id": "0190…"]),
            defaultTimeoutSeconds: 30)
    }

    func check(config: JSONValue) -> [JSONSchema.Problem] {
        guard let type = config["event_type"]?.stringValue, Self.reserved.contains(where: { type.hasPrefix($0) }) else { return [] }
        return [JSONSchema.Problem(path: "event_type", message: "\(type) uses a prefix the platform reserves")]
    }

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        let data = try invocation.render("data")
        let event = PlatformEvent(
            type: invocation.config["event_type"]?.stringValue ?? "flow.event", tenantId: invocation.run.tenantID, subjectId: invocation.run.runID,
            data: [
                "workflow_run_id": .string(invocation.run.runID.uuidString.lowercased()), "node_key": .string(invocation.node.key), "data": data,
                "run_depth": .int(Int64(invocation.run.depth)),
            ])
        let scope = TenantScope(tenantID: invocation.run.tenantID, userID: invocation.run.ownerID, dataScope: .all)
        try await database.withTenant(scope) { tx in try await EventBus.publish(event, in: tx) }
        return ["event_id": .string(event.id.uuidString.lowercased())]
    }
}

/// `subflow`: runs another workflow of the tenant (its active revision) and waits for it.
struct SubflowNodeKind: FlowNodeKind {
    static let maximumDepth = 5
    let database: Database
    let waiter: TaskWaiter
    let service: @Sendable () -> WorkflowService

    var descriptor: FlowNodeDescriptor {
        FlowNodeDescriptor(
            id: "subflow", name: "Subflow", category: "platform",
            description: "Runs another workflow of the tenant and waits for its output (nesting up to 5 deep).",
            inputSchema: [
                "type": "object", "required": ["workflow_id"],
                "properties": ["workflow_id": ["type": "string", "format": "uuid"], "input": ["description": "The subflow's input (a template)"], "wait": ["type": "boolean", "default": true]],
            ],
            outputSchema: ["description": "The subflow's output"],
            exampleUsage: .init(input: ["workflow_id": "0190…", "input": ["topic": "{{input.topic}}"]], output: ["summary": "…"]),
            defaultTimeoutSeconds: 3600)
    }

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        guard invocation.run.depth < Self.maximumDepth else { throw FlowNodeFailure("subflows nest at most \(Self.maximumDepth) deep", retryable: false) }
        guard let id = invocation.config["workflow_id"]?.stringValue.flatMap(UUID.init(uuidString:)) else { throw FlowNodeFailure("workflow_id is not a UUID", retryable: false) }
        let input = try invocation.render("input")
        let scope = TenantScope(tenantID: invocation.run.tenantID, userID: invocation.run.ownerID, dataScope: .all)
        let service = service()
        let task = try await database.withTenant(scope) { tx -> TaskRecord? in
            guard let workflow = try await service.store.find(id, tenantID: scope.tenantID, in: tx) else { return nil }
            return try await service.startRun(
                workflow, input: input == .null ? [:] : input, trigger: "subflow", triggerKey: "\(invocation.run.runID.uuidString.lowercased()):\(invocation.node.key)",
                tenantID: scope.tenantID, ownerID: invocation.run.ownerID, depth: invocation.run.depth + 1, in: tx)
        }
        guard let task else { throw FlowNodeFailure("no workflow \(id.uuidString.lowercased()) in this tenant, or it already ran for this node", retryable: false) }
        guard invocation.config["wait"] != .bool(false) else { return ["execution_id": .string(task.id.uuidString.lowercased())] }
        let done = try await waiter.wait(for: task.id, tenantScope: scope)
        guard done.status == .completed else { throw FlowNodeFailure("the subflow \(done.status.rawValue): \(done.errorMessage ?? "")", retryable: false) }
        return done.taskOutput?["output"] ?? .null
    }
}

/// `llm`: one completion from the tenant's model provider.
struct LLMNodeKind: FlowNodeKind {
    let providers: ProviderRegistry

    var descriptor: FlowNodeDescriptor {
        FlowNodeDescriptor(
            id: "llm", name: "Language model", category: "ai",
            description: "Asks a model (Ollama, an OpenAI-compatible provider, or the offline `local` responder); `response_format: json` parses the answer.",
            inputSchema: [
                "type": "object", "required": ["prompt"],
                "properties": [
                    "model": ["type": "string", "minLength": 1], "prompt": ["type": "string", "minLength": 1], "provider": ["type": "string"],
                    "system": ["type": "string"], "temperature": ["type": "number", "minimum": 0, "maximum": 2],
                    "max_tokens": ["type": "integer", "minimum": 1, "maximum": 32_768], "response_format": ["type": "string", "enum": ["text", "json"]],
                ],
            ],
            outputSchema: ["type": "object", "properties": ["text": ["type": "string"], "json": [:], "model": ["type": "string"], "provider": ["type": "string"], "usage": ["type": "object"]]],
            exampleUsage: .init(input: ["model": "llama3.2", "prompt": "Summarise: {{prev.body}}"], output: ["text": "…", "model": "llama3.2"]),
            defaultTimeoutSeconds: 120)
    }

    func check(config: JSONValue) -> [JSONSchema.Problem] {
        ["prompt", "system"].flatMap { key -> [JSONSchema.Problem] in
            guard let template = config[key], let message = FlowTemplate.check(template) else { return [] }
            return [JSONSchema.Problem(path: key, message: message)]
        }
    }

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        let prompt = FlowExpression.text(try invocation.render("prompt"))
        let system = invocation.config["system"] == nil ? nil : FlowExpression.text(try invocation.render("system"))
        let name = invocation.config["provider"]?.stringValue ?? providers.names.first ?? "local"
        guard let provider = try await providers.provider(name, tenant: invocation.run.tenantID) else {
            throw FlowNodeFailure("no model provider \(name) is configured", retryable: false)
        }
        let model = invocation.config["model"]?.stringValue ?? "default"
        var messages: [ChatMessage] = []
        if let system { messages.append(ChatMessage(role: .system, content: system)) }
        messages.append(ChatMessage(role: .user, content: prompt))
        let answer = try await provider.complete(ChatRequest(
            model: model, messages: messages, temperature: JSONSchema.number(invocation.config["temperature"] ?? .null),
            maxTokens: invocation.config["max_tokens"].flatMap(JSONSchema.integer)))
        var output: [String: JSONValue] = ["text": .string(answer.content), "model": .string(answer.model), "provider": .string(answer.provider)]
        if let usage = answer.usage { output["usage"] = ["prompt_tokens": .int(Int64(usage.promptTokens)), "completion_tokens": .int(Int64(usage.completionTokens))] }
        if invocation.config["response_format"]?.stringValue == "json" {
            guard let parsed = try? JSONDecoder().decode(JSONValue.self, from: Data(Self.jsonPart(answer.content).utf8)) else {
                throw FlowNodeFailure("the model's answer is not JSON")
            }
            output["json"] = parsed
        }
        return .object(output)
    }

    /// The JSON in an answer that wraps it in prose or a code fence.
    static func jsonPart(_ text: String) -> String {
        guard let start = text.firstIndex(where: { $0 == "{" || $0 == "[" }), let end = text.lastIndex(where: { $0 == "}" || $0 == "]" }), start <= end else { return text }
        return String(text[start...end])
    }
}

extension JSONValue {
    var isObject: Bool { if case .object = self { true } else { false } }
}
