import FlowEngine
import Foundation
import NIOCore
import PlatformArtifacts
import PlatformDatabase
import PlatformServices
import PlatformSupport

/// What the `operator` and `algorithm` node kinds share: finding versions, running them, and
/// keeping what they produced as artifacts of the run.
struct OperatorNodeRuntime: Sendable {
    let database: Database
    let runner: OperatorRunner
    let assets: any MediaAssetDirectory
    let artifacts: any ArtifactRecorder
    let store = OperatorStore()

    static func scope(_ run: FlowRunInfo) -> TenantScope {
        TenantScope(tenantID: run.tenantID, userID: run.ownerID, dataScope: .all)
    }

    /// The run's asset: `context.meta.asset_id` (a GoyaVision trigger's), else `input.asset_id`.
    static func assetID(_ invocation: FlowNodeInvocation) -> UUID? {
        let text = invocation.scope["context"]?["meta"]?["asset_id"]?.stringValue ?? invocation.scope["input"]?["asset_id"]?.stringValue
        return text.flatMap(UUID.init(uuidString:))
    }

    /// The node's input: its `params` (with `input_mapping` applied by the engine), rendered.
    static func input(_ invocation: FlowNodeInvocation) throws -> JSONValue {
        let params = invocation.scope["params"] ?? [:]
        do {
            let rendered = try FlowTemplate.render(params, scope: invocation.scope)
            guard case .object = rendered else { throw FlowNodeFailure("params must be an object", retryable: false) }
            return rendered
        } catch let failure as FlowNodeFailure {
            throw failure
        } catch {
            throw FlowNodeFailure("params: \(error)", retryable: false)
        }
    }

    /// Runs `version` for the node and records its results, timeline and files as artifacts.
    func run(_ version: StoredVersion, _ invocation: FlowNodeInvocation, label: [String: JSONValue]) async throws -> JSONValue {
        let tenantID = invocation.run.tenantID
        let input = try Self.input(invocation)
        var asset: MediaAssetFile?
        if let assetID = Self.assetID(invocation) {
            asset = try await database.withTenant(Self.scope(invocation.run)) { tx in try await assets.asset(assetID, tenantID: tenantID, in: tx) }
            if asset == nil { throw FlowNodeFailure("the run's asset \(assetID.uuidString.lowercased()) is not in this tenant", retryable: false) }
        }
        let report: OperatorRunReport
        do {
            report = try await runner.run(OperatorCall(version: version, input: input, asset: asset, tenantID: tenantID))
        } catch let failure as OperatorRunFailure {
            throw FlowNodeFailure(failure.description, retryable: false)
        }
        defer { if let directory = report.outcome?.workDirectory { try? FileManager.default.removeItem(atPath: directory) } }
        guard report.success else { throw FlowNodeFailure(report.message) }
        invocation.log("\(version.execMode.rawValue) operator version \(version.version) finished in \(report.diagnostics["duration_ms"].flatMap(JSONSchema.integer) ?? 0) ms")
        let ids = try await record(report, version: version, invocation: invocation, asset: asset, label: label)
        guard case .object(var object) = report.output else { return ["result": report.output, "artifact_ids": .array(ids.map { .string($0.uuidString.lowercased()) })] }
        object["artifact_ids"] = .array(ids.map { .string($0.uuidString.lowercased()) })
        return .object(object)
    }

