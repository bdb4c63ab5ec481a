import Foundation
import PlatformSupport

/// A workflow as the engine sees it: nodes joined by conditional edges. The APIs that edit
/// graphs (AutoMaticWorker's flows, GoyaVision's workflows) map their shapes onto this one.
public struct FlowGraph: Codable, Sendable, Equatable {
    public var nodes: [FlowNode]
    public var edges: [FlowEdge]

    public init(nodes: [FlowNode] = [], edges: [FlowEdge] = []) {
        self.nodes = nodes
        self.edges = edges
    }

    public func node(_ key: String) -> FlowNode? { nodes.first { $0.key == key } }
}

public struct FlowNode: Codable, Sendable, Equatable {
    public var key: String
    /// The node kind's id or one of its aliases, as the editor sent it.
    public var type: String
    /// The kind's settings plus the common ones (`retry_count`, `timeout_seconds`, `params`,
    /// `input_mapping`, `output_mapping`, `label`, `description`).
    public var config: JSONValue
    public var position: FlowPosition?

    public init(key: String, type: String, config: JSONValue = [:], position: FlowPosition? = nil) {
        self.key = key
        self.type = type
        self.config = config
        self.position = position
    }

    /// Config keys every kind accepts; removed before the kind's own schema is applied.
    public static let commonConfigKeys: Set<String> = [
        "retry_count", "timeout_seconds", "params", "input_mapping", "output_mapping", "label", "description", "operator_id",
    ]

    /// The kind's own settings (the common keys taken out).
    public var kindConfig: JSONValue {
        guard case .object(var object) = config else { return config }
        for key in Self.commonConfigKeys { object[key] = nil }
        return .object(object)
    }

    public var retryCount: Int {
        if case .int(let count)? = config["retry_count"] { return Int(max(0, min(count, 10))) }
        return 0
    }

    public var timeoutSeconds: Double? {
        switch config["timeout_seconds"] {
        case .int(let seconds)?: Double(seconds)
        case .double(let seconds)?: seconds
        default: nil
        }
    }
}

public struct FlowPosition: Codable, Sendable, Equatable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// When an edge carries control from its source to its target.
public enum FlowEdgeCondition: Sendable, Equatable, Codable {
    /// The source finished, succeeded or failed.
    case always
    case onSuccess
    /// The source failed after its retries.
    case onFailure
    /// The source succeeded and the expression (over its output) is true.
    case expression(String)
    /// From a `loop` node into its body; run once per item.
    case loopBody
    /// From a `loop` node once every item has run.
    case loopDone

    public var name: String {
        switch self {
        case .always: "always"
        case .onSuccess: "on_success"
        case .onFailure: "on_failure"
        case .expression: "expression"
        case .loopBody: "loop_body"
        case .loopDone: "loop_done"
        }
    }

    /// From the editors' forms: null, a word, an expression string, or `{type, expression}`.
    /// A plain edge (no condition) carries control after success: a failure ends the run unless
    /// an `on_failure` or `always` edge takes it.
    public init(json: JSONValue?) throws(FlowExpression.Failure) {
        switch json {
        case nil, .null?:
            self = .onSuccess
        case .string(let text)?:
            self = Self.named(text.trimmingCharacters(in: .whitespaces)) ?? .expression(text)
        case .object(let object)?:
            let type = object["type"]?.stringValue ?? (object["expression"] != nil ? "expression" : "on_success")
            if type == "expression" {
                guard let source = object["expression"]?.stringValue, !source.isEmpty else {
                    throw FlowExpression.Failure("an expression condition needs its expression")
                }
                self = .expression(source)
            } else if let named = Self.named(type) {
                self = named
            } else {
                throw FlowExpression.Failure("unknown condition type \(type)")
            }
        default:
            throw FlowExpression.Failure("a condition is a string or an object")
        }
    }

    static func named(_ text: String) -> FlowEdgeCondition? {
        switch text {
        case "", "default", "next": .onSuccess
        case "always": .always
        case "on_success", "success": .onSuccess
        case "on_failure", "failure", "error": .onFailure
        case "loop_body": .loopBody
        case "loop_done": .loopDone
        default: nil
        }
    }

    /// The stored form (GoyaVision's): `{"type": ..., "expression"?: ...}`.
    public var json: JSONValue {
        if case .expression(let source) = self { return ["type": "expression", "expression": .string(source)] }
        return ["type": .string(name)]
    }

    public init(from decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        do {
            self = try FlowEdgeCondition(json: value)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        try json.encode(to: encoder)
    }
}

public struct FlowEdge: Codable, Sendable, Equatable {
    public var id: String
    public var source: String
    public var target: String
    public var condition: FlowEdgeCondition
    /// What editors keep for display (AutoMaticWorker's `label` and edge `type`); no meaning to the engine.
    public var label: String?
    public var style: String?

    public init(id: String, source: String, target: String, condition: FlowEdgeCondition = .onSuccess, label: String? = nil, style: String? = nil) {
        self.id = id
        self.source = source
        self.target = target
        self.condition = condition
        self.label = label
        self.style = style
    }
}
