import Foundation
import PlatformSupport

/// One thing wrong with a graph, located both as a field path (`nodes[2].config.url`) and by
/// the node key or edge id it concerns.
public struct FlowProblem: Sendable, Equatable {
    public var field: String
    public var nodeKey: String?
    public var edgeID: String?
    /// Where in the node or edge (`config.url`, `target`), for the per-node grouping.
    public var subfield: String
    public var message: String

    public init(field: String, nodeKey: String? = nil, edgeID: String? = nil, subfield: String, message: String) {
        self.field = field
        self.nodeKey = nodeKey
        self.edgeID = edgeID
        self.subfield = subfield
        self.message = message
    }
}

/// The checks a graph passes before it is saved and again before it runs.
public enum FlowValidator {
    public static let maximumNodes = 500
    public static let maximumEdges = 2000

    /// Every problem of `graph`; empty when it may run. `requireNodes`: an empty graph is a
    /// problem (it cannot run), though it may be saved.
    public static func problems(_ graph: FlowGraph, registry: FlowNodeRegistry, requireNodes: Bool = false) -> [FlowProblem] {
        var problems: [FlowProblem] = []
        func graphProblem(_ field: String, _ message: String) {
            problems.append(FlowProblem(field: field, subfield: field, message: message))
        }
        if graph.nodes.isEmpty {
            if requireNodes { graphProblem("nodes", "must have at least one node") }
            if !graph.edges.isEmpty { graphProblem("edges", "name nodes, and there are none") }
            return problems
        }
        if graph.nodes.count > maximumNodes { graphProblem("nodes", "at most \(maximumNodes) nodes") }
        if graph.edges.count > maximumEdges { graphProblem("edges", "at most \(maximumEdges) edges") }

        var keys: [String: Int] = [:]
        for (index, node) in graph.nodes.enumerated() {
            func problem(_ subfield: String, _ message: String) {
                problems.append(FlowProblem(field: "nodes[\(index)].\(subfield)", nodeKey: node.key.isEmpty ? nil : node.key, subfield: subfield, message: message))
            }
            if node.key.isEmpty || node.key.count > 100 { problem("key", "must be 1-100 characters") }
            if keys[node.key] != nil { problem("key", "repeats the key of nodes[\(keys[node.key] ?? 0)]") } else { keys[node.key] = index }
            guard let kind = registry.kind(node.type) else {
                problem("type", "unknown node type \"\(node.type)\"")
                continue
            }
            guard case .object = node.config else {
                problem("config", "must be an object")
                continue
            }
            problems += commonConfigProblems(node).map { FlowProblem(field: "nodes[\(index)].config.\($0.path)", nodeKey: node.key, subfield: "config.\($0.path)", message: $0.message) }
            let configProblems = JSONSchema(kind.descriptor.inputSchema).validate(node.kindConfig) + kind.check(config: node.kindConfig)
            for item in configProblems {
                let subfield = item.path.isEmpty ? "config" : "config.\(item.path)"
                problems.append(FlowProblem(field: "nodes[\(index)].\(subfield)", nodeKey: node.key, subfield: subfield, message: item.message))
            }
        }
        let starts = graph.nodes.filter { registry.canonicalID($0.type) == "start" }
        if starts.count != 1 { graphProblem("nodes", "needs exactly one start node (found \(starts.count))") }

        var seen = Set<String>()
        var edgeIDs = Set<String>()
        for (index, edge) in graph.edges.enumerated() {
            func problem(_ subfield: String, _ message: String) {
                problems.append(FlowProblem(field: "edges[\(index)].\(subfield)", edgeID: edge.id, subfield: subfield, message: message))
            }
            if !edgeIDs.insert(edge.id).inserted { problem("id", "repeats another edge's id") }
            if keys[edge.source] == nil { problem("source", "names no node") }
            if keys[edge.target] == nil { problem("target", "names no node") }
            let signature = "\(edge.source)\u{0}\(edge.target)\u{0}\(FlowExpression.json(edge.condition.json))"
            if !seen.insert(signature).inserted { problem("condition", "repeats another edge between the same nodes") }
            if edge.source == edge.target { problem("target", "an edge cannot lead back to its own node") }
            if case .expression(let source) = edge.condition {
                do { _ = try FlowExpression.parse(source) } catch { problem("condition.expression", error.message) }
            }
            if edge.condition == .loopBody || edge.condition == .loopDone,
               let node = graph.node(edge.source), registry.canonicalID(node.type) != "loop" {
                problem("condition", "\(edge.condition.name) edges leave loop nodes only")
            }
            if let target = graph.node(edge.target), registry.canonicalID(target.type) == "start" {
                problem("target", "nothing leads into the start node")
            }
        }
        guard !problems.contains(where: { $0.field.hasPrefix("edges") || $0.subfield == "key" }) else { return problems }

        let plan = FlowPlan(graph: graph, registry: registry)
        if let start = starts.first {
            let reachable = plan.reachable(from: start.key)
            for (index, node) in graph.nodes.enumerated() where !reachable.contains(node.key) {
                problems.append(FlowProblem(field: "nodes[\(index)]", nodeKey: node.key, subfield: "key", message: "cannot be reached from the start node"))
            }
        }
        if let cycle = plan.cycle() {
            graphProblem("edges", "form a cycle (\(cycle.joined(separator: " -> "))); only a loop node's body may lead back to it")
        }
        return problems
    }

