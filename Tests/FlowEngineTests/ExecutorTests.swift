import Foundation
import PlatformSupport
import Synchronization
import Testing

@testable import FlowEngine

/// Records what the executor reports, and can hand back states as a dead worker left them.
final class MemoryJournal: FlowRunJournal {
    let recorded: [String: FlowNodeState]
    let events = Mutex<[String]>([])
    let finished = Mutex<[String: FlowNodeState]>([:])

    init(recorded: [String: FlowNodeState] = [:]) {
        self.recorded = recorded
    }

    func recordedStates() async throws -> [String: FlowNodeState] { recorded }

    func nodeStarted(_ state: FlowNodeState, progress: FlowProgress) async throws {
        events.withLock { $0.append("started \(state.key) #\(state.attempts)") }
    }

    func nodeFinished(_ state: FlowNodeState, context: JSONValue, progress: FlowProgress) async throws {
        events.withLock { $0.append("\(state.status.rawValue) \(state.key)") }
        finished.withLock { $0[state.key] = state }
    }

    var log: [String] { events.withLock { $0 } }
}

/// Fails its first `failures` attempts (counted per node key), then answers `{"attempt": n}`.
struct FlakyKind: FlowNodeKind {
    let counter: Counter
    let descriptor = FlowNodeDescriptor(
        id: "flaky", name: "Flaky", category: "test", description: "fails, then succeeds",
        inputSchema: ["type": "object", "properties": ["failures": ["type": "integer"]]], outputSchema: [:],
        exampleUsage: .init(input: [:], output: [:]))

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        let failures = JSONSchema.integer(invocation.config["failures"] ?? 0) ?? 0
        let attempt = counter.next(invocation.node.key)
        if attempt <= failures { throw FlowNodeFailure("planned failure \(attempt)") }
        return ["attempt": .int(Int64(attempt))]
    }
}

/// Sleeps `seconds`, noticing cancellation.
struct SleepKind: FlowNodeKind {
    let descriptor = FlowNodeDescriptor(
        id: "sleep", name: "Sleep", category: "test", description: "sleeps", inputSchema: ["type": "object"], outputSchema: [:],
        exampleUsage: .init(input: [:], output: [:]))

    func run(_ invocation: FlowNodeInvocation) async throws -> JSONValue {
        let seconds = JSONSchema.number(invocation.config["seconds"] ?? 0) ?? 0
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        return ["slept": .double(seconds), "node": .string(invocation.node.key)]
    }
}

final class Counter: Sendable {
    let counts = Mutex<[String: Int]>([:])
    func next(_ key: String) -> Int { counts.withLock { $0[key, default: 0] += 1; return $0[key] ?? 0 } }
}

@Suite("Flow executor")
struct ExecutorTests {
    static func registry(_ counter: Counter = Counter()) -> FlowNodeRegistry {
        var registry = FlowNodeRegistry()
        for kind in CoreNodeKinds.all { registry.register(kind) }
        registry.register(FlakyKind(counter: counter))
        registry.register(SleepKind())
        return registry
    }

    static let run = FlowRunInfo(tenantID: UUID(), ownerID: nil, runID: UUID(), workflowID: nil)

    func node(_ key: String, _ type: String, _ config: JSONValue = [:]) -> FlowNode { FlowNode(key: key, type: type, config: config) }
    func edge(_ source: String, _ target: String, _ condition: FlowEdgeCondition = .always) -> FlowEdge {
        FlowEdge(id: "\(source)-\(target)", source: source, target: target, condition: condition)
    }

