import Foundation
import PlatformSupport

/// The kinds every deployment has: control flow and data shaping, all in-process.
public enum CoreNodeKinds {
    public static var all: [any FlowNodeKind] {
        [StartKind(), EndKind(), ConditionKind(), TransformKind(), SetKind(), MergeKind(), DelayKind(), LoopKind(), CodeKind()]
    }

    static func expressionProblem(_ config: JSONValue, _ key: String) -> [JSONSchema.Problem] {
        guard case .string(let source)? = config[key] else { return [] }
        do { _ = try FlowExpression.parse(source) } catch { return [JSONSchema.Problem(path: key, message: error.message)] }
        return []
    }

    static func templateProblem(_ config: JSONValue, _ key: String) -> [JSONSchema.Problem] {
        guard let template = config[key], let message = FlowTemplate.check(template) else { return [] }
        return [JSONSchema.Problem(path: key, message: message)]
    }

    static func evaluate(_ source: String, _ invocation: FlowNodeInvocation) throws -> JSONValue {
        var logs: [String] = []
        defer { for line in logs { invocation.log(line) } }
        do {
            return try FlowExpression.evaluate(source, scope: invocation.scope, logs: &logs)
        } catch {
            throw FlowNodeFailure(error.message, retryable: false)
        }
    }
}

/// Where a run begins; its output is the run's input (checked against `input_schema` if set).
struct StartKind: FlowNodeKind {
    let descriptor = FlowNodeDescriptor(
        id: "start", name: "Start", category: "core", description: "Where the run begins. Its output is the run's input.",
        inputSchema: ["type": "object", "properties": ["input_schema": ["type": "object", "description": "JSON Schema the run input must match"]]],
        outputSchema: ["description": "The run's input"],
        exampleUsage: .init(input: ["input_data": ["topic": "swift"]], output: ["topic": "swift"]),
        aliases: ["trigger"], defaultTimeoutSeconds: 10, exportable: true)

    func check(config: JSONValue) -> [JSONSchema.Problem] {
        guard let schema = config["input_schema"] else { return [] }
        return JSONSchema.problems(inSchema: schema).map { JSONSchema.Problem(path: "input_schema" + ($0.path.isEmpty ? "" : ".\($0.path)"), message: $0.message) }
    }

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        let input = invocation.scope["input"] ?? [:]
        if let schema = invocation.config["input_schema"] {
            let problems = JSONSchema(schema).validate(input)
            if !problems.isEmpty { throw FlowNodeFailure("the input does not match: \(problems.map(\.description).joined(separator: "; "))", retryable: false) }
        }
        return input
    }
}

/// Where a run ends; its output (the `output` template, else what reached it) is the run's.
struct EndKind: FlowNodeKind {
    let descriptor = FlowNodeDescriptor(
        id: "end", name: "End", category: "core", description: "Where the run ends. Its output (the `output` template, or what reached it) is the run's output.",
        inputSchema: ["type": "object", "properties": ["output": ["description": "A JSON template of the run's output"]]],
        outputSchema: ["description": "The run's output"],
        exampleUsage: .init(input: ["output": ["title": "{{nodes.fetch.output.body.title}}"]], output: ["title": "Hello"]),
        defaultTimeoutSeconds: 10, exportable: true)

    func check(config: JSONValue) -> [JSONSchema.Problem] { CoreNodeKinds.templateProblem(config, "output") }

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        if invocation.config["output"] != nil { return try invocation.render("output") }
        return invocation.scope["prev"] ?? .null
    }
}

/// A branch point: `{result}` from an expression; outgoing edges choose by `result` / `!result`
/// (or the labels `true` / `false`).
struct ConditionKind: FlowNodeKind {
    let descriptor = FlowNodeDescriptor(
        id: "condition", name: "Condition", category: "logic",
        description: "Evaluates an expression; edges labelled `true`/`false` (or expressions over `result`) choose the branch.",
        inputSchema: ["type": "object", "required": ["expression"], "properties": ["expression": ["type": "string", "minLength": 1]]],
        outputSchema: ["type": "object", "properties": ["result": ["type": "boolean"], "value": [:]]],
        exampleUsage: .init(input: ["expression": "prev.status_code == 200"], output: ["result": true, "value": true]),
        defaultTimeoutSeconds: 10, exportable: true)

