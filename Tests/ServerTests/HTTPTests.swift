import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import PlatformTesting
@testable import Server
import Testing


/// Test configuration: a fixed JWT secret and cheap Argon2 parameters (the defaults are
/// checked in AuthTests).
func testConfig(_ extra: [String: String] = [:]) async throws -> PlatformConfig {
    var environment = [
        "STORAGE_DIR": FileManager.default.temporaryDirectory.path,
        "JWT_SECRET": "test-secret-test-secret-test-secret-0123456789",
        "ARGON2_MEMORY_KIB": "1024", "ARGON2_ITERATIONS": "1",
        // Tests make many requests from one address; the rate-limit tests set their own limits.
        "RATE_LIMIT_DEFAULT": "1000000", "RATE_LIMIT_AUTH": "1000000",
        // Dozens of applications run at once against one cluster: small pools.
        "DATABASE_POOL_SIZE": "8",
    ]
    environment.merge(extra) { _, new in new }
    var config = try await PlatformConfig.load(environment: environment)
    config.http.port = 0
    return config
}

func makeDependencies(_ database: Database, _ extra: [String: String] = [:]) async throws -> AppDependencies {
    try await AppDependencies.make(config: try await testConfig(extra), database: database)
}

@Suite("HTTP: health, errors, docs")
struct HTTPTests {
    @Test func liveness() async throws {
        try await withTestDatabase("http_liveness", runPool: false) { database, _ in
            let app = buildApplication(try await makeDependencies(database))
            try await app.test(.router) { client in
                try await client.execute(uri: "/health", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.jsonBody == ["status": "ok"])
                    #expect(response.headers[.requestID]?.isEmpty == false)
                }
            }
        }
    }

    @Test func detailedHealth() async throws {
        try await withTestDatabase("http_health", runPool: false) { database, _ in
            let app = buildApplication(try await makeDependencies(database))
            try await app.test(.router) { client in
                // The database check has a 3 s deadline; a loaded machine may miss it on a first connection.
                #expect(try await eventually(within: 30) {
                    try await client.execute(uri: "/api/v1/health?detailed=true", method: .get).status == .ok
                })
                try await client.execute(uri: "/api/v1/health?detailed=true", method: .get) { response in
                    #expect(response.status == .ok)
                    let body = response.jsonBody
                    #expect(body["status"] == "ok")
                    #expect(body["details"]?["database"]?["status"] == "ok")
                    #expect(body["details"]?["storage"]?["free_gb"] != nil)
                    #expect(body["details"]?["pool"]?["max_connections"] == 4)
                }
                try await client.execute(uri: "/api/v1/health", method: .get) { response in
                    #expect(response.jsonBody["details"] == nil)
                }
                try await client.execute(uri: "/api/v1/health?detailed=perhaps", method: .get) { response in
                    #expect(response.status == .unprocessableContent)
                    #expect(response.jsonBody["error"]?["details"]?["fields"]?["detailed"] != nil)
                }
                try await client.execute(uri: "/api/v1/system/health", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.jsonBody["database"]?["status"] == "healthy")
                }
            }
        }
    }

    @Test("health answers 503 when the database is down")
    func healthWhenDatabaseIsDown() async throws {
        // A pool pointed at a port nobody listens on.
        let database = Database(
            url: DatabaseURL(host: "127.0.0.1", port: 1, username: "nobody", password: nil, database: "none", sslMode: .disable),
            maxConnections: 1, logger: { var logger = Logger(label: "tests.down"); logger.logLevel = .critical; return logger }())
        let app = buildApplication(try await makeDependencies(database))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/health?detailed=true", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = response.jsonBody
                #expect(body["status"] == "unhealthy")
                #expect(body["details"]?["database"]?["status"] == "error")
            }
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("unknown routes and wrong methods answer in the error envelope")
    func errorEnvelope() async throws {
        try await withTestDatabase("http_errors", runPool: false) { database, _ in
            let app = buildApplication(try await makeDependencies(database))
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/v1/does-not-exist", method: .get, headers: [.requestID: "trace-123"]) { response in
                    #expect(response.status == .notFound)
                    let error = response.jsonBody["error"]
                    #expect(error?["code"] == "NOT_FOUND")
                    #expect(error?["request_id"] == "trace-123")
                    #expect(error?["timestamp"] != nil)
                    #expect(response.headers[.requestID] == "trace-123")
                }
                try await client.execute(uri: "/health", method: .delete) { response in
                    #expect(response.status == .methodNotAllowed)
                    #expect(response.headers[.allow] == "GET")
                    #expect(response.jsonBody["error"]?["code"] == "METHOD_NOT_ALLOWED")
                }
                try await client.execute(uri: "/health/", method: .get) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }

    @Test("/openapi.json lists exactly the registered routes")
    func openAPIListsRegisteredRoutes() async throws {
        try await withTestDatabase("http_openapi", runPool: false) { database, _ in
            let table = RouteTable()
            let dependencies = try await makeDependencies(database)
            let router = buildRouter(dependencies, table: table)
            let app = Application(router: router, services: [database])
            try await app.test(.router) { client in
                try await client.execute(uri: "/openapi.json", method: .get) { response in
                    #expect(response.status == .ok)
                    let document = response.jsonBody
                    #expect(document["openapi"] == "3.1.0")
                    guard case .object(let paths)? = document["paths"] else {
                        Issue.record("no paths")
                        return
                    }
                    var documented: Set<String> = []
                    for (path, operations) in paths {
                        guard case .object(let byMethod) = operations else { continue }
                        for method in byMethod.keys { documented.insert("\(method.uppercased()) \(path)") }
                    }
                    let registered = Set(table.all.map { "\($0.method.rawValue) \($0.path)" })
                    #expect(documented == registered)
                    #expect(registered.contains("GET /health"))
                    #expect(registered.contains("GET /openapi.json"))
                }
                try await client.execute(uri: "/docs", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                    #expect(response.text.contains("swagger-ui-bundle.js"))
                    #expect(response.text.contains("/docs/swagger-init.js"))
                    // No inline script: the policy allows scripts from this origin and the CDN only.
                    let policy = response.headers[.contentSecurityPolicy] ?? ""
                    #expect(policy.contains("script-src 'self' https://cdn.jsdelivr.net;"))
                    #expect(!policy.contains("unsafe-eval"))
                }
                #expect(try await client.get("/docs/swagger-init.js").text.contains("SwaggerUIBundle"))
                #expect(try await client.get("/redoc").text.contains("redoc.standalone.js"))
                // Tags carry descriptions; the main bodies have examples; both security schemes exist.
                let document = try await client.get("/openapi.json").jsonBody
                let tags = document["tags"]?.arrayValues ?? []
                #expect(tags.contains { $0["name"] == "tasks" && $0["description"]?.stringValue?.isEmpty == false })
                #expect(document["paths"]?["/api/v1/auth/login"]?["post"]?["requestBody"]?["content"]?["application/json"]?["example"]?["username"] != nil)
                #expect(document["components"]?["securitySchemes"]?["bearerAuth"]?["scheme"] == "bearer")
                #expect(document["components"]?["securitySchemes"]?["apiKeyAuth"]?["name"] == "X-API-Key")
            }
        }
    }

    @Test("/api/v1/system/database is for platform administrators")
    func systemDatabase() async throws {
        try await withTestDatabase("http_sysdb", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let tenant = try await fixtures.tenant("sysdb")
                try await fixtures.user("plain", tenants: [tenant])
                try await fixtures.user("boss", tenants: [tenant], admin: true)
                #expect(try await client.get("/api/v1/system/database").status == .unauthorized)
                let member = try await client.get("/api/v1/system/database", headers: bearer(try await client.login("plain")["access_token"]))
                #expect(member.status == .forbidden)
                let admin = try await client.get("/api/v1/system/database", headers: bearer(try await client.login("boss")["access_token"]))
                #expect(admin.status == .ok)
                #expect(admin.jsonBody["migrations"]?["applied"] != nil)
                #expect(admin.jsonBody["server_version"]?.stringValue?.isEmpty == false)
                // VideoAnnotator's fields, counting the caller's tenant's jobs (none yet).
                #expect(admin.jsonBody["backend_type"] == "postgresql")
                #expect(admin.jsonBody["connection_info"]?["database_size_mb"] != nil)
                #expect(admin.jsonBody["schema_version"]?.stringValue?.isEmpty == false)
                for field in ["total_jobs", "pending_jobs", "running_jobs", "completed_jobs", "failed_jobs", "total_annotations"] {
                    #expect(admin.jsonBody["statistics"]?[field] == 0, "\(field)")
                }
            }
        }
    }
}
