import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// `POST /tasks/intent` turns an intent into a proposed plan (task types, inputs, order)
/// without running anything; `POST /tasks/confirm-intent` creates and queues the plan.
struct IntentController: Sendable {
    let database: Database
    let store = IntentStore()

    struct PlanStep: Codable, Sendable, Equatable {
        var step: Int
        var taskType: String
        var taskName: String
        var taskInput: JSONValue
        var queue: String
        /// Steps (by number) that must complete first.
        var dependsOn: [Int]
    }

    struct IntentRequest: Codable, Sendable {
        var intent: String
        var parameters: JSONValue?
        /// A task the plan belongs to (recorded as `parent_task_id` in each step's metadata).
        var taskId: UUID?
    }

    struct Proposal: Codable, Sendable, ResponseEncodable {
        var intentId: UUID
        var intent: String
        var taskId: UUID?
        var status: String
        var parameters: JSONValue
        var plan: [PlanStep]
        var requiresConfirmation: Bool
    }

    struct ConfirmRequest: Codable, Sendable {
        var intentId: UUID?
        /// The seed's field: the task given to `/tasks/intent`; its latest proposal is meant.
        var taskId: UUID?
        var confirmed: Bool?
    }

    struct Decision: Codable, Sendable, ResponseEncodable {
        var intentId: UUID
        var status: String
        var tasks: [TaskRecord]
    }

    /// The intents the planner knows, each a function from parameters to steps.
    enum Catalog {
        static let intents = ["create_blog_post", "run_task", "wait"]

        static func plan(_ intent: String, _ parameters: [String: JSONValue]) throws -> [PlanStep] {
            func text(_ key: String, required: Bool) throws -> String? {
                switch parameters[key] {
                case .string(let value)? where !value.isEmpty && value.count <= 1000: return value
                case nil where !required: return nil
                default: throw APIError.validation(["parameters.\(key)": required ? "is required (a string of up to 1000 characters)" : "must be a string of up to 1000 characters"])
                }
            }
            switch intent {
            case "create_blog_post":
                let topic = try text("topic", required: true) ?? ""
                var brief: [String: JSONValue] = ["topic": .string(topic)]
                for key in ["primary_keyword", "target_audience", "category", "tone", "style"] {
                    if let value = try text(key, required: false) { brief[key] = .string(value) }
                }
                return [
                    PlanStep(step: 1, taskType: "content.research", taskName: "Research: \(topic)", taskInput: .object(brief), queue: "content", dependsOn: []),
                    PlanStep(step: 2, taskType: "content.draft", taskName: "Draft: \(topic)", taskInput: .object(brief), queue: "content", dependsOn: [1]),
                    PlanStep(step: 3, taskType: "content.qa", taskName: "Quality review: \(topic)", taskInput: .object(brief), queue: "content", dependsOn: [2]),
                ]
            case "run_task":
                guard let type = try text("task_type", required: true), TaskRules.isTaskType(type) else {
                    throw APIError.validation(["parameters.task_type": "must be 1-100 letters, digits or _ . : -"])
                }
                let input = parameters["task_input"] ?? [:]
                guard case .object = input else { throw APIError.validation(["parameters.task_input": "must be an object"]) }
                let queue = try text("queue", required: false) ?? "default"
                guard TaskRules.isQueueName(queue) else { throw APIError.validation(["parameters.queue": "is not a queue name"]) }
                return [PlanStep(step: 1, taskType: type, taskName: try text("task_name", required: false) ?? type, taskInput: input, queue: queue, dependsOn: [])]
            case "wait":
                let seconds: Double
                switch parameters["seconds"] {
                case .int(let value)?: seconds = Double(value)
                case .double(let value)?: seconds = value
                default: throw APIError.validation(["parameters.seconds": "is required (a number of seconds)"])
                }
                guard (0...86_400).contains(seconds) else { throw APIError.validation(["parameters.seconds": "must be from 0 to 86400"]) }
                return [PlanStep(step: 1, taskType: WaitTaskHandler.taskType, taskName: "Wait \(seconds) s", taskInput: ["seconds": .double(seconds)], queue: "default", dependsOn: [])]
            default:
                throw APIError.validation(["intent": "unknown intent; known: \(intents.joined(separator: ", "))"])
            }
        }
    }