    func check(config: JSONValue) -> [JSONSchema.Problem] { CoreNodeKinds.expressionProblem(config, "expression") }

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        let value = try CoreNodeKinds.evaluate(invocation.config["expression"]?.stringValue ?? "false", invocation)
        return ["result": .bool(FlowExpression.isTruthy(value)), "value": value]
    }
}

/// A JSON template rendered in the node's scope, optionally narrowed by a JSONPath.
struct TransformKind: FlowNodeKind {
    let descriptor = FlowNodeDescriptor(
        id: "transform", name: "Transform", category: "data",
        description: "Renders a JSON template with `{{expression}}` references; `select` (a JSONPath) picks from the result.",
        inputSchema: [
            "type": "object", "required": ["template"],
            "properties": ["template": ["description": "Any JSON; strings may hold {{expression}}"], "select": ["type": "string", "pattern": "^\\$"]],
        ],
        outputSchema: ["description": "The rendered JSON (or what `select` picked)"],
        exampleUsage: .init(
            input: ["template": ["names": "{{pluck(prev.body.items, 'name')}}"], "select": "$.names[0]"], output: "first"),
        defaultTimeoutSeconds: 10, exportable: true)

    func check(config: JSONValue) -> [JSONSchema.Problem] {
        var problems = CoreNodeKinds.templateProblem(config, "template")
        if case .string(let path)? = config["select"] {
            do { _ = try JSONPath(path) } catch { problems.append(JSONSchema.Problem(path: "select", message: error.message)) }
        }
        return problems
    }

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        let rendered = try invocation.render("template")
        guard case .string(let path)? = invocation.config["select"] else { return rendered }
        do { return try JSONPath(path).value(rendered) } catch { throw FlowNodeFailure("select: \(error.message)", retryable: false) }
    }
}

/// Named values rendered from templates (`values: {path: template}`), as the node's output.
struct SetKind: FlowNodeKind {
    let descriptor = FlowNodeDescriptor(
        id: "set", name: "Set values", category: "data",
        description: "Sets named values (dotted paths) rendered from templates; the result is the node's output.",
        inputSchema: ["type": "object", "required": ["values"], "properties": ["values": ["type": "object"]]],
        outputSchema: ["type": "object"],
        exampleUsage: .init(input: ["values": ["user.name": "{{input.name}}", "count": 3]], output: ["user": ["name": "Ada"], "count": 3]),
        defaultTimeoutSeconds: 10, exportable: true)

    func check(config: JSONValue) -> [JSONSchema.Problem] { CoreNodeKinds.templateProblem(config, "values") }

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        guard case .object(let values)? = invocation.config["values"] else { return [:] }
        var result: JSONValue = [:]
        for key in values.keys.sorted() {
            guard let template = values[key] else { continue }
            let value: JSONValue
            do { value = try FlowTemplate.render(template, scope: invocation.scope) } catch { throw FlowNodeFailure("values.\(key): \(error.message)", retryable: false) }
            result = FlowSession.setting(result, at: key.split(separator: ".").map(String.init), to: value)
        }
        return result
    }
}

/// Joins branches: their outputs keyed by source (`object`), in a list (`array`), or the first.
struct MergeKind: FlowNodeKind {
    let descriptor = FlowNodeDescriptor(
        id: "merge", name: "Merge", category: "logic",
        description: "Waits for its branches and joins their outputs: `object` (keyed by node), `array`, or `first`.",
        inputSchema: ["type": "object", "properties": ["mode": ["type": "string", "enum": ["object", "array", "first"], "default": "object"]]],
        outputSchema: ["description": "The joined outputs"],
        exampleUsage: .init(input: ["mode": "object"], output: ["a": ["x": 1], "b": ["y": 2]]),
        defaultTimeoutSeconds: 10, exportable: true)

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        var sources: [String] = []
        if case .array(let keys)? = invocation.scope["sources"] { sources = keys.compactMap(\.stringValue) }
        let outputs = sources.map { invocation.scope["nodes"]?[$0]?["output"] ?? .null }
        switch invocation.config["mode"]?.stringValue ?? "object" {
        case "array": return .array(outputs)
        case "first": return outputs.first ?? .null
        default: return .object(Dictionary(uniqueKeysWithValues: zip(sources, outputs).map { ($0, $1) }))
        }
    }
}

