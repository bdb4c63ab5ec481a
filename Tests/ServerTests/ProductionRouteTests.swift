import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlatformDatabase
import PlatformSupport
import PlatformTesting
import Testing

@testable import Server

@Suite("Production: project types, projects, inspirations and worker configs")
struct ProductionRouteTests {
    static let schema: JSONValue = [
        "type": "object", "required": ["topic"], "additionalProperties": false,
        "properties": [
            "topic": ["type": "string", "minLength": 1], "duration": ["type": "integer", "minimum": 5, "maximum": 120],
            "style": ["enum": ["calm", "loud"]], "tags": ["type": "array", "items": ["type": "string"], "maxItems": 3],
        ],
    ]

    @Test("project types in the seed's shapes: the short list, categories, sort order, activation, soft delete, resolved workflows; bad input named")
    func projectTypes() async throws {
        try await withTestDatabase("production_types", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("pt")
                let root = bearer(try await client.login("pt-root")["access_token"])
                let workflow = try await client.post(
                    "/api/v1/workflow-registry", ["name": "gen", "workflow_type": "generate", "n8n_webhook_url": "http://127.0.0.1:9/hook"], headers: root
                ).jsonBody.id

                let bad = try await client.post(
                    "/api/v1/project-types",
                    ["code": "bad code!", "inspiration_workflow_id": "nope", "default_parameters": [1], "sort_order": 5_000_000,
                     "parameter_schema": ["type": "strange", "minimum": "x", "properties": ["a": ["pattern": "("]]]],
                    headers: root)
                #expect(bad.status == .unprocessableContent)
                let fields = bad.jsonBody["error"]?["details"]?["fields"]
                for field in ["code", "name", "inspiration_workflow_id", "default_parameters", "sort_order", "parameter_schema.type", "parameter_schema.minimum", "parameter_schema.properties.a.pattern"] {
                    #expect(fields?[field] != nil, "\(field): \(bad.text)")
                }
                let missing = try await client.post(
                    "/api/v1/project-types", ["code": "x", "name": "X", "transform_workflow_id": .string(UUID().uuidString)], headers: root)
                #expect(missing.jsonBody["error"]?["details"]?["fields"]?["transform_workflow_id"] == "no such workflow registry entry in this tenant")

                let created = try await client.post(
                    "/api/v1/project-types",
                    ["code": "story", "name": "Story", "inspiration_workflow_id": .string(workflow), "default_parameters": ["duration": 30],
                     "parameter_schema": Self.schema, "category": "video", "sort_order": 2],
                    headers: root)
                #expect(created.status == .ok)
                #expect(created.jsonBody.objectKeys == [
                    "category", "code", "created_at", "default_parameters", "description", "execution_workflow_id", "inspiration_workflow_id", "is_active",
                    "name", "parameter_schema", "sort_order", "transform_workflow_id", "updated_at",
                ])
                #expect(created.jsonBody["transform_workflow_id"] == .null)
                #expect(created.jsonBody["is_active"] == true)
                let duplicate = try await client.post("/api/v1/project-types", ["code": "story", "name": "Again"], headers: root)
                #expect(duplicate.status == .conflict)
                #expect(duplicate.jsonBody["error"]?["code"] == "PROJECT_TYPE_EXISTS")
                _ = try await client.post("/api/v1/project-types", ["code": "ad", "name": "Ad", "category": "marketing", "sort_order": 1], headers: root)
                _ = try await client.post("/api/v1/project-types", ["code": "clip", "name": "Clip", "category": "video", "sort_order": 3, "is_active": false], headers: root)

