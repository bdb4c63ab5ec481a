import FlowEngine
import Foundation
import PlatformDatabase
import PlatformSupport

/// `algorithm`: resolves an algorithm's published version (or `version`), picks the
/// implementation by its selection policy (or the node's `selection_policy`) and runs it: an
/// operator version, an MCP tool, or an AI chain (a model with `config.prompt_template`).
/// GoyaVision's `algorithm_ref: {algorithm_id | algorithm_code, version, selection_policy}` is read too.
struct AlgorithmNodeKind: FlowNodeKind {
    let runtime: OperatorNodeRuntime
    let store = AlgorithmStore()

    var descriptor: FlowNodeDescriptor {
        let reference: JSONValue = [
            "type": "object",
            "properties": [
                "algorithm_id": ["type": "string", "format": "uuid"], "algorithm_code": ["type": "string", "minLength": 1, "maxLength": 100],
                "version": ["type": "string", "minLength": 1, "maxLength": 100],
                "selection_policy": ["enum": ["stable", "high_quality", "low_cost"]], "tier": ["type": "string"],
            ],
        ]
        var schema = reference
        if case .object(var object) = schema, case .object(var properties)? = object["properties"] {
            properties["algorithm_ref"] = reference
            object["properties"] = .object(properties)
            schema = .object(object)
        }
        return FlowNodeDescriptor(
            id: "algorithm", name: "Algorithm", category: "operators",
            description: "Runs an algorithm of the library: its published version's implementation chosen by the selection policy (stable, high_quality, low_cost).",
            inputSchema: schema,
            outputSchema: ["type": "object", "properties": ["implementation": ["type": "object"], "artifact_ids": ["type": "array"]]],
            exampleUsage: .init(input: ["algorithm_code": "detect_people", "selection_policy": "low_cost"], output: ["implementation": ["name": "fast"]]),
            defaultTimeoutSeconds: 1800)
    }

    func check(config: JSONValue) -> [JSONSchema.Problem] {
        let reference = config["algorithm_ref"] ?? config
        if reference["algorithm_id"] == nil && reference["algorithm_code"] == nil {
            return [JSONSchema.Problem(path: "algorithm_id", message: "algorithm_id or algorithm_code is required")]
        }
        return []
    }

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        let reference = invocation.config["algorithm_ref"] ?? invocation.config
        let tenantID = invocation.run.tenantID
        let policy = reference["selection_policy"]?.stringValue.flatMap(SelectionPolicy.init(rawValue:))
        let (algorithm, version, version_) = try await runtime.database.withTenant(OperatorNodeRuntime.scope(invocation.run)) { tx -> (StoredAlgorithm, StoredAlgorithmVersion, StoredVersion?) in
            var algorithm: StoredAlgorithm?
            if let id = reference["algorithm_id"]?.stringValue.flatMap(UUID.init(uuidString:)) {
                algorithm = try await store.find(id, tenantID: tenantID, in: tx)
            } else if let code = reference["algorithm_code"]?.stringValue {
                algorithm = try await store.find(code: code, tenantID: tenantID, in: tx)
            }
            guard let algorithm else { throw FlowNodeFailure("the node names no algorithm of this tenant", retryable: false) }
            let wanted = reference["version"]?.stringValue
            guard let version = try await store.runnable(algorithmID: algorithm.id, version: wanted, tenantID: tenantID, in: tx) else {
                throw FlowNodeFailure(wanted.map { "the algorithm \(algorithm.code) has no version \($0)" } ?? "the algorithm \(algorithm.code) has no published version", retryable: false)
            }
            guard let chosen = AlgorithmResolution.pick(version.implementations, policy: policy ?? version.selectionPolicy) else {
                throw FlowNodeFailure("the algorithm \(algorithm.code) \(version.version) has no implementation", retryable: false)
            }
            var bound: StoredVersion?
            if chosen.type == .operatorVersion, let id = UUID(uuidString: chosen.bindingRef) {
                bound = try await runtime.store.version(id, tenantID: tenantID, in: tx)
                if bound == nil { throw FlowNodeFailure("the implementation \(chosen.name) names an operator version that is gone", retryable: false) }
            }
            return (algorithm, version, bound)
        }
        guard let chosen = AlgorithmResolution.pick(version.implementations, policy: policy ?? version.selectionPolicy) else {
            throw FlowNodeFailure("no implementation", retryable: false)
        }
        let runnable = try version_ ?? Self.synthetic(chosen, algorithmVersion: version)
        let label: [String: JSONValue] = [
            "algorithm_id": .string(algorithm.id.uuidString.lowercased()), "algorithm_version": .string(version.version),
            "implementation": .string(chosen.name), "implementation_id": .string(chosen.id.uuidString.lowercased()),
        ]
        var output = try await runtime.run(runnable, invocation, label: label)
        if case .object(var object) = output {
            object["implementation"] = ["id": .string(chosen.id.uuidString.lowercased()), "name": .string(chosen.name), "type": .string(chosen.type.rawValue)]
            output = .object(object)
        }
        return output
    }

    /// An MCP tool or AI chain implementation as a version the runner can run.
    static func synthetic(_ implementation: Implementation, algorithmVersion: StoredAlgorithmVersion) throws -> StoredVersion {
        let execMode: ExecMode
        let execConfig: JSONValue
        switch implementation.type {
        case .operatorVersion:
            throw FlowNodeFailure("the implementation \(implementation.name) names no operator version", retryable: false)
        case .mcpTool:
            let parts = implementation.bindingRef.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw FlowNodeFailure("the implementation \(implementation.name) is not <server_id>/<tool_name>", retryable: false) }
            execMode = .mcp
            execConfig = ["mcp": ["server_id": .string(parts[0]), "tool_name": .string(parts[1])]]
        case .aiChain:
            execMode = .aiModel
            var settings: [String: JSONValue] = [
                "model": .string(implementation.bindingRef),
                "user_prompt_template": implementation.config["prompt_template"] ?? "{{params.text}}",
            ]
            for key in ["system_prompt", "temperature", "max_tokens", "response_format", "timeout_sec"] { if let value = implementation.config[key] { settings[key] = value } }
            execConfig = ["ai_model": .object(settings)]
        }
        return StoredVersion(
            id: implementation.id, operatorId: algorithmVersion.algorithmId, version: algorithmVersion.version, execMode: execMode, execConfig: execConfig,
            inputSchema: nil, outputSpec: nil, config: implementation.config, changelog: "", status: .active, testedAt: nil, activatedAt: nil,
            createdAt: algorithmVersion.createdAt, updatedAt: algorithmVersion.updatedAt)
    }
}