    func register(in routes: RouteGroup) {
        routes.post(
            "/intent", "Propose a plan of tasks for an intent, without running anything", .permission("workflow:task:create"),
            description: "Known intents: \(Catalog.intents.joined(separator: ", ")).", body: IntentRequest.self,
            responses: [.error(.notFound, "No such task (task_id)")], use: propose)
        routes.post(
            "/confirm-intent", "Confirm a proposed plan (its tasks are created and queued) or reject it", .permission("workflow:task:create"),
            body: ConfirmRequest.self, responses: [.error(.notFound, "No such proposal"), .error(.conflict, "The proposal was already decided")],
            use: confirm)
    }

    func propose(_ request: Request, _ context: AuthenticatedContext) async throws -> Proposal {
        let body = try await request.decode(as: IntentRequest.self, context: context)
        let parameters = body.parameters ?? [:]
        guard case .object(let fields) = parameters else { throw APIError.validation(["parameters": "must be an object"]) }
        let plan = try Catalog.plan(body.intent, fields)
        let tenantID = context.principal.tenantID
        let id = UUID.v7()
        try await database.withTenant(context.tenant) { tx in
            if let taskID = body.taskId { _ = try await TaskController.find(taskID, context, in: tx) }
            try await store.insert(
                id: id, tenantID: tenantID, ownerID: context.principal.userID, taskID: body.taskId, intent: body.intent,
                parameters: parameters, plan: plan, in: tx)
        }
        return Proposal(intentId: id, intent: body.intent, taskId: body.taskId, status: "proposed", parameters: parameters, plan: plan, requiresConfirmation: true)
    }

    func confirm(_ request: Request, _ context: AuthenticatedContext) async throws -> Decision {
        let body = try await request.decode(as: ConfirmRequest.self, context: context)
        guard body.intentId != nil || body.taskId != nil else {
            throw APIError.validation(["intent_id": "intent_id (or the task_id given to /tasks/intent) is required"])
        }
        let tenantID = context.principal.tenantID
        let confirmed = body.confirmed ?? true
        return try await database.withTenant(context.tenant) { tx in
            guard let intent = try await store.latest(
                intentID: body.intentId, taskID: body.taskId, tenantID: tenantID, userID: context.principal.userID,
                tenantWide: context.principal.dataScope == .all, in: tx)
            else { throw APIError.notFound("Intent", code: "INTENT_NOT_FOUND") }
            guard intent.status == "proposed" else {
                throw APIError(.conflict, code: "INTENT_DECIDED", message: "The proposal was already \(intent.status)", details: ["status": .string(intent.status)])
            }
            guard confirmed else {
                try await store.decide(intent.id, tenantID: tenantID, status: "rejected", taskIDs: [], in: tx)
                return Decision(intentId: intent.id, status: "rejected", tasks: [])
            }
            let plan = intent.plan
            var created: [Int: TaskRecord] = [:]
            var tasks: [TaskRecord] = []
            for step in plan.sorted(by: { $0.step < $1.step }) {
                var new = NewTask(taskType: step.taskType)
                new.taskName = step.taskName
                new.input = step.taskInput
                new.queue = step.queue
                new.enqueue = true
                new.dependencies = step.dependsOn.compactMap { created[$0]?.id }
                var metadata: [String: JSONValue] = ["intent_id": .string(intent.id.uuidString.lowercased()), "plan_step": .int(Int64(step.step))]
                if let parent = intent.taskId { metadata["parent_task_id"] = .string(parent.uuidString.lowercased()) }
                new.metadata = .object(metadata)
                let task = try await TaskStore.insert(new, tenantID: tenantID, ownerID: context.principal.userID, in: tx)
                created[step.step] = task
                tasks.append(task)
            }
            try await store.decide(intent.id, tenantID: tenantID, status: "confirmed", taskIDs: tasks.map(\.id), in: tx)
            return Decision(intentId: intent.id, status: "confirmed", tasks: tasks)
        }
    }
}