                let list = try await client.get("/api/v1/project-types", headers: root).jsonBody
                #expect(list.arrayValues?.map { $0["code"] } == ["ad", "story", "clip"])
                #expect(list[0]?.objectKeys == ["category", "code", "created_at", "description", "is_active", "name", "sort_order"])
                #expect(try await client.get("/api/v1/project-types?category=video&is_active=true", headers: root).jsonBody.arrayValues?.map { $0["code"] } == ["story"])
                #expect(try await client.get("/api/v1/project-types?skip=1&limit=1", headers: root).jsonBody.arrayValues?.map { $0["code"] } == ["story"])
                #expect(try await client.get("/api/v1/project-types?limit=0", headers: root).status == .unprocessableContent)
                #expect(try await client.get("/api/v1/project-types/categories/list", headers: root).jsonBody == ["marketing", "video"])

                let detail = try await client.get("/api/v1/project-types/story", headers: root).jsonBody
                #expect(detail["inspiration_workflow"]?["id"] == .string(workflow))
                #expect(detail["inspiration_workflow"]?["name"] == "gen")
                #expect(detail["inspiration_workflow"]?["workflow_type"] == "generate")
                #expect(detail["transform_workflow"] == .null)
                #expect(detail["execution_workflow"] == .null)
                #expect(detail["parameter_schema"] == Self.schema)

                let renamed = try await client.put("/api/v1/project-types/story", ["name": "Stories", "inspiration_workflow_id": ""], headers: root).jsonBody
                #expect(renamed["name"] == "Stories")
                #expect(renamed["inspiration_workflow_id"] == .null)
                #expect(renamed["default_parameters"] == ["duration": 30])
                #expect(try await client.put("/api/v1/project-types/story", ["code": "other"], headers: root).status == .unprocessableContent)
                #expect(try await client.put("/api/v1/project-types/story/sort-order?sort_order=9", [:], headers: root).jsonBody["sort_order"] == 9)
                #expect(try await client.put("/api/v1/project-types/story/sort-order", [:], headers: root).status == .unprocessableContent)
                #expect(try await client.post("/api/v1/project-types/story/deactivate", [:], headers: root).jsonBody["is_active"] == false)
                let inactive = try await client.post("/api/v1/inspirations", ["title": "x", "project_type_code": "story"], headers: root)
                #expect(inactive.jsonBody["error"]?["details"]?["fields"]?["project_type_code"] != nil)
                #expect(try await client.post("/api/v1/project-types/story/activate", [:], headers: root).jsonBody["is_active"] == true)