/// Waits. Short waits sleep in the worker; long ones put the run's task back until then.
struct DelayKind: FlowNodeKind {
    static let inProcessLimit: Double = 30

    let descriptor = FlowNodeDescriptor(
        id: "delay", name: "Delay", category: "logic",
        description: "Waits `seconds` (up to a day). Waits over 30 s release the worker and resume the run when due.",
        inputSchema: ["type": "object", "required": ["seconds"], "properties": ["seconds": ["type": "number", "minimum": 0, "maximum": 86_400]]],
        outputSchema: ["type": "object", "properties": ["waited_seconds": ["type": "number"]]],
        exampleUsage: .init(input: ["seconds": 5], output: ["waited_seconds": 5]),
        defaultTimeoutSeconds: 86_460, exportable: true)

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        let seconds = JSONSchema.number(invocation.config["seconds"] ?? 0) ?? 0
        let started = invocation.scope["started_at"]?.stringValue.flatMap(RFC3339.date) ?? Date()
        let due = started.addingTimeInterval(seconds)
        let remaining = due.timeIntervalSinceNow
        if remaining > Self.inProcessLimit { throw FlowDeferral(until: due, nodeKey: invocation.node.key) }
        if remaining > 0 { try await Task.sleep(for: .milliseconds(Int(remaining * 1000))) }
        return ["waited_seconds": .double(seconds)]
    }
}

/// Runs its body (the nodes its `loop_body` edges lead to) once per item, in order.
struct LoopKind: FlowNodeKind {
    let descriptor = FlowNodeDescriptor(
        id: "loop", name: "Loop", category: "logic",
        description: "Runs its body (reached by `loop_body` edges, leading back to the loop) once per item of `items`; `loop_done` edges continue after.",
        inputSchema: [
            "type": "object", "required": ["items"],
            "properties": ["items": ["type": "string", "minLength": 1, "description": "An expression giving the array"], "max_iterations": ["type": "integer", "minimum": 1, "maximum": 10_000, "default": 100]],
        ],
        outputSchema: ["type": "object", "properties": ["items": ["type": "array"], "count": ["type": "integer"]]],
        exampleUsage: .init(input: ["items": "input.urls", "max_iterations": 10], output: ["items": [["status_code": 200]], "count": 1]),
        defaultTimeoutSeconds: 3600, exportable: true)

    func check(config: JSONValue) -> [JSONSchema.Problem] { CoreNodeKinds.expressionProblem(config, "items") }

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        let value = try CoreNodeKinds.evaluate(invocation.config["items"]?.stringValue ?? "[]", invocation)
        guard case .array(let items) = value else { throw FlowNodeFailure("items gave \(FlowExpression.Interpreter.typeName(value)), not an array", retryable: false) }
        let limit = JSONSchema.integer(invocation.config["max_iterations"] ?? 100) ?? 100
        guard items.count <= limit else { throw FlowNodeFailure("items holds \(items.count) entries; max_iterations is \(limit)", retryable: false) }
        guard let body = invocation.loopBody else { throw FlowNodeFailure("the loop has no body", retryable: false) }
        let results = try await body(items)
        return ["items": .array(results), "count": .int(Int64(results.count))]
    }
}

/// AutoMaticWorker's action node: a program in the expression language (no I/O).
struct CodeKind: FlowNodeKind {
    let descriptor = FlowNodeDescriptor(
        id: "code", name: "Code", category: "data",
        description: "Runs a small program in the engine's expression language (let, assignments, expressions, log()); its last value is the output. No shell, no files, bounded steps.",
        inputSchema: ["type": "object", "required": ["code"], "properties": ["code": ["type": "string", "minLength": 1, "maxLength": 65_536]]],
        outputSchema: ["description": "The program's last value"],
        exampleUsage: .init(input: ["code": "let total = sum(pluck(prev.items, 'price'))\n{total: total, big: total > 100}"], output: ["total": 120, "big": true]),
        aliases: ["action"], defaultTimeoutSeconds: 10, exportable: true)

    func check(config: JSONValue) -> [JSONSchema.Problem] { CoreNodeKinds.expressionProblem(config, "code") }

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        try CoreNodeKinds.evaluate(invocation.config["code"]?.stringValue ?? "null", invocation)
    }
}
