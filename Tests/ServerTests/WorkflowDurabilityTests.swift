import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PlatformDatabase
import PlatformSupport
import PlatformTesting
import ServiceLifecycle
import Testing

@testable import Server

@Suite("Workflows across processes: crashes and schedules")
struct WorkflowDurabilityTests {
    static func enabled(_ code: String, trigger: JSONValue = "manual", conf: JSONValue = [:], nodes: [JSONValue], edges: [JSONValue]) -> JSONValue {
        ["code": .string(code), "name": .string(code), "trigger_type": trigger, "trigger_conf": conf, "status": "enabled", "nodes": .array(nodes), "edges": .array(edges)]
    }

    @Test("a worker process killed mid-run: another worker resumes the run, keeping the nodes that finished")
    func killedWorkerResumes() async throws {
        try await withTestDatabase("workflow_crash", maxConnections: 6, runPool: false) { database, handle in
            // No worker in the app: the victim process takes the run.
            let dependencies = try await makeDependencies(database, workflowConfig.merging(["TASKS_SERVE_CONCURRENCY": "0"]) { _, new in new })
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("wk")
                let root = bearer(try await client.login("wk-root")["access_token"])
                let body = Self.enabled(
                    "crash",
                    nodes: [
                        ["node_key": "start", "node_type": "start"],
                        ["node_key": "first", "node_type": "code", "config": ["code": "input.n + 1"]],
                        ["node_key": "slow", "node_type": "delay", "config": ["seconds": 4]],
                        ["node_key": "after", "node_type": "code", "config": ["code": "nodes.first.output * 10"]],
                        ["node_key": "end", "node_type": "end", "config": ["output": ["v": "{{prev}}"]]],
                    ],
                    edges: [
                        ["source_key": "start", "target_key": "first"], ["source_key": "first", "target_key": "slow"],
                        ["source_key": "slow", "target_key": "after"], ["source_key": "after", "target_key": "end"],
                    ])
                let workflow = try await client.post("/api/v1/workflows", body, headers: root)
                #expect(workflow.status == .created)

                let victim = Process()
                victim.executableURL = try platformExecutable()
                victim.arguments = ["worker", "--id", "wf-victim", "--concurrency", "1"]
                victim.environment = [
                    "DATABASE_URL": handle.runtime.connectionString, "TASKS_LEASE_SECONDS": "2", "TASKS_POLL_MS": "100",
                    "LOG_LEVEL": "error", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                ]
                victim.standardOutput = FileHandle.nullDevice
                victim.standardError = FileHandle.nullDevice
                try victim.run()
                defer { if victim.isRunning { kill(victim.processIdentifier, SIGKILL) } }

                let run = try await client.post("/api/v1/workflows/\(workflow.jsonBody.id)/trigger", ["input_params": ["n": 1]], headers: root).jsonBody.id
                // The victim has finished `first` and is in `slow`.
                #expect(try await eventually(within: 60) {
                    let nodes = try await client.get("/api/v1/tasks/\(run)", headers: root).jsonBody["node_executions"]?.arrayValues ?? []
                    return nodes.contains { $0["node_key"] == "slow" && $0["status"] == "running" }
                })
                kill(victim.processIdentifier, SIGKILL)
                await Tools.waitForExit(victim)

                let survivor = dependencies.taskWorker(concurrency: 1, logger: Logger(label: "survivor"), id: "wf-survivor")
                let task = try await withServices([survivor]) { try await client.finishedTask(run, headers: root, within: 60) }
                #expect(task["status"] == "completed")
                #expect(task["attempts"] == 2)
                let output = try await client.get("/api/v1/executions/\(run)", headers: root).jsonBody["result"]?["output"]
                #expect(output == ["v": 20])

                let starts: [(String, String?)] = try await database.withPlatformScope { tx in
                    try await tx.all(
                        """
                        SELECT l.data->>'node_key', t.data->>'worker_id' FROM event_log l
                        LEFT JOIN LATERAL (SELECT data FROM event_log s WHERE s.subject_id = l.subject_id AND s.type = 'task.started' AND s.id < l.id
                                           ORDER BY s.id DESC LIMIT 1) t ON true
                        WHERE l.subject_id = \(UUID(uuidString: run)) AND l.type = 'task.node_started' ORDER BY l.id
                        """, as: (String, String?).self)
                }
                // `first` ran once, on the victim; the interrupted `slow` ran again on the survivor, then the rest.
                #expect(starts.filter { $0.0 == "first" }.map(\.1) == ["wf-victim"])
                #expect(starts.filter { $0.0 == "slow" }.map(\.1) == ["wf-victim", "wf-survivor"])
                #expect(starts.filter { $0.0 == "after" }.map(\.1) == ["wf-survivor"])
            }
        }
    }

    @Test("a due schedule fires once however many instances look for it")
    func scheduleFiresOnce() async throws {
        try await withTestDatabase("workflow_schedule_once", maxConnections: 6, runPool: false) { database, handle in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("ws")
                let root = bearer(try await client.login("ws-root")["access_token"])
                let body = Self.enabled(
                    "hourly", trigger: "schedule", conf: ["interval_sec": 3600],
                    nodes: [["node_key": "start", "node_type": "start"], ["node_key": "end", "node_type": "end", "config": ["output": "{{input.scheduled_at}}"]]],
                    edges: [["source_key": "start", "target_key": "end"]])
                let workflow = try await client.post("/api/v1/workflows", body, headers: root).jsonBody.id
                let workflowID = try #require(UUID(uuidString: workflow))

                // Two more instances, each with its own pool, beside the app's own scheduler.
                let pools = (0..<2).map { _ in Database(url: handle.runtime, maxConnections: 2, logger: Logger(label: "tests.instance")) }
                var instances: [any Service] = pools
                for pool in pools {
                    instances.append(try await makeDependencies(pool, workflowConfig).workflows.scheduler(logger: Logger(label: "tests.scheduler")))
                }
                try await withServices(instances) {
                    for round in 1...3 {
                        try await database.withPlatformScope { tx in
                            try await tx.run("UPDATE workflow_schedules SET next_fire_at = now() - interval '1 second' WHERE workflow_id = \(workflowID)")
                        }
                        #expect(try await eventually(within: 30) {
                            try await client.get("/api/v1/workflow/\(workflow)/history", headers: root).jsonBody["total"] == .int(Int64(round))
                        })
                        // Every instance has looked again (200 ms each) and none fired a second run.
                        try await Task.sleep(for: .seconds(1))
                        #expect(try await client.get("/api/v1/workflow/\(workflow)/history", headers: root).jsonBody["total"] == .int(Int64(round)))
                    }
                }
                let next: Date? = try await database.withPlatformScope { tx in
                    try await tx.value("SELECT next_fire_at FROM workflow_schedules WHERE workflow_id = \(workflowID)", as: Date.self)
                }
                #expect((next ?? .distantPast) > Date().addingTimeInterval(3000))
            }
        }
    }
}
