import Foundation
import PlatformSupport
import Synchronization

/// One run's mutable state. An actor: node attempts run concurrently and report here.
actor FlowSession {
    let executor: FlowExecutor
    let plan: FlowPlan
    let run: FlowRunInfo
    let input: JSONValue
    let journal: any FlowRunJournal
    var context: JSONValue
    var states: [String: FlowNodeState] = [:]
    /// When a node that was running at a worker's death had started (a resumed `delay` counts from it).
    var resumedStarts: [String: Date] = [:]
    var current: [String] = []

    init(executor: FlowExecutor, plan: FlowPlan, run: FlowRunInfo, input: JSONValue, journal: any FlowRunJournal, context: JSONValue) {
        self.executor = executor
        self.plan = plan
        self.run = run
        self.input = input
        self.journal = journal
        self.context = context
    }

    var progress: FlowProgress {
        FlowProgress(finished: states.values.filter { $0.status.isFinished }.count, total: plan.graph.nodes.count, currentNode: current.last)
    }

    func run(recorded: [String: FlowNodeState]) async throws -> FlowRunResult {
        for node in plan.graph.nodes {
            let kind = plan.kinds[node.key] ?? node.type
            if let state = recorded[node.key], state.status.isFinished, !plan.bodyNodes.contains(node.key) {
                states[node.key] = state
            } else {
                if let state = recorded[node.key], state.status == .running, let started = state.startedAt { resumedStarts[node.key] = started }
                states[node.key] = FlowNodeState(key: node.key, type: kind)
            }
        }
        let topLevel = Set(plan.graph.nodes.map(\.key)).subtracting(plan.bodyNodes)
        let outcome = try await schedule(topLevel, entries: [], extraScope: [:])
        return FlowRunResult(
            status: outcome.failure == nil ? .completed : .failed, output: output(of: topLevel), failedNode: outcome.failure?.key,
            errorMessage: outcome.failure?.message, states: states, context: context)
    }

    /// The run's (or an iteration's) result: its `end` nodes' outputs, else its sinks'.
    func output(of keys: Set<String>) -> JSONValue {
        let ordered = plan.graph.nodes.map(\.key).filter(keys.contains)
        var chosen = ordered.filter { plan.kinds[$0] == "end" && states[$0]?.status == .success }
        if chosen.isEmpty {
            chosen = ordered.filter { key in
                states[key]?.status == .success
                    && (plan.outgoing[key] ?? []).allSatisfy { !keys.contains($0.target) || plan.backEdges.contains($0.id) }
            }
        }
        if chosen.count == 1, let only = chosen.first { return states[only]?.output ?? .null }
        return .object(Dictionary(uniqueKeysWithValues: chosen.map { ($0, states[$0]?.output ?? .null) }))
    }

    struct Outcome {
        var failure: (key: String, message: String)?
    }

    /// Runs the nodes of `keys` to completion. `entries` are the nodes a loop body starts at:
    /// their edges from the loop count as fired.
    func schedule(_ keys: Set<String>, entries: Set<String>, extraScope: [String: JSONValue]) async throws -> Outcome {
        let order = plan.graph.nodes.map(\.key).filter(keys.contains)
        var failure: (key: String, message: String)?
        var running = Set<String>()
        try await withThrowingTaskGroup(of: FlowNodeState.self) { group in
            while true {
                var progressed = true
                while progressed {
                    progressed = false
                    for key in order where states[key]?.status == .pending && !running.contains(key) && running.count < executor.maxConcurrency {
                        guard failure == nil else { break }
                        guard let decision = try readiness(key, within: keys, entries: entries) else { continue }
                        if decision.isEmpty && !entries.contains(key) {
                            try await skip(key)
                            progressed = true
                            continue
                        }
                        running.insert(key)
                        current.append(key)
                        let scope = scopeFor(key, firedSources: decision.filter { $0 != Self.rootMarker }, extra: extraScope)
                        guard let node = plan.graph.node(key) else { continue }
                        let resumedStart = resumedStarts.removeValue(forKey: key)
                        group.addTask { try await self.attempt(node, scope: scope, resumedStart: resumedStart) }
                        progressed = true
                    }
                }
                if running.isEmpty { break }
                guard let finished = try await group.next() else { break }
                running.remove(finished.key)
                current.removeAll { $0 == finished.key }
                if finished.status == .success, let node = plan.graph.node(finished.key) {
                    applyOutputMapping(node, output: finished.output ?? .null)
                }
                try await record(finished)
                if finished.status == .failed && failure == nil && !handled(finished.key) {
                    failure = (finished.key, finished.error ?? "failed")
                }
            }
        }
        if failure != nil {
            for key in order where states[key]?.status == .pending { try await skip(key) }
        }
        return Outcome(failure: failure)
    }

    /// nil: not ready (a source is unfinished); else the sources whose edges fired.
    func readiness(_ key: String, within keys: Set<String>, entries: Set<String>) throws -> [String]? {
        var fired: [String] = []
        var considered = 0
        for edge in plan.incoming[key] ?? [] {
            if plan.backEdges.contains(edge.id) { continue }
            if !keys.contains(edge.source) {
                // From outside this schedule: a loop's body edge (fired by the loop), else ignored.
                if edge.condition == .loopBody && entries.contains(key) { fired.append(edge.source) }
                continue
            }
            guard let source = states[edge.source], source.status.isFinished else { return nil }
            considered += 1
            if fires(edge, source: source) { fired.append(edge.source) }
        }
        // A root (nothing leads into it here) runs; otherwise something must have fired.
        return considered == 0 && !entries.contains(key) ? [Self.rootMarker] : fired
    }

    static let rootMarker = "\u{0}root"

    func fires(_ edge: FlowEdge, source: FlowNodeState) -> Bool {
        switch edge.condition {
        case .always: return source.status == .success || source.status == .failed
        case .onSuccess, .loopDone: return source.status == .success
        case .onFailure: return source.status == .failed
        case .loopBody: return false
        case .expression(let expression):
            guard source.status == .success else { return false }
            var scope: [String: JSONValue] = ["output": source.output ?? .null, "input": input, "context": context]
            if case .object(let members)? = source.output { for (name, value) in members where scope[name] == nil { scope[name] = value } }
            // A condition node's branches may simply be labelled true and false.
            if plan.kinds[edge.source] == "condition", expression == "true" || expression == "false" {
                return FlowExpression.isTruthy(source.output?["result"] ?? .null) == (expression == "true")
            }
            return (try? FlowExpression.evaluate(expression, scope: scope)).map(FlowExpression.isTruthy) ?? false
        }
    }

    /// Whether a failed node's failure is taken care of by a branch that runs because of it.
    func handled(_ key: String) -> Bool {
        guard let state = states[key] else { return false }
        return (plan.outgoing[key] ?? []).contains { !plan.backEdges.contains($0.id) && fires($0, source: state) }
    }

    func scopeFor(_ key: String, firedSources: [String], extra: [String: JSONValue]) -> [String: JSONValue] {
        var nodes: [String: JSONValue] = [:]
        for (name, state) in states where state.status.isFinished {
            nodes[name] = ["status": .string(state.status.rawValue), "output": state.output ?? .null, "error": state.error.map { .string($0) } ?? .null]
        }
        let prev: JSONValue
        if firedSources.count == 1, let only = firedSources.first {
            prev = states[only]?.output ?? .null
        } else if firedSources.isEmpty {
            prev = extra["item"] ?? input
        } else {
            prev = .object(Dictionary(uniqueKeysWithValues: firedSources.map { ($0, states[$0]?.output ?? .null) }))
        }
        var scope: [String: JSONValue] = [
            "input": input, "nodes": .object(nodes), "prev": prev, "context": context, "vars": context["vars"] ?? [:],
            "run": ["id": .string(run.runID.uuidString.lowercased()), "workflow_id": run.workflowID.map { .string($0.uuidString.lowercased()) } ?? .null],
        ]
        scope["sources"] = .array(firedSources.map { .string($0) })
        for (name, value) in extra { scope[name] = value }
        var params = plan.graph.node(key)?.config["params"] ?? [:]
        if case .object(let mapping)? = plan.graph.node(key)?.config["input_mapping"], case .object(var object) = params {
            for (name, source) in mapping {
                if case .string(let path) = source { object[name] = (try? FlowExpression.evaluate(path, scope: scope)) ?? .null }
            }
            params = .object(object)
        }
        scope["params"] = params
        return scope
    }

    /// GoyaVision's `output_mapping`: `{"shared.path": "output.selector"}` writes into the context.
    func applyOutputMapping(_ node: FlowNode, output: JSONValue) {
        guard case .object(let mapping)? = node.config["output_mapping"] else { return }
        for (target, selector) in mapping {
            guard case .string(let source) = selector,
                  let value = try? FlowExpression.evaluate(source, scope: ["output": output]) else { continue }
            var path = target.split(separator: ".").map(String.init)
            if path.first == "context" { path.removeFirst() }
            if path.first == "shared" { path.removeFirst() }
            guard !path.isEmpty else { continue }
            context = Self.setting(context, at: ["shared"] + path, to: value)
        }
    }

    static func setting(_ document: JSONValue, at path: [String], to value: JSONValue) -> JSONValue {
        guard let first = path.first else { return value }
        var object: [String: JSONValue] = [:]
        if case .object(let existing) = document { object = existing }
        object[first] = setting(object[first] ?? .null, at: Array(path.dropFirst()), to: value)
        return .object(object)
    }

    func skip(_ key: String) async throws {
        guard var state = states[key] else { return }
        state.status = .skipped
        state.completedAt = Date()
        try await record(state)
    }

    func record(_ state: FlowNodeState) async throws {
        states[state.key] = state
        var snapshot = context
        if case .object(var root) = snapshot {
            var nodes: [String: JSONValue] = [:]
            if case .object(let existing)? = root["nodes"] { nodes = existing }
            nodes[state.key] = ["status": .string(state.status.rawValue), "output": state.output ?? .null]
            root["nodes"] = .object(nodes)
            snapshot = .object(root)
        }
        context = snapshot
        try await journal.nodeFinished(state, context: context, progress: progress)
    }

    func started(_ state: FlowNodeState) async throws {
        states[state.key] = state
        try await journal.nodeStarted(state, progress: progress)
    }

    /// Runs a node's attempts; returns its finished state (success or failed).
    nonisolated func attempt(_ node: FlowNode, scope: [String: JSONValue], resumedStart: Date?) async throws -> FlowNodeState {
        let registry = executor.registry
        let kindID = registry.canonicalID(node.type) ?? node.type
        var state = FlowNodeState(key: node.key, type: kindID, status: .running, startedAt: resumedStart ?? Date())
        guard let kind = registry.kind(node.type) else {
            state.status = .failed
            state.error = "unknown node type \(node.type)"
            state.completedAt = Date()
            return state
        }
        let lines = LogBuffer()
        let attempts = node.retryCount + 1
        let timeout = node.timeoutSeconds ?? kind.descriptor.defaultTimeoutSeconds
        for attempt in 1...attempts {
            state.attempts = attempt
            state.status = .running
            try await started(state)
            let loopBody: (@Sendable ([JSONValue]) async throws -> [JSONValue])? = kindID == "loop"
                ? { @Sendable items in try await self.runLoop(node.key, items: items, scope: scope) } : nil
            var invocationScope = scope
            invocationScope["started_at"] = .string(RFC3339.string(from: state.startedAt ?? Date()))
            let invocation = FlowNodeInvocation(
                node: node, config: node.kindConfig, scope: invocationScope, run: run, attempt: attempt,
                log: { lines.append($0) }, loopBody: loopBody)
            do {
                let output = try await Self.withTimeout(.milliseconds(Int(timeout * 1000)), node: node.key) { try await kind.run(invocation) }
                state.status = .success
                state.output = output
                state.error = nil
                state.completedAt = Date()
                state.logs = lines.lines
                return state
            } catch is CancellationError {
                throw CancellationError()
            } catch let deferral as FlowDeferral {
                throw deferral
            } catch {
                if Task.isCancelled { throw CancellationError() }
                let message = (error as? FlowNodeFailure)?.message ?? (error as? FlowExpression.Failure)?.message ?? String(describing: error)
                let retryable = (error as? FlowNodeFailure)?.retryable ?? !(error is FlowExpression.Failure)
                lines.append(FlowLogLine(timestamp: Date(), level: .error, nodeID: node.key, message: "attempt \(attempt) failed: \(message)"))
                state.error = message
                if attempt < attempts && retryable {
                    try await Task.sleep(for: backoff(afterAttempt: attempt))
                    continue
                }
                state.status = .failed
                state.completedAt = Date()
                state.logs = lines.lines
                return state
            }
        }
        state.status = .failed
        state.completedAt = Date()
        state.logs = lines.lines
        return state
    }

    nonisolated func backoff(afterAttempt attempt: Int) -> Duration {
        let base = executor.retryBase * (1 << min(attempt - 1, 16))
        let capped = min(base, executor.maximumBackoff)
        return capped * Double.random(in: 0.8...1.2)
    }

    /// A loop node's body, once per item, each iteration a schedule of its own.
    func runLoop(_ loopKey: String, items: [JSONValue], scope: [String: JSONValue]) async throws -> [JSONValue] {
        let body = plan.loopBodies[loopKey] ?? []
        let entries = Set((plan.outgoing[loopKey] ?? []).filter { $0.condition == .loopBody }.map(\.target))
        let resultNodes = plan.graph.edges.filter { $0.target == loopKey && plan.backEdges.contains($0.id) }.map(\.source)
        var results: [JSONValue] = []
        for (index, item) in items.enumerated() {
            try Task.checkCancellation()
            for key in body { states[key] = FlowNodeState(key: key, type: plan.kinds[key] ?? "") }
            var extra: [String: JSONValue] = ["item": item, "index": .int(Int64(index))]
            if let loop = scope["loop"] { extra["outer_loop"] = loop }
            extra["loop"] = ["index": .int(Int64(index)), "count": .int(Int64(items.count)), "item": item]
            let outcome = try await schedule(body, entries: entries, extraScope: extra)
            if let failure = outcome.failure {
                throw FlowNodeFailure("iteration \(index) failed at \(failure.key): \(failure.message)", retryable: false)
            }
            if resultNodes.isEmpty {
                results.append(output(of: body))
            } else if resultNodes.count == 1, let only = resultNodes.first {
                results.append(states[only]?.output ?? .null)
            } else {
                results.append(.object(Dictionary(uniqueKeysWithValues: resultNodes.map { ($0, states[$0]?.output ?? .null) })))
            }
        }
        return results
    }

    /// `body`, or a `FlowNodeFailure` once `limit` passes (the body is cancelled).
    static func withTimeout<T: Sendable>(_ limit: Duration, node: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            guard let value = first else { throw FlowNodeFailure("timed out after \(limit)") }
            return value
        }
    }
}

/// Log lines of one node's attempts, appended from wherever the kind runs.
final class LogBuffer: Sendable {
    private let storage = Mutex<[FlowLogLine]>([])
    static let maximumLines = 1000

    func append(_ line: FlowLogLine) {
        storage.withLock { lines in if lines.count < Self.maximumLines { lines.append(line) } }
    }

    var lines: [FlowLogLine] { storage.withLock { $0 } }
}
