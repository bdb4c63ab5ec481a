import Foundation
import PlatformDatabase
import PlatformSupport

/// What `/node-types` says about a kind.
public struct FlowNodeDescriptor: Codable, Sendable, Equatable {
    public struct Example: Codable, Sendable, Equatable {
        public var input: JSONValue
        public var output: JSONValue

        public init(input: JSONValue, output: JSONValue) {
            self.input = input
            self.output = output
        }
    }

    public var id: String
    public var name: String
    public var category: String
    public var description: String
    /// JSON Schema of the kind's config (the common keys excluded).
    public var inputSchema: JSONValue
    public var outputSchema: JSONValue
    public var exampleUsage: Example
    /// Other names editors use for the kind (`action` for `code`, `trigger` for `start`).
    public var aliases: [String]
    /// When a node sets no `timeout_seconds`.
    public var defaultTimeoutSeconds: Double
    /// Whether `GET /flows/{id}/export?format=python` can reproduce the kind.
    public var exportable: Bool

    public init(
        id: String, name: String, category: String, description: String, inputSchema: JSONValue, outputSchema: JSONValue,
        exampleUsage: Example, aliases: [String] = [], defaultTimeoutSeconds: Double = 60, exportable: Bool = false
    ) {
        self.id = id
        self.name = name
        self.category = category
        self.description = description
        self.inputSchema = inputSchema
        self.outputSchema = outputSchema
        self.exampleUsage = exampleUsage
        self.aliases = aliases
        self.defaultTimeoutSeconds = defaultTimeoutSeconds
        self.exportable = exportable
    }
}

/// A node kind: modules contribute theirs to the registry `Server` fills (the platform's own
/// core kinds, and the `llm`, `task`, `emit`, `subflow`, `n8n`, `operator`, ... kinds of modules).
public protocol FlowNodeKind: Sendable {
    var descriptor: FlowNodeDescriptor { get }
    /// Checks beyond the schema (expressions parse, templates close), as `config.<path>` problems.
    func check(config: JSONValue) -> [JSONSchema.Problem]
    /// Runs one attempt. Throwing fails the attempt; the error's description becomes the node's error.
    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue
}

extension FlowNodeKind {
    public func check(config: JSONValue) -> [JSONSchema.Problem] { [] }
}

/// A node's failure with a message meant for people (instead of a Swift error's description).
public struct FlowNodeFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// False when another attempt cannot help (bad input): retries are skipped.
    public var retryable: Bool

    public init(_ message: String, retryable: Bool = true) {
        self.message = message
        self.retryable = retryable
    }

    public var description: String { message }
}

/// The run a node belongs to, for kinds that act on the platform (enqueue a task, publish).
public struct FlowRunInfo: Sendable {
    public var tenantID: UUID
    public var ownerID: UUID?
    /// The run's task id (also its execution id).
    public var runID: UUID
    public var workflowID: UUID?
    /// Subflow nesting depth (0 for a top-level run).
    public var depth: Int

    public init(tenantID: UUID, ownerID: UUID?, runID: UUID, workflowID: UUID?, depth: Int = 0) {
        self.tenantID = tenantID
        self.ownerID = ownerID
        self.runID = runID
        self.workflowID = workflowID
        self.depth = depth
    }
}

/// One attempt of one node, as its kind sees it.
public struct FlowNodeInvocation: Sendable {
    public let node: FlowNode
    /// The kind's settings, not yet rendered: kinds render the fields that are templates.
    public let config: JSONValue
    /// `input`, `nodes`, `prev`, `context`, `vars`, `params`, and `item`/`index` inside a loop.
    public let scope: [String: JSONValue]
    public let run: FlowRunInfo
    public let attempt: Int
    let logSink: @Sendable (FlowLogLine) -> Void
    /// Set by the executor for `loop` nodes: runs the body once per item.
    let loopBody: (@Sendable ([JSONValue]) async throws -> [JSONValue])?

    public init(
        node: FlowNode, config: JSONValue, scope: [String: JSONValue], run: FlowRunInfo, attempt: Int,
        log: @escaping @Sendable (FlowLogLine) -> Void
    ) {
        self.node = node
        self.config = config
        self.scope = scope
        self.run = run
        self.attempt = attempt
        self.logSink = log
        self.loopBody = nil
    }

    init(
        node: FlowNode, config: JSONValue, scope: [String: JSONValue], run: FlowRunInfo, attempt: Int,
        log: @escaping @Sendable (FlowLogLine) -> Void, loopBody: (@Sendable ([JSONValue]) async throws -> [JSONValue])?
    ) {
        self.node = node
        self.config = config
        self.scope = scope
        self.run = run
        self.attempt = attempt
        self.logSink = log
        self.loopBody = loopBody
    }

    /// A config field rendered as a template in the node's scope.
    public func render(_ key: String) throws -> JSONValue {
        guard let template = config[key] else { return .null }
        do {
            return try FlowTemplate.render(template, scope: scope)
        } catch {
            throw FlowNodeFailure("\(key): \(error.message)", retryable: false)
        }
    }

    public func log(_ message: String, level: FlowLogLine.Level = .info) {
        logSink(FlowLogLine(timestamp: Date(), level: level, nodeID: node.key, message: message))
    }
}

public struct FlowLogLine: Codable, Sendable, Equatable {
    public enum Level: String, Codable, Sendable { case info, warning, error }

    public var timestamp: Date
    public var level: Level
    public var nodeID: String?
    public var message: String

    public init(timestamp: Date, level: Level, nodeID: String?, message: String) {
        self.timestamp = timestamp
        self.level = level
        self.nodeID = nodeID
        self.message = message
    }
}

/// A check of a whole graph that needs the tenant's data (an operator node's schemas against
/// its neighbours'), run when a workflow is saved, inside the saving transaction. Modules that
/// contribute node kinds contribute these with them.
public protocol FlowGraphCheck: Sendable {
    func problems(_ graph: FlowGraph, registry: FlowNodeRegistry, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [FlowProblem]
}

/// The kinds a deployment knows, by id and alias.
public struct FlowNodeRegistry: Sendable {
    private var kinds: [String: any FlowNodeKind] = [:]
    private var aliases: [String: String] = [:]
    private var graphChecks: [any FlowGraphCheck] = []

    public init() {}

    public mutating func register(check: any FlowGraphCheck) {
        graphChecks.append(check)
    }

    /// What the registered graph checks find wrong with `graph` for `tenantID`.
    public func tenantProblems(_ graph: FlowGraph, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [FlowProblem] {
        var problems: [FlowProblem] = []
        for check in graphChecks { problems += try await check.problems(graph, registry: self, tenantID: tenantID, in: tx) }
        return problems
    }

    public mutating func register(_ kind: any FlowNodeKind) {
        let descriptor = kind.descriptor
        kinds[descriptor.id] = kind
        for alias in descriptor.aliases { aliases[alias] = descriptor.id }
    }

    /// The kind a node type names (an id or an alias).
    public func kind(_ type: String) -> (any FlowNodeKind)? {
        kinds[type] ?? aliases[type].flatMap { kinds[$0] }
    }

    /// The canonical id of a type (itself when it is one, its kind's id for an alias).
    public func canonicalID(_ type: String) -> String? {
        kinds[type] != nil ? type : aliases[type]
    }

    public var descriptors: [FlowNodeDescriptor] {
        kinds.values.map(\.descriptor).sorted { ($0.category, $0.id) < ($1.category, $1.id) }
    }
}