    @Test("validation names every problem, per node and field")
    func validation() {
        let graph = FlowGraph(
            nodes: [
                node("start", "start"), node("a", "http_request", ["method": "FETCH"]), node("a", "condition"), node("b", "nope"),
                node("c", "code", ["code": "1 +"]), node("lonely", "end"),
            ],
            edges: [edge("start", "a"), edge("a", "ghost"), edge("c", "c")])
        var registry = Self.registry()
        registry.register(HTTPRequestKind(policy: .init(allowed: [])))
        let problems = FlowValidator.problems(graph, registry: registry)
        let fields = Set(problems.map(\.field))
        #expect(fields.contains("nodes[1].config.url"))
        #expect(fields.contains("nodes[1].config.method"))
        #expect(fields.contains("nodes[2].key"))
        #expect(fields.contains("nodes[2].config.expression"))
        #expect(fields.contains("nodes[3].type"))
        #expect(fields.contains("nodes[4].config.code"))
        #expect(fields.contains("edges[1].target"))
        #expect(fields.contains("edges[2].target"))
        let details = FlowValidator.details(problems)
        #expect(details.nodes["c"]?["config.code"] != nil)
        #expect(details.edges["a-ghost"]?["target"] == "names no node")

        let unreachable = FlowGraph(nodes: [node("s", "start"), node("x", "end")], edges: [])
        #expect(FlowValidator.problems(unreachable, registry: registry).contains { $0.nodeKey == "x" && $0.message.contains("reached") })
        let cyclic = FlowGraph(
            nodes: [node("s", "start"), node("a", "code", ["code": "1"]), node("b", "code", ["code": "2"])],
            edges: [edge("s", "a"), edge("a", "b"), edge("b", "a")])
        #expect(FlowValidator.problems(cyclic, registry: registry).contains { $0.message.contains("cycle") })
        #expect(FlowValidator.problems(FlowGraph(nodes: [node("s", "start")]), registry: registry).isEmpty)
    }

    @Test("a 22-node graph with parallel branches, a retried node and an on_failure branch runs to completion")
    func twentyNodes() async throws {
        var nodes = [node("start", "start")]
        var edges: [FlowEdge] = []
        // Four branches of four nodes each, all running at once.
        for branch in 0..<4 {
            var previous = "start"
            for step in 0..<4 {
                let key = "b\(branch)s\(step)"
                let code = "let x = \(branch * 10 + step)\nx + (type(prev) == 'int' ? prev : 0)"
                nodes.append(node(key, "code", ["code": .string(code)]))
                edges.append(edge(previous, key, .onSuccess))
                previous = key
            }
            edges.append(edge(previous, "join", .onSuccess))
        }
        nodes.append(node("join", "merge", ["mode": "object"]))
        nodes.append(node("flaky", "flaky", ["failures": 2, "retry_count": 3]))
        nodes.append(node("broken", "code", ["code": "1 / 0"]))
        nodes.append(node("rescue", "code", ["code": "'rescued: ' + nodes.broken.error"]))
        edges += [edge("join", "flaky", .onSuccess), edge("flaky", "broken", .onSuccess), edge("broken", "rescue", .onFailure)]
        nodes.append(node("end", "end", ["output": ["sums": "{{keys(nodes.join.output)}}", "flaky": "{{nodes.flaky.output.attempt}}", "rescue": "{{prev}}"]]))
        edges.append(edge("rescue", "end"))
        let graph = FlowGraph(nodes: nodes, edges: edges)
        #expect(graph.nodes.count == 22)
        let registry = Self.registry()
        #expect(FlowValidator.problems(graph, registry: registry).isEmpty)
        let journal = MemoryJournal()
        let executor = FlowExecutor(registry: registry, retryBase: .milliseconds(5))
        let result = try await executor.run(graph, input: [:], run: Self.run, journal: journal)
        #expect(result.status == .completed)
        #expect(result.output["flaky"] == 3)
        #expect(result.output["rescue"] == "rescued: division by zero")
        #expect(result.states["broken"]?.status == .failed)
        #expect(result.states["b3s3"]?.output == .int(30 + 31 + 32 + 33))
        #expect(result.states["flaky"]?.attempts == 3)
        #expect(journal.log.filter { $0.hasPrefix("started flaky") }.count == 3)
    }

    @Test("an unhandled failure fails the run and skips what is left; skips propagate")
    func failureSkips() async throws {
        let graph = FlowGraph(
            nodes: [node("s", "start"), node("bad", "code", ["code": "unknown_name"]), node("after", "code", ["code": "1"]), node("e", "end")],
            edges: [edge("s", "bad"), edge("bad", "after", .onSuccess), edge("after", "e")])
        let result = try await FlowExecutor(registry: Self.registry()).run(graph, input: [:], run: Self.run, journal: MemoryJournal())
        #expect(result.status == .failed)
        #expect(result.failedNode == "bad")
        #expect(result.states["after"]?.status == .skipped)
        #expect(result.states["e"]?.status == .skipped)
    }

    @Test("conditions choose a branch; the other is skipped")
    func conditions() async throws {
        let graph = FlowGraph(
            nodes: [
                node("s", "start"), node("check", "condition", ["expression": "input.n > 5"]),
                node("big", "code", ["code": "'big'"]), node("small", "code", ["code": "'small'"]), node("e", "end"),
            ],
            edges: [edge("s", "check"), edge("check", "big", .expression("true")), edge("check", "small", .expression("!result")), edge("big", "e"), edge("small", "e")])
        let result = try await FlowExecutor(registry: Self.registry()).run(graph, input: ["n": 9], run: Self.run, journal: MemoryJournal())
        #expect(result.status == .completed)
        #expect(result.output == "big")
        #expect(result.states["small"]?.status == .skipped)
    }

