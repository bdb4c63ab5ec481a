import Crypto
import FlowEngine
import Foundation
import PlatformSupport

/// The editors' node and edge shapes to and from the engine's graph. A graph saved through
/// one API reads back through the other: AutoMaticWorker's node `id` is GoyaVision's
/// `node_key`, its `data` GoyaVision's `config` (plus `operator_id`).
enum GraphCoding {
    /// Problems with the shapes themselves (a condition that does not parse), per field.
    struct Problems: Error {
        var fields: [String: String]
    }

    static func graph(fromGoya nodes: [GoyaNode], _ edges: [GoyaEdge]) throws(Problems) -> FlowGraph {
        var problems: [String: String] = [:]
        let flowNodes = nodes.map { node -> FlowNode in
            var config: [String: JSONValue] = [:]
            if case .object(let given)? = node.config { config = given } else if let given = node.config, given != .null { problems["nodes[\(node.nodeKey)].config"] = "must be an object" }
            if let operatorID = node.operatorId { config["operator_id"] = .string(operatorID.uuidString.lowercased()) }
            return FlowNode(key: node.nodeKey, type: node.nodeType, config: .object(config), position: node.position)
        }
        var seen = Set<String>()
        var flowEdges: [FlowEdge] = []
        for (index, edge) in edges.enumerated() {
            var id = "e-\(edge.sourceKey)-\(edge.targetKey)"
            if !seen.insert(id).inserted { id += "-\(index)" }
            do {
                // GoyaVision's editor sends {type: always} for every plain edge, and its engine
                // stops at a failed node: that is a plain (on_success) edge here.
                var condition = try FlowEdgeCondition(json: edge.condition)
                if condition == .always { condition = .onSuccess }
                flowEdges.append(FlowEdge(id: id, source: edge.sourceKey, target: edge.targetKey, condition: condition))
            } catch {
                problems["edges[\(index)].condition"] = error.message
            }
        }
        if !problems.isEmpty { throw Problems(fields: problems) }
        return FlowGraph(nodes: flowNodes, edges: flowEdges)
    }

    static func graph(fromFlow nodes: [FlowNodeView], _ edges: [FlowEdgeView]) throws(Problems) -> FlowGraph {
        var problems: [String: String] = [:]
        let flowNodes = nodes.enumerated().map { index, node -> FlowNode in
            var config: JSONValue = [:]
            if let data = node.data, data != .null {
                if case .object = data { config = data } else { problems["nodes[\(index)].data"] = "must be an object" }
            }
            return FlowNode(key: node.id, type: node.type, config: config, position: node.position)
        }
        var flowEdges: [FlowEdge] = []
        var seen = Set<String>()
        for (index, edge) in edges.enumerated() {
            var id = edge.id ?? "edge-\(index + 1)"
            if !seen.insert(id).inserted { id += "-\(index)" }
            do {
                flowEdges.append(FlowEdge(
                    id: id, source: edge.source, target: edge.target, condition: try FlowEdgeCondition(json: edge.condition),
                    label: edge.label, style: edge.type))
            } catch {
                problems["edges[\(index)].condition"] = error.message
            }
        }
        if !problems.isEmpty { throw Problems(fields: problems) }
        return FlowGraph(nodes: flowNodes, edges: flowEdges)
    }

    static func goyaNodes(_ graph: FlowGraph, workflowID: UUID) -> [GoyaNode] {
        graph.nodes.map { node in
            var config = node.config
            var operatorID: UUID?
            if case .object(var object) = config {
                operatorID = object["operator_id"]?.stringValue.flatMap(UUID.init(uuidString:))
                object["operator_id"] = nil
                config = .object(object)
            }
            return GoyaNode(
                id: stableID(workflowID, "node:" + node.key), nodeKey: node.key, nodeType: node.type, operatorId: operatorID,
                config: config, position: node.position)
        }
    }

    static func goyaEdges(_ graph: FlowGraph, workflowID: UUID) -> [GoyaEdge] {
        graph.edges.map { edge in
            GoyaEdge(id: stableID(workflowID, "edge:" + edge.id), sourceKey: edge.source, targetKey: edge.target, condition: edge.condition.json)
        }
    }

    static func flowNodes(_ graph: FlowGraph) -> [FlowNodeView] {
        graph.nodes.map { FlowNodeView(id: $0.key, type: $0.type, position: $0.position, data: $0.config) }
    }

    static func flowEdges(_ graph: FlowGraph) -> [FlowEdgeView] {
        graph.edges.map { edge in
            let condition: JSONValue
            switch edge.condition {
            case .onSuccess: condition = .null
            case .expression(let source): condition = .string(source)
            default: condition = .string(edge.condition.name)
            }
            return FlowEdgeView(id: edge.id, source: edge.source, target: edge.target, type: edge.style ?? "default", label: edge.label, condition: condition)
        }
    }

    /// A UUID that is the same every time for the same workflow and name (RFC 4122 version 5 layout).
    static func stableID(_ namespace: UUID, _ name: String) -> UUID {
        var data = Data(namespace.uuidString.lowercased().utf8)
        data.append(contentsOf: Array(name.utf8))
        var bytes = Array(Insecure.SHA1.hash(data: data).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}
