import Foundation
import PlatformSupport

/// A flow as a standalone Python 3 script: the graph as data plus `flow_runtime.py` (the same
/// expression language, templates, JSONPath and scheduling rules as the engine), so the script
/// computes what the engine computes. Standard library only, plus `requests` for HTTP nodes.
public enum PythonExport {
    public struct Unsupported: Error, Sendable {
        /// Node key → why it cannot be exported.
        public var nodes: [String: String]
    }

    /// The script, or `Unsupported` naming every node whose kind needs the platform.
    public static func script(name: String, graph: FlowGraph, registry: FlowNodeRegistry, exportedAt: Date = Date()) throws -> String {
        var unsupported: [String: String] = [:]
        var nodes: [JSONValue] = []
        for node in graph.nodes {
            let kind = registry.canonicalID(node.type) ?? node.type
            if registry.kind(node.type)?.descriptor.exportable != true {
                unsupported[node.key] = "node type \(node.type) cannot be exported: it needs the platform"
            }
            nodes.append(["key": .string(node.key), "kind": .string(kind), "config": node.config])
        }
        guard unsupported.isEmpty else { throw Unsupported(nodes: unsupported) }
        let edges: [JSONValue] = graph.edges.map { edge in
            ["id": .string(edge.id), "source": .string(edge.source), "target": .string(edge.target), "condition": edge.condition.json]
        }
        let flow = FlowExpression.json(["nodes": .array(nodes), "edges": .array(edges)])
        let title = name.replacingOccurrences(of: "\"\"\"", with: "'''").replacingOccurrences(of: "\\", with: "/")
        return """
            #!/usr/bin/env python3
            \"\"\"\(title)

            Exported from the platform on \(RFC3339.string(from: exportedAt)).
            Usage: python3 this_script.py [input.json]   (or the input JSON on stdin)
            Prints the flow's output as JSON; exits 1 when the flow fails.
            \"\"\"

            \(runtime)

            FLOW = json.loads(\(FlowExpression.quote(flow)))


            def main():
                return main_with(FLOW)


            if __name__ == "__main__":
                sys.exit(main())

            """
    }

    /// `flow_runtime.py`, shipped with the target.
    static let runtime: String = {
        guard let url = Bundle.module.url(forResource: "flow_runtime", withExtension: "py"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return "raise SystemExit('the flow runtime is missing')" }
        return text
    }()
}