/// The edge check of `validate-connection`, run when a workflow is saved: every node of kind
/// `operator` must name an operator of the tenant with a version to run, and every edge between
/// two operator nodes must connect (the upstream `output_spec` feeds the downstream `input_schema`).
struct OperatorConnectionCheck: FlowGraphCheck {
    let store = OperatorStore()

    func problems(_ graph: FlowGraph, registry: FlowNodeRegistry, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [FlowProblem] {
        var problems: [FlowProblem] = []
        var versions: [String: StoredVersion] = [:]
        for (index, node) in graph.nodes.enumerated() where registry.canonicalID(node.type) == "operator" {
            let reference = OperatorReference(node)
            func problem(_ subfield: String, _ message: String) {
                problems.append(FlowProblem(field: "nodes[\(index)].\(subfield)", nodeKey: node.key, subfield: subfield, message: message))
            }
            if reference.isEmpty { problem("operator_id", "an operator node needs operator_id (or config.operator_code)"); continue }
            guard let stored = try await reference.find(store, tenantID: tenantID, in: tx) else { problem("operator_id", "names no operator of this tenant"); continue }
            if let wanted = node.config["version"]?.stringValue {
                guard let named = try await store.version(named: wanted, operatorID: stored.id, tenantID: tenantID, in: tx) else {
                    problem("config.version", "the operator \(stored.code) has no version \(wanted)")
                    continue
                }
                versions[node.key] = named
            } else if let activeID = stored.activeVersionId, let active = try await store.version(activeID, operatorID: stored.id, tenantID: tenantID, in: tx) {
                versions[node.key] = active
            } else {
                problem("operator_id", "the operator \(stored.code) has no active version")
            }
        }
        for (index, edge) in graph.edges.enumerated() {
            guard let upstream = versions[edge.source], let downstream = versions[edge.target], let input = downstream.inputSchema else { continue }
            let required = SchemaConnection.deref(input, root: input)["required"]?.arrayItems ?? []
            let message: String?
            if let output = upstream.outputSpec {
                let check = SchemaConnection.check(upstream: output, downstream: input)
                message = check.valid ? nil : check.message
            } else {
                message = required.isEmpty ? nil : "\(edge.source) declares no output_spec, and \(edge.target) requires input"
            }
            if let message {
                problems.append(FlowProblem(field: "edges[\(index)]", edgeID: edge.id, subfield: "connection", message: message))
            }
        }
        return problems
    }
}