    /// GoyaVision's layout: a `result` artifact, a `timeline` one when there is a timeline, an
    /// `asset` one per produced file (kept in the tenant's blob storage) and a `report` with the
    /// diagnostics.
    func record(_ report: OperatorRunReport, version: StoredVersion, invocation: FlowNodeInvocation, asset: MediaAssetFile?, label: [String: JSONValue]) async throws -> [UUID] {
        let tenantID = invocation.run.tenantID
        let namespace = tenantID.uuidString.lowercased()
        var blobs: [(ProducedFile, ArtifactBlob)] = []
        for file in report.outcome?.files ?? [] {
            guard let data = FileManager.default.contents(atPath: file.path) else { continue }
            var pending: ByteBuffer? = ByteBuffer(bytes: data)
            let stored = try await runner.storage.store(namespace: namespace, maxBytes: 512 << 20) {
                defer { pending = nil }
                return pending
            }
            blobs.append((file, ArtifactBlob(sha256: stored.sha256, size: stored.size, contentType: file.contentType, filename: file.filename)))
        }
        var metadata = label
        metadata["node_key"] = .string(invocation.node.key)
        metadata["version"] = .string(version.version)
        metadata["version_id"] = .string(version.id.uuidString.lowercased())
        let output = report.output
        return try await database.withTenant(Self.scope(invocation.run)) { tx in
            var ids: [UUID] = []
            func keep(_ type: ArtifactType, _ data: JSONValue, blob: ArtifactBlob? = nil) async throws {
                let artifact = NewArtifact(taskID: invocation.run.runID, type: type, assetID: asset?.id, data: data, nodeKey: invocation.node.key, blob: blob)
                ids.append(try await artifacts.record(artifact, tenantID: tenantID, in: tx).id)
            }
            try await keep(.result, ["results": output["results"] ?? output, "metadata": .object(metadata)])
            if case .array(let timeline)? = output["timeline"], !timeline.isEmpty {
                try await keep(.timeline, ["timeline": .array(timeline), "metadata": .object(metadata)])
            }
            for (file, blob) in blobs {
                try await keep(.asset, ["asset_info": file.info, "metadata": .object(metadata)], blob: blob)
            }
            try await keep(.report, ["diagnostics": .object(report.diagnostics), "metadata": .object(metadata)])
            return ids
        }
    }
}

/// `operator`: runs an operator's active version (or `config.version`) on the run's asset.
/// `operator_id` (GoyaVision's node field) or `config.operator_code` names it; the node's
/// `params` are its input.
struct OperatorNodeKind: FlowNodeKind {
    let runtime: OperatorNodeRuntime

    var descriptor: FlowNodeDescriptor {
        FlowNodeDescriptor(
            id: "operator", name: "Operator", category: "operators",
            description: "Runs an operator of the operator center (its active version, or `version`) with the node's `params` as input; results, timelines and produced files become artifacts of the run.",
            inputSchema: [
                "type": "object",
                "properties": [
                    "operator_code": ["type": "string", "minLength": 1, "maxLength": 100, "description": "Instead of the node's operator_id"],
                    "version": ["type": "string", "minLength": 5, "maxLength": 100, "description": "A semantic version of the operator; default: the active one"],
                ],
            ],
            outputSchema: ["type": "object", "properties": ["results": [:], "timeline": ["type": "array"], "artifact_ids": ["type": "array", "items": ["type": "string"]]]],
            exampleUsage: .init(input: ["operator_code": "scene_detection"], output: ["scene_count": 3, "artifact_ids": ["0196..."]]),
            aliases: ["operator_node"], defaultTimeoutSeconds: 1800)
    }

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        let tenantID = invocation.run.tenantID
        let reference = OperatorReference(invocation.node)
        let version = try await runtime.database.withTenant(OperatorNodeRuntime.scope(invocation.run)) { tx -> StoredVersion in
            guard let stored = try await reference.find(runtime.store, tenantID: tenantID, in: tx) else {
                throw FlowNodeFailure("the node names no operator of this tenant", retryable: false)
            }
            if let wanted = invocation.config["version"]?.stringValue {
                guard let named = try await runtime.store.version(named: wanted, operatorID: stored.id, tenantID: tenantID, in: tx) else {
                    throw FlowNodeFailure("the operator \(stored.code) has no version \(wanted)", retryable: false)
                }
                return named
            }
            guard let activeID = stored.activeVersionId, let active = try await runtime.store.version(activeID, operatorID: stored.id, tenantID: tenantID, in: tx) else {
                throw FlowNodeFailure("the operator \(stored.code) has no active version", retryable: false)
            }
            return active
        }
        return try await runtime.run(version, invocation, label: ["operator_id": .string(version.operatorId.uuidString.lowercased())])
    }
}

/// How a node names its operator: GoyaVision's `operator_id`, else `operator_code`.
struct OperatorReference: Sendable {
    var id: UUID?
    var code: String?

    init(_ node: FlowNode) {
        id = node.config["operator_id"]?.stringValue.flatMap(UUID.init(uuidString:))
        code = node.config["operator_code"]?.stringValue
    }

    var isEmpty: Bool { id == nil && code == nil }

    func find(_ store: OperatorStore, tenantID: UUID, in tx: DatabaseTransaction) async throws -> StoredOperator? {
        if let id { return try await store.find(id, tenantID: tenantID, in: tx) }
        if let code { return try await store.find(code: code, tenantID: tenantID, in: tx) }
        return nil
    }
}