    static func commonConfigProblems(_ node: FlowNode) -> [JSONSchema.Problem] {
        JSONSchema(commonSchema).validate(node.config).filter { item in
            FlowNode.commonConfigKeys.contains(where: { item.path == $0 || item.path.hasPrefix($0 + ".") || item.path.hasPrefix($0 + "[") })
        }
    }

    static let commonSchema: JSONValue = [
        "type": "object",
        "properties": [
            "retry_count": ["type": "integer", "minimum": 0, "maximum": 10],
            "timeout_seconds": ["type": "number", "exclusiveMinimum": 0, "maximum": 86_400],
            "params": ["type": "object"],
            "input_mapping": ["type": "object", "additionalProperties": ["type": "string"]],
            "output_mapping": ["type": "object", "additionalProperties": ["type": "string"]],
            "label": ["type": "string", "maxLength": 500],
            "description": ["type": "string", "maxLength": 5000],
        ],
    ]

    /// Problems as the 422's details: `fields` (platform rule) plus the same grouped by node key
    /// and edge id (AutoMaticWorker's `{"nodes": ...}` style).
    public static func details(_ problems: [FlowProblem]) -> (fields: [String: String], nodes: [String: JSONValue], edges: [String: JSONValue]) {
        var fields: [String: String] = [:]
        var nodes: [String: [String: JSONValue]] = [:]
        var edges: [String: [String: JSONValue]] = [:]
        for problem in problems {
            if fields[problem.field] == nil { fields[problem.field] = problem.message }
            if let key = problem.nodeKey { nodes[key, default: [:]][problem.subfield] = .string(problem.message) }
            if let id = problem.edgeID { edges[id, default: [:]][problem.subfield] = .string(problem.message) }
        }
        return (fields, nodes.mapValues { .object($0) }, edges.mapValues { .object($0) })
    }
}

/// The graph's shape, worked out once: edges by node, loop bodies.
struct FlowPlan: Sendable {
    let graph: FlowGraph
    let kinds: [String: String]
    let incoming: [String: [FlowEdge]]
    let outgoing: [String: [FlowEdge]]
    /// For each loop node, the nodes of its body.
    let loopBodies: [String: Set<String>]
    /// Edges from a loop's body back to the loop node.
    let backEdges: Set<String>

    init(graph: FlowGraph, registry: FlowNodeRegistry) {
        self.graph = graph
        var kinds: [String: String] = [:]
        for node in graph.nodes { kinds[node.key] = registry.canonicalID(node.type) ?? node.type }
        self.kinds = kinds
        var incoming: [String: [FlowEdge]] = [:]
        var outgoing: [String: [FlowEdge]] = [:]
        for edge in graph.edges {
            incoming[edge.target, default: []].append(edge)
            outgoing[edge.source, default: []].append(edge)
        }
        self.incoming = incoming
        self.outgoing = outgoing
        var bodies: [String: Set<String>] = [:]
        var back = Set<String>()
        for node in graph.nodes where kinds[node.key] == "loop" {
            var body = Set<String>()
            var frontier = (outgoing[node.key] ?? []).filter { $0.condition == .loopBody }.map(\.target)
            while let next = frontier.popLast() {
                guard next != node.key, body.insert(next).inserted else { continue }
                frontier += (outgoing[next] ?? []).map(\.target)
            }
            bodies[node.key] = body
            for key in body { for edge in outgoing[key] ?? [] where edge.target == node.key { back.insert(edge.id) } }
        }
        self.loopBodies = bodies
        self.backEdges = back
    }

    func reachable(from start: String) -> Set<String> {
        var seen: Set<String> = [start]
        var frontier = [start]
        while let key = frontier.popLast() {
            for edge in outgoing[key] ?? [] where seen.insert(edge.target).inserted { frontier.append(edge.target) }
        }
        return seen
    }

    /// A cycle that does not go through a loop's back edge, as node keys, or nil.
    func cycle() -> [String]? {
        var state: [String: Int] = [:]
        var stack: [String] = []
        func visit(_ key: String) -> [String]? {
            state[key] = 1
            stack.append(key)
            for edge in outgoing[key] ?? [] where !backEdges.contains(edge.id) {
                if state[edge.target] == 1 {
                    let start = stack.firstIndex(of: edge.target) ?? 0
                    return Array(stack[start...]) + [edge.target]
                }
                if state[edge.target] == nil, let found = visit(edge.target) { return found }
            }
            stack.removeLast()
            state[key] = 2
            return nil
        }
        for node in graph.nodes where state[node.key] == nil {
            if let found = visit(node.key) { return found }
        }
        return nil
    }

    /// Nodes owned by a loop body (run by their loop, not by the top-level schedule).
    var bodyNodes: Set<String> { loopBodies.values.reduce(into: Set<String>()) { $0.formUnion($1) } }
}
