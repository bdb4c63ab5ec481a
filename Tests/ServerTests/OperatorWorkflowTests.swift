import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlatformSupport
import PlatformTesting
@testable import Server
import Testing

/// Four seconds: a test pattern, then a hard cut to plain red (two scenes).
func cutClip() async throws -> [UInt8] {
    let directory = temporaryDirectory("operator-clip")
    let path = "\(directory)/cut.mp4"
    let result = try await AnnotationMedia.run("ffmpeg", [
        "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2",
        "-f", "lavfi", "-i", "color=c=red:size=160x120:rate=10:duration=2", "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path,
    ])
    #expect(result.status == 0, "ffmpeg made the clip")
    return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

@Suite("Operators: templates, builtin pipelines on assets, algorithms and workflow nodes")
struct OperatorWorkflowTests {
    @Test("the scene template installed and run on a generated clip; a GoyaVision workflow of operator and algorithm nodes runs and keeps artifacts; bad edges are refused on save")
    func sceneWorkflow() async throws {
        let storage = temporaryDirectory("operators-storage")
        try await withTestDatabase("operators_flow", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig.merging(["STORAGE_DIR": storage]) { _, new in new })
            try await buildApplication(dependencies).test(.live) { client in
                _ = try await Fixtures(dependencies).setup("opw")
                _ = try await Fixtures(dependencies).setup("opv")
                let root = bearer(try await client.login("opw-root")["access_token"])
                let other = bearer(try await client.login("opv-root")["access_token"])
                let file = try await client.uploadFile(try await cutClip(), name: "cut.mp4", type: "video/mp4", headers: root)
                let asset = try await client.post("/api/v1/assets", ["name": "Cut", "type": "video", "file_id": .string(file)], headers: root)
                #expect(asset.status == .created, "\(asset.text)")
                let assetID = asset.jsonBody.id

                // The built-in catalog.
                let catalog = try await client.get("/api/v1/operators/templates?exec_mode=builtin", headers: root).jsonBody
                #expect(catalog["total"] == 6, "\(catalog)")
                let all = try await client.get("/api/v1/operators/templates?limit=100", headers: root).jsonBody
                #expect(Set(all["items"]?.arrayValues?.compactMap { $0["exec_mode"]?.stringValue } ?? []) == ["builtin", "http", "ai_model"])
                func template(_ code: String) throws -> JSONValue { try #require(all["items"]?.arrayValues?.first { $0["code"]?.stringValue == code }) }
                let scene = try template("scene_detection")
                #expect(try await client.get("/api/v1/operators/templates/\(scene.id)", headers: root).jsonBody["type"] == "scene_detection")
                #expect(try await client.get("/api/v1/operators/templates/\(UUID().uuidString)", headers: root).status == .notFound)
                func install(_ template: JSONValue, _ code: String) async throws -> String {
                    let installed = try await client.post("/api/v1/operators/templates/install", [
                        "template_id": .string(template.id), "operator_code": .string(code), "operator_name": .string(code), "tags": ["video"],
                    ], headers: root)
                    #expect(installed.status == .created, "\(installed.text)")
                    #expect(installed.jsonBody["version"] == "1.0.0")
                    #expect(installed.jsonBody["active_version"]?["status"] == "active")
                    return installed.jsonBody.id
                }
                let scenes = try await install(scene, "scenes")
                let frames = try await install(try template("frame_extraction"), "frames")
                let describe = try await install(try template("ai_prompt"), "describe")
                #expect(try await client.get("/api/v1/operators/templates/\(scene.id)", headers: root).jsonBody["downloads"] == 1)

                // A test call on the asset.
                #expect(try await client.post("/api/v1/operators/\(scenes)/test", ["params": [:]], headers: root).status == .unprocessableContent)
                let tested = try await client.post("/api/v1/operators/\(scenes)/test", ["asset_id": .string(assetID), "params": ["min_scene_length": 0.5]], headers: root)
                #expect(tested.jsonBody["success"] == true, "\(tested.text)")
                #expect(tested.jsonBody["output"]?["scene_count"] == 2, "\(tested.text)")
                #expect(tested.jsonBody["diagnostics"]?["pipeline"] == "scene_detection")
                #expect(try await client.post("/api/v1/operators/\(scenes)/test", ["asset_id": .string(assetID)], headers: other).status == .notFound)

                // An algorithm over the prompt operator's version and the local model.
                let describeVersion = try await client.get("/api/v1/operators/\(describe)", headers: root).jsonBody["active_version_id"]?.stringValue ?? ""
                let algorithm = try await client.post("/api/v1/algorithms", [
                    "code": "summarise", "name": "Summarise", "scenario": "captions", "visibility": 1,
                    "initial_version": ["version": "1.0.0", "selection_policy": "low_cost", "implementations": [
                        ["name": "ghost", "type": "operator_version", "binding_ref": .string(UUID().uuidString), "cost_score": 0.1],
                    ]],
                ], headers: root)
                #expect(algorithm.status == .created, "\(algorithm.text)")
                #expect(algorithm.jsonBody["visibility"] == 1)
                let algorithmID = algorithm.jsonBody.id
                let unbound = try #require(algorithm.jsonBody["versions"]?[0]?["id"]?.stringValue)
                #expect(try await client.post("/api/v1/algorithms/\(algorithmID)/versions/\(unbound)/publish", [:], headers: root).status == .conflict)
                let version = try await client.post("/api/v1/algorithms/\(algorithmID)/versions", [
                    "version": "1.1.0", "selection_policy": "high_quality", "implementations": [
                        ["name": "prompt", "type": "operator_version", "binding_ref": .string(describeVersion), "quality_score": 0.9],
                        ["name": "chain", "type": "ai_chain", "binding_ref": "local", "quality_score": 0.5, "config": ["prompt_template": "{{params.text}}"]],
                    ],
                ], headers: root)
                #expect(version.status == .created, "\(version.text)")
                #expect(version.jsonBody["default_implementation"]?["name"] == "prompt")
                #expect(try await client.post("/api/v1/algorithms/\(algorithmID)/versions", ["version": "1.1.0", "implementations": []], headers: root).status == .conflict)
                let published = try await client.post("/api/v1/algorithms/\(algorithmID)/versions/\(version.jsonBody.id)/publish", [:], headers: root)
                #expect(published.jsonBody["status"] == "published", "\(published.text)")
                #expect(try await client.get("/api/v1/algorithms?status=published", headers: root).jsonBody["total"] == 1)
                #expect(try await client.get("/api/v1/algorithms/\(algorithmID)", headers: other).status == .notFound)
                #expect(try await client.delete("/api/v1/algorithms/\(algorithmID)", headers: other).status == .notFound)

                // Saving a workflow checks operator edges: the scenes' output cannot feed the prompt's required text.
                let badFlow = try await client.post("/api/v1/workflows", [
                    "code": "bad", "name": "Bad", "trigger_type": "manual",
                    "nodes": [["node_key": "start", "node_type": "trigger"], ["node_key": "scenes", "node_type": "operator", "operator_id": .string(scenes)],
                              ["node_key": "describe", "node_type": "operator", "operator_id": .string(describe)]],
                    "edges": [["source_key": "start", "target_key": "scenes"], ["source_key": "scenes", "target_key": "describe"]],
                ], headers: root)
                #expect(badFlow.status == .unprocessableContent, "\(badFlow.text)")
                #expect(badFlow.jsonBody["error"]?["details"]?["fields"]?["edges[1]"]?.stringValue?.contains("text") == true, "\(badFlow.text)")
                let foreign = try await client.post("/api/v1/workflows", [
                    "code": "theirs", "name": "Theirs", "trigger_type": "manual",
                    "nodes": [["node_key": "start", "node_type": "trigger"], ["node_key": "scenes", "node_type": "operator", "operator_id": .string(scenes)]],
                    "edges": [["source_key": "start", "target_key": "scenes"]],
                ], headers: other)
                #expect(foreign.jsonBody["error"]?["details"]?["fields"]?["nodes[1].operator_id"] != nil, "\(foreign.text)")

                let flow = try await client.post("/api/v1/workflows", [
                    "code": "video", "name": "Video", "trigger_type": "manual",
                    "nodes": [
                        ["node_key": "start", "node_type": "trigger"],
                        ["node_key": "scenes", "node_type": "operator", "operator_id": .string(scenes), "config": ["params": ["min_scene_length": 0.5, "keyframes": false]]],
                        ["node_key": "frames", "node_type": "operator", "operator_id": .string(frames), "config": ["params": ["fps": 1, "max_frames": 3]]],
                        ["node_key": "summary", "node_type": "algorithm", "config": ["algorithm_code": "summarise", "params": ["text": "The clip has {{nodes.scenes.output.scene_count}} scenes."]]],
                    ],
                    "edges": [["source_key": "start", "target_key": "scenes"], ["source_key": "scenes", "target_key": "frames"], ["source_key": "scenes", "target_key": "summary"]],
                ], headers: root)
                #expect(flow.status == .created, "\(flow.text)")
                #expect(try await client.post("/api/v1/workflows/\(flow.jsonBody.id)/enable", [:], headers: root).status == .ok)
                let run = try await client.post("/api/v1/workflows/\(flow.jsonBody.id)/trigger", ["asset_id": .string(assetID)], headers: root)
                #expect(run.status == .accepted, "\(run.text)")
                let task = try await client.finishedTask(run.jsonBody.id, headers: root, within: 120)
                #expect(task["status"] == "completed", "\(task)")
                let artifacts = try await client.get("/api/v1/tasks/\(run.jsonBody.id)/artifacts", headers: root).jsonBody.arrayValues ?? []
                let byNode = Dictionary(grouping: artifacts, by: { $0["node_key"]?.stringValue ?? "" })
                #expect(byNode["scenes"]?.map { $0["type"]?.stringValue ?? "" }.sorted() == ["report", "result", "timeline"], "\(artifacts)")
                let frameAssets = byNode["frames"]?.filter { $0["type"] == "asset" } ?? []
                #expect(frameAssets.count == 3, "\(artifacts)")
                #expect(frameAssets.allSatisfy { $0["blob"]?["content_type"] == "image/jpeg" && $0["asset_id"]?.stringValue?.lowercased() == assetID.lowercased() }, "\(frameAssets)")
                let summary = byNode["summary"]?.first { $0["type"] == "result" }
                #expect(summary?["data"]?["metadata"]?["implementation"] == "prompt", "\(String(describing: summary))")
                #expect(summary?["data"]?["results"]?["text"]?.stringValue?.lowercased().contains("the clip has 2 scenes") == true, "\(String(describing: summary))")
            }
        }
    }
}
