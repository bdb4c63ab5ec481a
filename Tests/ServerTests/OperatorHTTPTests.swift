import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Operators
import PlatformSupport
import PlatformTesting
@testable import Server
import Testing

/// An HTTP stub operator: answers `{"labels": [...], "count": n}` for `{"text"}`, 500 for `{"fail": true}`.
func operatorStub() -> Router<BasicRequestContext> {
    let router = Router()
    router.post("/infer") { request, context -> Response in
        let body = try await request.body.collect(upTo: 1 << 20)
        let input = (try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: body))) ?? .null
        if input["fail"] == true { return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "boom"))) }
        let words = (input["text"]?.stringValue ?? "").split(separator: " ").map { JSONValue.string(String($0)) }
        let answer: JSONValue = ["labels": .array(words), "count": .int(Int64(words.count)), "auth": .string(request.headers[.authorization] ?? "")]
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(answer))))
    }
    router.post("/wrong") { _, _ -> Response in
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"count": "many"}"#)))
    }
    return router
}

let labelSpec: JSONValue = ["type": "object", "required": ["labels", "count"], "properties": ["labels": ["type": "array", "items": ["type": "string"]], "count": ["type": "integer"]]]
let textInput: JSONValue = ["type": "object", "required": ["text"], "properties": ["text": ["type": "string", "minLength": 1]], "additionalProperties": false]