                let deleted = try await client.delete("/api/v1/project-types/story", headers: root)
                #expect(deleted.jsonBody == ["message": "Project type deleted", "code": "story"])
                #expect(try await client.get("/api/v1/project-types/story", headers: root).status == .notFound)
                #expect(try await client.delete("/api/v1/project-types/story", headers: root).status == .notFound)
                #expect(try await client.post("/api/v1/project-types", ["code": "story", "name": "Story again"], headers: root).status == .ok)
            }
        }
    }

    @Test("project parameters: the type's defaults merged, every parameter_schema violation named per field; status machine, counters, recount, logical delete")
    func projects() async throws {
        try await withTestDatabase("production_projects", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("pj")
                let root = bearer(try await client.login("pj-root")["access_token"])
                _ = try await client.post(
                    "/api/v1/project-types", ["code": "story", "name": "Story", "default_parameters": ["duration": 30, "style": "calm"], "parameter_schema": Self.schema],
                    headers: root)

                let invalid = try await client.post(
                    "/api/v1/projects",
                    ["name": "P", "project_type_code": "story", "initial_parameters": ["duration": 500, "style": "shouty", "extra": 1, "tags": ["a", 2, "c", "d"]]],
                    headers: root)
                #expect(invalid.status == .unprocessableContent)
                let fields = invalid.jsonBody["error"]?["details"]?["fields"]
                for field in ["initial_parameters.topic", "initial_parameters.duration", "initial_parameters.style", "initial_parameters.extra", "initial_parameters.tags", "initial_parameters.tags[1]"] {
                    #expect(fields?[field] != nil, "\(field): \(invalid.text)")
                }
                #expect(fields?["initial_parameters.duration"] == "must be at most 120")
                let wrong = try await client.post("/api/v1/projects", ["name": "P", "project_type_code": "nope", "status": "running"], headers: root)
                #expect(wrong.jsonBody["error"]?["details"]?["fields"]?["status"] != nil)
                #expect(try await client.post("/api/v1/projects", ["name": "P", "project_type_code": "nope"], headers: root).jsonBody["error"]?["details"]?["fields"]?["project_type_code"] != nil)

                let created = try await client.post("/api/v1/projects", ["name": "Cats", "project_type_code": "story", "initial_parameters": ["topic": "cats"]], headers: root)
                #expect(created.status == .ok)
                let project = created.jsonBody
                let id = project.id
                for field in ["id", "name", "project_type_code", "initial_parameters", "status", "inspiration_id", "score", "score_details", "review_notes",
                              "used_transform_workflow_id", "used_execution_workflow_id", "total_tasks", "completed_tasks", "failed_tasks", "output_asset_id",
                              "created_at", "updated_at", "tasks"] {
                    #expect(project[field] != nil, "\(field)")
                }
                #expect(project["initial_parameters"] == ["topic": "cats", "duration": 30, "style": "calm"])
                #expect(project["status"] == "draft")
                #expect(project["tasks"] == [])
                let badUpdate = try await client.put("/api/v1/projects/\(id)", ["initial_parameters": ["topic": "cats", "duration": 3]], headers: root)
                #expect(badUpdate.jsonBody["error"]?["details"]?["fields"]?["initial_parameters.duration"] != nil)
                #expect(try await client.put("/api/v1/projects/\(id)", ["project_type_code": "other"], headers: root).status == .unprocessableContent)

                // The status machine: a draft cannot run; illegal moves name the current status.
                let illegal = try await client.put("/api/v1/projects/\(id)", ["status": "running"], headers: root)
                #expect(illegal.status == .conflict)
                #expect(illegal.jsonBody["error"]?["details"]?["current_status"] == "draft")
                #expect(try await client.put("/api/v1/projects/\(id)", ["status": "queued", "score": 80], headers: root).jsonBody["status"] == "queued")
                let noWorkflow = try await client.post("/api/v1/projects/\(id)/regenerate", [:], headers: root)
                #expect(noWorkflow.status == .conflict)
                #expect(noWorkflow.jsonBody["error"]?["code"] == "NO_WORKFLOW")

                // Counters follow the project's tasks through the task engine's events.
                var taskIDs: [String] = []
                for type in ["edit", "voice", "upload"] {
                    taskIDs.append(try await client.post("/api/v1/tasks", ["task_type": .string(type), "project_id": .string(id), "enqueue": true], headers: root).jsonBody.id)
                }
                _ = try await client.post("/api/v1/tasks", ["task_type": "other", "enqueue": true], headers: root)
                #expect(try await client.poll("/api/v1/projects/\(id)", headers: root) { $0["total_tasks"] == 3 }["total_tasks"] == 3)
                let claimed = try await client.post("/api/v1/tasks/claim", ["worker_id": "w", "task_types": ["edit", "voice"], "limit": 2], headers: root).jsonBody
                #expect(claimed.arrayValues?.count == 2)
                #expect(try await client.patch("/api/v1/tasks/\(taskIDs[0])", ["status": "completed"], headers: root).status == .ok)
                #expect(try await client.patch("/api/v1/tasks/\(taskIDs[1])", ["status": "failed", "error_message": "no voice"], headers: root).status == .ok)
                #expect(try await client.delete("/api/v1/tasks/\(taskIDs[2])", headers: root).status == .noContent)
                let counted = try await client.poll("/api/v1/projects/\(id)", headers: root) { $0["total_tasks"] == 2 && $0["failed_tasks"] == 1 }
                #expect(counted["completed_tasks"] == 1)
                #expect(counted["failed_tasks"] == 1)
                #expect(counted["status"] == "running")
                #expect(counted["tasks"]?.arrayValues?.count == 2)

                // recalculate-tasks repairs counters that drifted.
                _ = try await database.withPlatformScope { tx in
                    try await tx.execute("UPDATE projects SET total_tasks = 99, completed_tasks = 42, failed_tasks = 7 WHERE id = \(UUID(uuidString: id) ?? UUID())")
                }
                let recounted = try await client.post("/api/v1/projects/\(id)/recalculate-tasks", [:], headers: root).jsonBody
                #expect(recounted["total_tasks"] == 2)
                #expect(recounted["completed_tasks"] == 1)
                #expect(recounted["failed_tasks"] == 1)

                #expect(try await client.put("/api/v1/projects/\(id)", ["status": "completed", "output_asset_id": .string(UUID().uuidString)], headers: root).jsonBody["status"] == "completed")
                #expect(try await client.put("/api/v1/projects/\(id)", ["status": "running"], headers: root).status == .conflict)
                #expect(try await client.get("/api/v1/projects?status=completed", headers: root).jsonBody.arrayValues?.count == 1)
                let deleted = try await client.delete("/api/v1/projects/\(id)", headers: root)
                #expect(deleted.jsonBody == ["message": "Project deleted", "project_id": .string(id)])
                #expect(try await client.get("/api/v1/projects/\(id)", headers: root).status == .notFound)
                #expect(try await client.get("/api/v1/projects", headers: root).jsonBody == [])
                let stamped: Bool = try await database.withPlatformScope { tx in
                    try await tx.first("SELECT deleted_at IS NOT NULL FROM projects WHERE id = \(UUID(uuidString: id) ?? UUID())", as: Bool.self)
                } ?? false
                #expect(stamped)
            }
        }
    }

    @Test("inspirations: the status machine (illegal moves 409 with the current status), approve, reject, regenerate refusals, filters, soft delete")
    func inspirations() async throws {
        try await withTestDatabase("production_inspirations", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("in")
                let root = bearer(try await client.login("in-root")["access_token"])
                let bad = try await client.post("/api/v1/inspirations", ["score": 101, "parameters": [1], "status": "approved"], headers: root)
                for field in ["title", "score", "parameters", "status"] { #expect(bad.jsonBody["error"]?["details"]?["fields"]?[field] != nil, "\(field)") }

                let id = try await client.post("/api/v1/inspirations", ["title": "Idea", "description": "A thought"], headers: root).jsonBody.id
                let fresh = try await client.get("/api/v1/inspirations/\(id)", headers: root).jsonBody
                #expect(fresh["status"] == "pending")
                #expect(fresh["last_workflow_call"] == .null)
                let early = try await client.post("/api/v1/inspirations/\(id)/approve", [:], headers: root)
                #expect(early.status == .conflict)
                #expect(early.jsonBody["error"]?["details"]?["current_status"] == "pending")
                let skip = try await client.put("/api/v1/inspirations/\(id)", ["status": "approved"], headers: root)
                #expect(skip.status == .conflict)
                #expect(skip.jsonBody["error"]?["code"] == "INVALID_STATUS_TRANSITION")
                let review = try await client.put("/api/v1/inspirations/\(id)", ["status": "pending_review", "score": 60, "score_details": ["hook": 6]], headers: root)
                #expect(review.jsonBody["status"] == "pending_review")
                #expect(review.jsonBody["description"] == "A thought")
                let approved = try await client.execute(uri: "/api/v1/inspirations/\(id)/approve", method: .post, headers: root)
                #expect(approved.status == .ok)
                #expect(approved.jsonBody["status"] == "approved")
                #expect(approved.jsonBody["last_workflow_call"] == .null)
                for action in ["approve", "reject", "regenerate"] {
                    let refused = try await client.post("/api/v1/inspirations/\(id)/\(action)", [:], headers: root)
                    #expect(refused.status == .conflict, "\(action)")
                    #expect(refused.jsonBody["error"]?["details"]?["current_status"] == "approved", "\(action)")
                }

                let other = try await client.post("/api/v1/inspirations", ["title": "Other"], headers: root).jsonBody.id
                let rejected = try await client.post("/api/v1/inspirations/\(other)/reject", ["review_notes": "Not for us"], headers: root).jsonBody
                #expect(rejected["status"] == "rejected")
                #expect(rejected["review_notes"] == "Not for us")
                let noWorkflow = try await client.post("/api/v1/inspirations/\(other)/regenerate", [:], headers: root)
                #expect(noWorkflow.jsonBody["error"]?["code"] == "NO_WORKFLOW")
                #expect(try await client.put("/api/v1/inspirations/\(other)", ["status": "pending"], headers: root).jsonBody["status"] == "pending")

                #expect(try await client.get("/api/v1/inspirations?status=approved", headers: root).jsonBody.arrayValues?.map(\.id) == [id])
                #expect(try await client.get("/api/v1/inspirations?limit=1", headers: root).jsonBody.arrayValues?.map(\.id) == [other])
                #expect(try await client.get("/api/v1/inspirations?skip=1", headers: root).jsonBody.arrayValues?.map(\.id) == [id])
                #expect(try await client.get("/api/v1/inspirations?status=done", headers: root).status == .unprocessableContent)
                let deleted = try await client.delete("/api/v1/inspirations/\(other)", headers: root)
                #expect(deleted.jsonBody == ["message": "Inspiration deleted", "inspiration_id": .string(other)])
                #expect(try await client.get("/api/v1/inspirations/\(other)", headers: root).status == .notFound)
                #expect(try await client.get("/api/v1/inspirations/not-an-id", headers: root).status == .notFound)
            }
        }
    }

    @Test("worker configs: shapes, active-only lists by default, deactivation on delete, assignments and effective configs; claims carry them, task reads do not")
    func workerConfigs() async throws {
        try await withTestDatabase("production_worker_configs", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("wc")
                let root = bearer(try await client.login("wc-root")["access_token"])
                let bad = try await client.post("/api/v1/worker-configs", ["config_data": "x", "priority": 9_999_999], headers: root)
                for field in ["config_name", "config_type", "config_data", "priority"] { #expect(bad.jsonBody["error"]?["details"]?["fields"]?[field] != nil, "\(field)") }
                let tts = try await client.post(
                    "/api/v1/worker-configs", ["config_name": "tts-en", "config_type": "tts", "worker_type": "voice", "config_data": ["voice": "alloy"], "priority": 5],
                    headers: root)
                #expect(tts.status == .ok)
                #expect(tts.jsonBody.objectKeys == ["config_data", "config_name", "config_type", "created_at", "description", "id", "is_active", "priority", "updated_at", "worker_type"])
                let ttsID = tts.jsonBody.id
                #expect(try await client.post("/api/v1/worker-configs", ["config_name": "tts-en", "config_type": "tts"], headers: root).status == .conflict)
                let proxy = try await client.post("/api/v1/worker-configs", ["config_name": "proxy", "config_type": "network", "config_data": ["host": "p1"]], headers: root).jsonBody.id
                #expect(try await client.get("/api/v1/worker-configs?worker_type=voice", headers: root).jsonBody.arrayValues?.map(\.id) == [ttsID])
                #expect(try await client.get("/api/v1/worker-configs?config_type=network", headers: root).jsonBody.arrayValues?.map(\.id) == [proxy])
                #expect(try await client.put("/api/v1/worker-configs/\(proxy)", ["config_name": "tts-en"], headers: root).status == .conflict)
                #expect(try await client.put("/api/v1/worker-configs/\(proxy)", ["description": "Office proxy"], headers: root).jsonBody["config_data"] == ["host": "p1"])

                let task = try await client.post("/api/v1/tasks", ["task_type": "voiceover", "enqueue": true], headers: root).jsonBody.id
                #expect(try await client.post("/api/v1/worker-configs/tasks/\(UUID())/assign", ["config_ids": [.string(ttsID)]], headers: root).status == .notFound)
                #expect(try await client.post("/api/v1/worker-configs/tasks/\(task)/assign", ["config_ids": []], headers: root).status == .unprocessableContent)
                let assigned = try await client.post(
                    "/api/v1/worker-configs/tasks/\(task)/assign", ["config_ids": [.string(ttsID), .string(proxy)], "override_data": ["speed": 1.5]], headers: root)
                #expect(assigned.jsonBody.arrayValues?.count == 2)
                #expect(assigned.jsonBody[0]?.objectKeys == ["config_id", "created_at", "id", "override_data", "task_id"])
                let effective = try await client.get("/api/v1/worker-configs/tasks/\(task)/configs", headers: root).jsonBody
                #expect(effective["tts"]?["config_data"] == ["voice": "alloy", "speed": 1.5])
                #expect(effective["network"]?["config_data"] == ["host": "p1", "speed": 1.5])

                // Deleting deactivates: gone from the default list and from the effective configs; new assignments refuse it.
                let deleted = try await client.delete("/api/v1/worker-configs/\(proxy)", headers: root)
                #expect(deleted.jsonBody == ["message": "Worker config deactivated", "config_id": .string(proxy)])
                #expect(try await client.get("/api/v1/worker-configs/\(proxy)", headers: root).jsonBody["is_active"] == false)
                #expect(try await client.get("/api/v1/worker-configs", headers: root).jsonBody.arrayValues?.map(\.id) == [ttsID])
                #expect(try await client.get("/api/v1/worker-configs?is_active=false", headers: root).jsonBody.arrayValues?.map(\.id) == [proxy])
                #expect(try await client.get("/api/v1/worker-configs/tasks/\(task)/configs", headers: root).jsonBody.objectKeys == ["tts"])
                let inactive = try await client.post("/api/v1/worker-configs/tasks/\(task)/assign", ["config_ids": [.string(proxy)]], headers: root)
                #expect(inactive.jsonBody["error"]?["details"]?["fields"]?["config_ids[0]"] != nil)

                #expect(try await client.get("/api/v1/tasks/\(task)", headers: root).jsonBody["worker_configs"] == nil)
                let claimed = try await client.post("/api/v1/tasks/claim", ["worker_id": "w", "task_types": ["voiceover"]], headers: root).jsonBody
                #expect(claimed[0]?["worker_configs"]?["tts"]?["config_id"] == .string(ttsID))
            }
        }
    }

    @Test("another tenant's inspirations, projects, project types, worker configs and tasks answer 404 on every route")
    func tenantBoundaries() async throws {
        try await withTestDatabase("production_bola", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, workflowConfig)
            try await buildApplication(dependencies).test(.router) { client in
                let fixtures = Fixtures(dependencies)
                _ = try await fixtures.setup("pa")
                _ = try await fixtures.setup("pb")
                let alpha = bearer(try await client.login("pa-root")["access_token"])
                let beta = bearer(try await client.login("pb-root")["access_token"])
                let workflow = try await client.post("/api/v1/workflow-registry", ["name": "a", "workflow_type": "t"], headers: alpha).jsonBody.id
                _ = try await client.post("/api/v1/project-types", ["code": "secret", "name": "Secret", "category": "hidden"], headers: alpha)
                let inspiration = try await client.post("/api/v1/inspirations", ["title": "Mine", "project_type_code": "secret"], headers: alpha).jsonBody.id
                let project = try await client.post("/api/v1/projects", ["name": "Mine", "project_type_code": "secret"], headers: alpha).jsonBody.id
                let config = try await client.post("/api/v1/worker-configs", ["config_name": "c", "config_type": "t"], headers: alpha).jsonBody.id
                let task = try await client.post("/api/v1/tasks", ["task_type": "t", "project_id": .string(project)], headers: alpha).jsonBody.id

                let routes: [(HTTPRequest.Method, String, JSONValue?)] = [
                    (.get, "/api/v1/project-types/secret", nil), (.put, "/api/v1/project-types/secret", ["name": "x"]),
                    (.delete, "/api/v1/project-types/secret", nil), (.post, "/api/v1/project-types/secret/activate", nil),
                    (.post, "/api/v1/project-types/secret/deactivate", nil), (.put, "/api/v1/project-types/secret/sort-order?sort_order=1", nil),
                    (.get, "/api/v1/inspirations/\(inspiration)", nil), (.put, "/api/v1/inspirations/\(inspiration)", ["title": "x"]),
                    (.delete, "/api/v1/inspirations/\(inspiration)", nil), (.post, "/api/v1/inspirations/\(inspiration)/approve", nil),
                    (.post, "/api/v1/inspirations/\(inspiration)/reject", nil), (.post, "/api/v1/inspirations/\(inspiration)/regenerate", nil),
                    (.get, "/api/v1/projects/\(project)", nil), (.put, "/api/v1/projects/\(project)", ["name": "x"]),
                    (.delete, "/api/v1/projects/\(project)", nil), (.post, "/api/v1/projects/\(project)/recalculate-tasks", nil),
                    (.post, "/api/v1/projects/\(project)/regenerate", nil),
                    (.get, "/api/v1/worker-configs/\(config)", nil), (.put, "/api/v1/worker-configs/\(config)", ["priority": 1]),
                    (.delete, "/api/v1/worker-configs/\(config)", nil), (.get, "/api/v1/worker-configs/tasks/\(task)/configs", nil),
                    (.post, "/api/v1/worker-configs/tasks/\(task)/assign", ["config_ids": [.string(config)]]),
                ]
                for (method, path, body) in routes {
                    var headers = beta
                    headers[.contentType] = "application/json"
                    let response = try await client.execute(uri: path, method: method, headers: headers, body: try body.map { try .json($0) })
                    #expect(response.status == .notFound, "\(method) \(path) answered \(response.status)")
                }
                // Lists, categories and references see nothing of the other tenant.
                for path in ["/api/v1/project-types", "/api/v1/project-types/categories/list", "/api/v1/inspirations", "/api/v1/projects", "/api/v1/worker-configs"] {
                    #expect(try await client.get(path, headers: beta).jsonBody == [], "\(path)")
                }
                let foreign = try await client.post("/api/v1/project-types", ["code": "mine", "name": "Mine", "inspiration_workflow_id": .string(workflow)], headers: beta)
                #expect(foreign.jsonBody["error"]?["details"]?["fields"]?["inspiration_workflow_id"] != nil)
                let stolen = try await client.post("/api/v1/projects", ["name": "x", "project_type_code": "secret"], headers: beta)
                #expect(stolen.jsonBody["error"]?["details"]?["fields"]?["project_type_code"] != nil)
                _ = try await client.post("/api/v1/project-types", ["code": "mine", "name": "Mine"], headers: beta)
                let linked = try await client.post("/api/v1/projects", ["name": "x", "project_type_code": "mine", "inspiration_id": .string(inspiration)], headers: beta)
                #expect(linked.jsonBody["error"]?["details"]?["fields"]?["inspiration_id"] != nil)
                let assign = try await client.post("/api/v1/worker-configs", ["config_name": "b", "config_type": "t"], headers: beta).jsonBody.id
                let own = try await client.post("/api/v1/tasks", ["task_type": "t"], headers: beta).jsonBody.id
                let borrowed = try await client.post("/api/v1/worker-configs/tasks/\(own)/assign", ["config_ids": [.string(assign), .string(config)]], headers: beta)
                #expect(borrowed.jsonBody["error"]?["details"]?["fields"]?["config_ids[1]"] != nil)
                #expect(try await client.get("/api/v1/inspirations/\(inspiration)", headers: alpha).status == .ok)
            }
        }
    }
}