    @Test("a loop runs its body once per item")
    func loop() async throws {
        let graph = FlowGraph(
            nodes: [
                node("s", "start"), node("each", "loop", ["items": "input.values"]),
                node("double", "code", ["code": "item * 2 + index"]), node("e", "end", ["output": "{{nodes.each.output.items}}"]),
            ],
            edges: [edge("s", "each"), edge("each", "double", .loopBody), edge("double", "each"), edge("each", "e", .loopDone)])
        let registry = Self.registry()
        #expect(FlowValidator.problems(graph, registry: registry).isEmpty)
        let result = try await FlowExecutor(registry: registry).run(graph, input: ["values": [1, 2, 3]], run: Self.run, journal: MemoryJournal())
        #expect(result.status == .completed)
        #expect(result.output == [2, 5, 8])
    }

    @Test("a node past its time limit fails")
    func timeout() async throws {
        let graph = FlowGraph(nodes: [node("s", "start"), node("slow", "sleep", ["seconds": 300, "timeout_seconds": 0.2])], edges: [edge("s", "slow")])
        let started = ContinuousClock.now
        let result = try await FlowExecutor(registry: Self.registry()).run(graph, input: [:], run: Self.run, journal: MemoryJournal())
        #expect(result.status == .failed)
        #expect(result.states["slow"]?.error?.contains("timed out") == true)
        // Far below the node's 300 s, with room for a loaded machine.
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test("cancelling the run stops the running node at once")
    func cancellation() async throws {
        let graph = FlowGraph(nodes: [node("s", "start"), node("slow", "sleep", ["seconds": 300, "timeout_seconds": 600])], edges: [edge("s", "slow")])
        let executor = FlowExecutor(registry: Self.registry())
        let started = ContinuousClock.now
        let work = Task { try await executor.run(graph, input: [:], run: Self.run, journal: MemoryJournal()) }
        try await Task.sleep(for: .milliseconds(200))
        work.cancel()
        await #expect(throws: CancellationError.self) { _ = try await work.value }
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test("a resumed run keeps what finished and runs the rest")
    func resume() async throws {
        let counter = Counter()
        let graph = FlowGraph(
            nodes: [node("s", "start"), node("one", "flaky"), node("two", "flaky")],
            edges: [edge("s", "one"), edge("one", "two")])
        let done = FlowNodeState(key: "one", type: "flaky", status: .success, attempts: 1, output: ["attempt": 1], startedAt: Date(), completedAt: Date())
        let start = FlowNodeState(key: "s", type: "start", status: .success, attempts: 1, output: [:], startedAt: Date(), completedAt: Date())
        let interrupted = FlowNodeState(key: "two", type: "flaky", status: .running, attempts: 1, startedAt: Date())
        let journal = MemoryJournal(recorded: ["s": start, "one": done, "two": interrupted])
        let result = try await FlowExecutor(registry: Self.registry(counter)).run(graph, input: [:], run: Self.run, journal: journal)
        #expect(result.status == .completed)
        #expect(counter.counts.withLock { $0["one"] } == nil)
        #expect(counter.counts.withLock { $0["two"] } == 1)
        #expect(!journal.log.contains("started one #1"))
    }

    @Test("a long delay defers the run instead of holding the worker")
    func longDelayDefers() async throws {
        let graph = FlowGraph(nodes: [node("s", "start"), node("wait", "delay", ["seconds": 3600])], edges: [edge("s", "wait")])
        await #expect(throws: FlowDeferral.self) {
            _ = try await FlowExecutor(registry: Self.registry()).run(graph, input: [:], run: Self.run, journal: MemoryJournal())
        }
        let waiting = FlowNodeState(key: "wait", type: "delay", status: .running, attempts: 1, startedAt: Date().addingTimeInterval(-3600))
        let start = FlowNodeState(key: "s", type: "start", status: .success, attempts: 1, output: [:], startedAt: Date(), completedAt: Date())
        let resumed = try await FlowExecutor(registry: Self.registry()).run(
            graph, input: [:], run: Self.run, journal: MemoryJournal(recorded: ["s": start, "wait": waiting]))
        #expect(resumed.status == .completed)
    }
}