@Suite("Operators: CRUD, versions, lifecycle, dependencies, schema checks, tenants")
struct OperatorHTTPTests {
    @Test("semantic versions: the semver.org precedence example, parsing rules")
    func semver() throws {
        let ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "2.0.0"]
        let parsed = try ordered.map { try #require(SemanticVersion($0), "\($0)") }
        for (lower, higher) in zip(parsed, parsed.dropFirst()) { #expect(lower < higher, "\(lower) < \(higher)") }
        #expect(SemanticVersion("1.0.0+build.5") == SemanticVersion("1.0.0"))
        for bad in ["1.0", "01.0.0", "1.0.0-", "v1.0.0", "1.0.0-01", "1..0", "", "1.0.0.0"] { #expect(SemanticVersion(bad) == nil, "\(bad)") }
    }

    @Test("create, list with filters, versions (semver, unique, activate, rollback, archive), test then publish, deprecate, delete, other tenants 404")
    func lifecycle() async throws {
        try await withTestDatabase("operators_life", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"])
            let fixtures = Fixtures(dependencies)
            try await withStubServer(operatorStub()) { stub in
                try await buildApplication(dependencies).test(.router) { client in
                    _ = try await fixtures.setup("opa")
                    _ = try await fixtures.setup("opb")
                    let root = bearer(try await client.login("opa-root")["access_token"])
                    let other = bearer(try await client.login("opb-root")["access_token"])
                    let created = try await client.post("/api/v1/operators", [
                        "code": "labeler", "name": "Labeler", "category": "analysis", "type": "classification", "tags": ["text", "demo"],
                        "exec_mode": "http", "exec_config": ["http": ["endpoint": .string("\(stub)/infer"), "method": "POST", "timeout_sec": 10, "auth_type": "bearer", "auth_config": ["token": "t0k"]]],
                        "input_schema": textInput, "output_spec": labelSpec,
                    ], headers: root)
                    #expect(created.status == .created, "\(created.text)")
                    let op = created.jsonBody
                    let id = op.id
                    #expect(op["visibility"] == 0)
                    #expect(op["status"] == "draft")
                    #expect(op["origin"] == "custom")
                    #expect(op["is_builtin"] == false)
                    #expect(op["version"] == "1.0.0")
                    #expect(op["endpoint"]?.stringValue == "\(stub)/infer")
                    #expect(op["method"] == "POST")
                    #expect(op["active_version"]?["status"] == "active")
                    #expect(op["active_version_id"] == op["active_version"]?["id"])
                    #expect(op["input_schema"] == textInput)
                    // The bearer token is used, never answered.
                    #expect(op["active_version"]?["exec_config"]?["http"]?["auth_config"]?["token"] == "********")
                    #expect(try await client.post("/api/v1/operators", ["code": "labeler", "name": "Again", "category": "analysis", "type": "x"], headers: root).status == .conflict)
                    let bad = try await client.post("/api/v1/operators", ["code": "-bad", "name": "", "category": "sideways", "type": ""], headers: root)
                    #expect(bad.status == .unprocessableContent)
                    let loopback = try await client.post("/api/v1/operators", [
                        "code": "meta", "name": "Meta", "category": "utility", "type": "x", "exec_config": ["http": ["endpoint": "http://169.254.169.254/latest"]],
                    ], headers: root)
                    #expect(loopback.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["exec_config.http.endpoint"])
                    let badSchema = try await client.post("/api/v1/operators", [
                        "code": "schema", "name": "S", "category": "utility", "type": "x", "exec_config": ["http": ["endpoint": .string("\(stub)/infer")]],
                        "input_schema": ["type": "strin"],
                    ], headers: root)
                    #expect(badSchema.jsonBody["error"]?["details"]?["fields"]?["input_schema.type"] != nil, "\(badSchema.text)")
                    _ = try await client.post("/api/v1/operators", ["code": "plain", "name": "Plain", "category": "utility", "type": "noop"], headers: root)

                    // Lists: {items, total} only, filtered.
                    let all = try await client.get("/api/v1/operators", headers: root).jsonBody
                    #expect(all.objectKeys == ["items", "total"])
                    #expect(all["total"] == 2)
                    #expect(try await client.get("/api/v1/operators?category=analysis&exec_mode=http", headers: root).jsonBody["total"] == 1)
                    #expect(try await client.get("/api/v1/operators?tags=demo,other", headers: root).jsonBody["total"] == 1)
                    #expect(try await client.get("/api/v1/operators?keyword=LABEL", headers: root).jsonBody["total"] == 1)
                    #expect(try await client.get("/api/v1/operators?is_builtin=true", headers: root).jsonBody["total"] == 0)
                    #expect(try await client.get("/api/v1/operators?status=published", headers: root).jsonBody["total"] == 0)
                    #expect(try await client.get("/api/v1/operators?category=nope", headers: root).status == .unprocessableContent)
                    #expect(try await client.get("/api/v1/operators", headers: other).jsonBody["total"] == 0)

                    let renamed = try await client.put("/api/v1/operators/\(id)", ["name": "Word labeler", "visibility": 2], headers: root)
                    #expect(renamed.jsonBody["name"] == "Word labeler")
                    #expect(renamed.jsonBody["visibility"] == 2)

                    // Versions: semver, unique per operator.
                    let v11 = try await client.post("/api/v1/operators/\(id)/versions", [
                        "version": "1.1.0", "exec_mode": "http", "exec_config": ["http": ["endpoint": .string("\(stub)/wrong")]], "output_spec": labelSpec, "changelog": "wrong on purpose",
                    ], headers: root)
                    #expect(v11.status == .created, "\(v11.text)")
                    #expect(v11.jsonBody["status"] == "draft")
                    #expect(try await client.post("/api/v1/operators/\(id)/versions", ["version": "1.1.0", "exec_mode": "http", "exec_config": ["http": ["endpoint": .string("\(stub)/infer")]]], headers: root).status == .conflict)
                    let notSemver = try await client.post("/api/v1/operators/\(id)/versions", ["version": "1.2", "exec_mode": "cli", "exec_config": ["cli": ["command": "/bin/sh"]]], headers: root)
                    #expect(notSemver.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["version"])
                    let versions = try await client.get("/api/v1/operators/\(id)/versions", headers: root).jsonBody
                    #expect(versions["total"] == 2)
                    #expect(versions["items"]?[0]?["version"] == "1.1.0")
                    let v11id = v11.jsonBody.id
                    #expect(try await client.get("/api/v1/operators/\(id)/versions/\(v11id)", headers: root).jsonBody["changelog"] == "wrong on purpose")

                    // Publishing needs a tested active version.
                    #expect(try await client.post("/api/v1/operators/\(id)/publish", [:], headers: root).status == .conflict)
                    let tested = try await client.post("/api/v1/operators/\(id)/test", ["params": ["text": "a red car"]], headers: root)
                    #expect(tested.status == .ok, "\(tested.text)")
                    #expect(tested.jsonBody["success"] == true, "\(tested.text)")
                    #expect(tested.jsonBody["output"]?["count"] == 3)
                    #expect(tested.jsonBody["output"]?["auth"] == "Bearer t0k")
                    #expect(tested.jsonBody["diagnostics"]?["duration_ms"] != nil)
                    #expect(tested.jsonBody["diagnostics"]?["status_code"] == 200)
                    let badInput = try await client.post("/api/v1/operators/\(id)/test", ["params": ["text": 5]], headers: root)
                    #expect(badInput.status == .unprocessableContent)
                    #expect(badInput.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["params.text"])
                    let failing = try await client.post("/api/v1/operators/\(id)/test", ["params": ["text": "x"], "version_id": .string(v11id)], headers: root)
                    #expect(failing.jsonBody["success"] == false)
                    #expect(failing.jsonBody["message"]?.stringValue?.contains("output_spec") == true)
                    let published = try await client.post("/api/v1/operators/\(id)/publish", [:], headers: root)
                    #expect(published.jsonBody["status"] == "published", "\(published.text)")

                    // Activate, roll back, archive.
                    let activated = try await client.post("/api/v1/operators/\(id)/versions/activate", ["version_id": .string(v11id)], headers: root)
                    #expect(activated.jsonBody["version"] == "1.1.0")
                    #expect(try await client.post("/api/v1/operators/\(id)/versions/archive", ["version_id": .string(v11id)], headers: root).status == .conflict)
                    let rolled = try await client.post("/api/v1/operators/\(id)/versions/rollback", [:], headers: root)
                    #expect(rolled.jsonBody["version"] == "1.0.0", "\(rolled.text)")
                    let archived = try await client.post("/api/v1/operators/\(id)/versions/archive", ["version_id": .string(v11id)], headers: root)
                    #expect(archived.jsonBody["status"] == "archived")
                    #expect(try await client.get("/api/v1/operators/\(id)/versions?status=archived", headers: root).jsonBody["total"] == 1)

                    let deprecated = try await client.post("/api/v1/operators/\(id)/deprecate", [:], headers: root)
                    #expect(deprecated.jsonBody["status"] == "deprecated")
                    #expect(try await client.post("/api/v1/operators/\(id)/deprecate", [:], headers: root).status == .conflict)

                    // Another tenant's ids: 404 everywhere.
                    for (method, path) in [
                        (HTTPRequest.Method.get, "/api/v1/operators/\(id)"), (.put, "/api/v1/operators/\(id)"), (.delete, "/api/v1/operators/\(id)"),
                        (.post, "/api/v1/operators/\(id)/test"), (.post, "/api/v1/operators/\(id)/publish"), (.get, "/api/v1/operators/\(id)/versions"),
                        (.get, "/api/v1/operators/\(id)/versions/\(v11id)"), (.post, "/api/v1/operators/\(id)/versions/activate"),
                        (.get, "/api/v1/operators/\(id)/dependencies"), (.get, "/api/v1/operators/\(id)/dependencies/check"),
                    ] {
                        let body: ByteBuffer? = method == .get || method == .delete ? nil : try .json(["version_id": .string(v11id), "name": "x"])
                        var headers = other
                        headers[.contentType] = "application/json"
                        let response = try await client.execute(uri: path, method: method, headers: headers, body: body)
                        #expect(response.status == .notFound, "\(method) \(path): \(response.status)")
                    }

                    // Built-in operators cannot be deleted; others can.
                    let builtin = try await client.post("/api/v1/operators", ["code": "core", "name": "Core", "category": "utility", "type": "x", "is_builtin": true], headers: root)
                    #expect(builtin.jsonBody["origin"] == "builtin")
                    #expect(try await client.delete("/api/v1/operators/\(builtin.jsonBody.id)", headers: root).status == .badRequest)
                    #expect(try await client.delete("/api/v1/operators/\(id)", headers: root).status == .noContent)
                    #expect(try await client.get("/api/v1/operators/\(id)", headers: root).status == .notFound)
                }
            }
        }
    }

    @Test("dependencies: bare array, semver check against active versions, cycles 409; validate-schema and validate-connection")
    func dependenciesAndSchemas() async throws {
        try await withTestDatabase("operators_deps", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("opd")
                _ = try await Fixtures(dependencies).setup("ope")
                let root = bearer(try await client.login("opd-root")["access_token"])
                let other = bearer(try await client.login("ope-root")["access_token"])
                func make(_ code: String, version: String?) async throws -> String {
                    var body: JSONValue = ["code": .string(code), "name": .string(code), "category": "utility", "type": "t"]
                    if let version, case .object(var object) = body {
                        object["version"] = .string(version)
                        object["exec_config"] = ["ai_model": ["model": "local", "user_prompt_template": "{{params.text}}"]]
                        object["exec_mode"] = "ai_model"
                        body = .object(object)
                    }
                    let response = try await client.post("/api/v1/operators", body, headers: root)
                    #expect(response.status == .created, "\(response.text)")
                    return response.jsonBody.id
                }
                let a = try await make("a", version: "1.0.0")
                let b = try await make("b", version: "2.0.0-beta.1")
                let c = try await make("c", version: nil)
                let theirs = UUID()
                let put = try await client.put("/api/v1/operators/\(a)/dependencies", ["dependencies": [
                    ["depends_on_id": .string(b), "min_version": "2.0.0-alpha"], ["depends_on_id": .string(c), "is_optional": true],
                ]], headers: root)
                #expect(put.status == .noContent, "\(put.text)")
                let listed = try await client.get("/api/v1/operators/\(a)/dependencies", headers: root).jsonBody
                #expect(listed.arrayValues?.count == 2)
                #expect(listed.arrayValues?.first { $0["depends_on_id"]?.stringValue?.lowercased() == b.lowercased() }?["min_version"] == "2.0.0-alpha", "\(listed)")
                #expect(listed.arrayValues?.first?["depends_on_id"]?.stringValue?.lowercased() == b.lowercased(), "the order given")
                var check = try await client.get("/api/v1/operators/\(a)/dependencies/check", headers: root).jsonBody
                #expect(check["satisfied"] == true, "\(check)")
                #expect(check["optional_unmet"]?.arrayValues?.count == 1)
                // 2.0.0-beta.1 < 2.0.0: a release requirement is not met by its pre-release.
                #expect(try await client.put("/api/v1/operators/\(a)/dependencies", [["depends_on_id": .string(b), "min_version": "2.0.0"]], headers: root).status == .noContent)
                check = try await client.get("/api/v1/operators/\(a)/dependencies/check", headers: root).jsonBody
                #expect(check["satisfied"] == false)
                #expect(check["unmet"]?.arrayValues?.first?.stringValue?.contains("2.0.0-beta.1") == true)
                // b -> a would close a cycle; so would a -> a.
                #expect(try await client.put("/api/v1/operators/\(b)/dependencies", ["dependencies": [["depends_on_id": .string(a)]]], headers: root).status == .conflict)
                #expect(try await client.put("/api/v1/operators/\(a)/dependencies", ["dependencies": [["depends_on_id": .string(a)]]], headers: root).status == .unprocessableContent)
                #expect(try await client.put("/api/v1/operators/\(a)/dependencies", ["dependencies": [["depends_on_id": .string(theirs.uuidString)]]], headers: root).status == .unprocessableContent)
                #expect(try await client.put("/api/v1/operators/\(a)/dependencies", ["dependencies": [["depends_on_id": .string(b), "min_version": "two"]]], headers: root).status == .unprocessableContent)
                #expect(try await client.put("/api/v1/operators/\(a)/dependencies", ["dependencies": []], headers: other).status == .notFound)

                let valid = try await client.post("/api/v1/operators/validate-schema", ["schema": textInput], headers: root).jsonBody
                #expect(valid["valid"] == true)
                #expect(valid["errors"] == [])
                let invalid = try await client.post("/api/v1/operators/validate-schema", ["schema": ["type": "object", "properties": ["n": ["minimum": "zero"]], "required": "n"]], headers: root).jsonBody
                #expect(invalid["valid"] == false)
                #expect(Set(invalid["errors"]?.arrayValues?.compactMap { $0["path"]?.stringValue } ?? []) == ["properties.n.minimum", "required"])

                let fits = try await client.post("/api/v1/operators/validate-connection", [
                    "upstream_output_spec": ["type": "object", "properties": ["count": ["type": "integer"], "text": ["type": "string"]]],
                    "downstream_input_schema": ["type": "object", "required": ["count"], "properties": ["count": ["type": "number"]]],
                ], headers: root).jsonBody
                #expect(fits["valid"] == true, "\(fits)")
                let wrongType = try await client.post("/api/v1/operators/validate-connection", [
                    "upstream_output_spec": ["type": "object", "properties": ["count": ["type": "string"]]],
                    "downstream_input_schema": ["type": "object", "required": ["count", "image"], "properties": ["count": ["type": "integer"]]],
                ], headers: root).jsonBody
                #expect(wrongType["valid"] == false)
                #expect(wrongType["errors"]?.arrayValues?.count == 2)
                #expect(try await client.post("/api/v1/operators/validate-connection", ["upstream_output_spec": [:]], headers: root).status == .unprocessableContent)
            }
        }
    }
}
