import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PlatformDatabase
import PlatformSupport
import PlatformTesting
import Providers
@testable import Server
import Synchronization
import Testing


@Suite("Content, the public CMS, settings")
struct ContentSettingsTests {
    @Test("content: derived and unique slugs, revisions on every change, publishing only through approval")
    func contentLifecycle() async throws {
        try await withTestDatabase("content_life", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let tenant = try await fixtures.setup("cms")
                let root = bearer(try await client.login("cms-root")["access_token"])
                let member = bearer(try await client.login("cms-member")["access_token"])
                let first = try await client.post(
                    "/api/v1/content",
                    ["title": "Héllo, Wörld!", "content": "# Hi", "seo_title": "Hello", "tags": ["swift", "news"], "category": "Tech"], headers: member)
                #expect(first.status == .created)
                #expect(first.jsonBody["slug"] == "hello-world")
                #expect(first.jsonBody["status"] == "draft")
                #expect(first.jsonBody["revision"] == 1)
                let second = try await client.post("/api/v1/content", ["title": "Hello world"], headers: member)
                #expect(second.jsonBody["slug"] == "hello-world-2")
                #expect(try await client.post("/api/v1/content", ["title": "Other", "slug": "hello-world"], headers: member).status == .conflict)
                #expect(try await client.post("/api/v1/content", ["title": "Bad", "slug": "Bad Slug"], headers: member).status == .unprocessableContent)
                #expect(try await client.post("/api/v1/content", ["content": "no title", "quality_score": 101], headers: member)
                    .jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["quality_score", "title"])
                let id = first.jsonBody.id

                // The seed's update verb (POST) and PATCH both edit and keep revisions.
                #expect(try await client.post("/api/v1/content/\(id)", ["content": "# Hi again"], headers: member).jsonBody["revision"] == 2)
                let patched = try await client.patch("/api/v1/content/\(id)", ["status": "pending_review"], headers: member)
                #expect(patched.jsonBody["status"] == "pending_review")
                let direct = try await client.patch("/api/v1/content/\(id)", ["status": "published"], headers: member)
                #expect(direct.status == .conflict)
                #expect(direct.jsonBody["error"]?["details"]?["current_status"] == "pending_review")
                // Members write; approval is for those granted it.
                #expect(try await client.post("/api/v1/content/approve", ["content_id": .string(id), "approved": true], headers: member).status == .forbidden)
                let approved = try await client.post("/api/v1/content/approve", ["content_id": .string(id), "approved": true, "feedback": "Ship it"], headers: root)
                #expect(approved.jsonBody["status"] == "published")
                #expect(approved.jsonBody["published_at"] != nil)
                #expect(approved.jsonBody["feedback"] == "Ship it")
                let revisions = try await client.get("/api/v1/content/\(id)/revisions", headers: member).jsonBody
                #expect(revisions["total"] == 4)
                #expect((revisions["items"]?.arrayValues ?? []).map { $0["change"]?.stringValue ?? "" } == ["approved", "updated", "updated", "created"])
                #expect(revisions["items"]?[3]?["snapshot"]?["content"] == "# Hi")
                let rejected = try await client.post("/api/v1/content/approve", ["content_id": .string(second.jsonBody.id), "approved": false, "feedback": "Too short"], headers: root)
                #expect(rejected.jsonBody["status"] == "rejected")

                let published: [String] = try await database.withPlatformScope { tx in
                    try await tx.all("SELECT type FROM event_log WHERE tenant_id = \(tenant.id) AND subject_id = \(UUID(uuidString: id) ?? UUID()) ORDER BY id", as: String.self)
                }
                #expect(published.contains("content.published"))
                #expect(try await client.get("/api/v1/content?status=published", headers: root).jsonBody["total"] == 1)
                #expect(try await client.get("/api/v1/content?search=again", headers: root).jsonBody["total"] == 1)
                #expect(try await client.delete("/api/v1/content/\(id)", headers: member).status == .noContent)
                #expect(try await client.get("/api/v1/content/\(id)", headers: member).status == .notFound)
                // The slug is free again once the item is gone.
                #expect(try await client.post("/api/v1/content", ["title": "Again", "slug": "hello-world"], headers: member).status == .created)
            }
        }
    }

    @Test("the public CMS shows published public posts only, whatever the parameters, and only of the tenant named")
    func publicCMS() async throws {
        try await withTestDatabase("content_cms", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("puba")
                _ = try await fixtures.setup("pubb")
                let a = bearer(try await client.login("puba-root")["access_token"])
                let b = bearer(try await client.login("pubb-root")["access_token"])
                func make(_ title: String, visibility: String, publish: Bool, headers: HTTPFields, category: String = "News", tags: [JSONValue] = ["x"]) async throws -> String {
                    let id = try await client.post(
                        "/api/v1/content", ["title": .string(title), "visibility": .string(visibility), "category": .string(category), "tags": .array(tags)],
                        headers: headers).jsonBody.id
                    if publish { _ = try await client.post("/api/v1/content/approve", ["content_id": .string(id), "approved": true], headers: headers) }
                    return id
                }
                _ = try await make("Public post", visibility: "public", publish: true, headers: a, category: "News", tags: ["swift", "server"])
                _ = try await make("Tenant only post", visibility: "tenant", publish: true, headers: a)
                _ = try await make("Private post", visibility: "private", publish: true, headers: a)
                _ = try await make("Draft public", visibility: "public", publish: false, headers: a, category: "Secret", tags: ["hidden"])
                let archived = try await make("Archived public", visibility: "public", publish: true, headers: a)
                _ = try await client.patch("/api/v1/content/\(archived)", ["status": "archived"], headers: a)
                _ = try await make("Other tenant post", visibility: "public", publish: true, headers: b)

                for query in ["", "&status=draft", "&visibility=private", "&status=archived&limit=100", "&include_drafts=true"] {
                    let posts = try await client.get("/api/v1/posts?tenant=puba\(query)")
                    #expect(posts.status == .ok)
                    #expect((posts.jsonBody["posts"]?.arrayValues ?? []).map { $0["title"]?.stringValue ?? "" } == ["Public post"], "query \(query)")
                }
                let viaHeader = try await client.get("/api/v1/posts", headers: [HTTPField.Name("X-Tenant-Code")!: "pubb"])
                #expect((viaHeader.jsonBody["posts"]?.arrayValues ?? []).map { $0["title"]?.stringValue ?? "" } == ["Other tenant post"])
                #expect(try await client.get("/api/v1/posts/public-post?tenant=puba").jsonBody["title"] == "Public post")
                for slug in ["draft-public", "private-post", "tenant-only-post", "archived-public", "other-tenant-post"] {
                    #expect(try await client.get("/api/v1/posts/\(slug)?tenant=puba").status == .notFound, "\(slug)")
                }
                #expect(try await client.get("/api/v1/posts?tenant=nobody").status == .notFound)
                #expect(try await client.get("/api/v1/posts").status == .unprocessableContent)
                let categories = try await client.get("/api/v1/categories?tenant=puba").jsonBody
                #expect(categories["categories"]?.arrayCount == 1)
                #expect(categories["categories"]?[0]?["name"] == "News")
                #expect(categories["categories"]?[0]?["count"] == 1)
                let tags = try await client.get("/api/v1/tags?tenant=puba").jsonBody
                #expect((tags["tags"]?.arrayValues ?? []).map { $0["name"]?.stringValue ?? "" } == ["server", "swift"])
                let status = try await client.get("/api/v1/cms/status?tenant=puba").jsonBody
                #expect(status["status"] == "healthy")
                #expect(status["posts_count"] == 1)
                // Signed in, the caller's tenant is the default.
                #expect(try await client.get("/api/v1/posts", headers: b).jsonBody["posts"]?.arrayCount == 1)
            }
        }
    }

    @Test("tenant settings are typed and checked field by field; general settings and the theme")
    func tenantSettings() async throws {
        try await withTestDatabase("settings_tenant", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"])
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("set")
                let root = bearer(try await client.login("set-root")["access_token"])
                let member = bearer(try await client.login("set-member")["access_token"])
                #expect(try await client.get("/api/v1/settings/general", headers: member).jsonBody == ["app_name": "Set", "language": "en", "timezone": "UTC"])
                let wrongType = try await client.post("/api/v1/settings/create", ["key": "max_items", "value": "ten", "type": "int"], headers: root)
                #expect(wrongType.status == .unprocessableContent)
                #expect(wrongType.jsonBody["error"]?["details"]?["fields"]?["value"] == "must be an integer for type int")
                let bad = try await client.post("/api/v1/settings/create", ["key": "Bad Key", "value": true, "type": "int"], headers: root)
                #expect(bad.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["key", "value"])
                #expect(try await client.post("/api/v1/settings/create", ["key": "timezone", "value": "Mars/Olympus", "type": "string"], headers: root).status == .unprocessableContent)
                let created = try await client.post("/api/v1/settings/create", ["key": "max_items", "value": 10, "type": "int"], headers: root)
                #expect(created.status == .created)
                #expect(created.jsonBody["value"] == 10)
                #expect(try await client.post("/api/v1/settings/create", ["key": "max_items", "value": 11, "type": "int"], headers: root).status == .conflict)
                #expect(try await client.post("/api/v1/settings/create", ["key": "flags", "value": ["beta": true], "type": "json"], headers: root).status == .created)
                let timezone = try await client.post("/api/v1/settings/create", ["key": "timezone", "value": "Europe/Berlin", "type": "string"], headers: root)
                _ = try await client.post("/api/v1/settings/create", ["key": "app_name", "value": "Acme Studio"], headers: root)
                #expect(try await client.get("/api/v1/settings/general", headers: member).jsonBody == ["app_name": "Acme Studio", "language": "en", "timezone": "Europe/Berlin"])
                let id = created.jsonBody.id
                #expect(try await client.put("/api/v1/settings/\(id)", ["value": "eleven"], headers: root).status == .unprocessableContent)
                #expect(try await client.put("/api/v1/settings/\(id)", ["value": 11], headers: root).jsonBody["value"] == 11)
                #expect(try await client.put("/api/v1/settings/\(id)", ["value": 12], headers: member).status == .forbidden)
                #expect(try await client.delete("/api/v1/settings/\(timezone.jsonBody.id)", headers: root).status == .noContent)
                #expect(try await client.get("/api/v1/settings/general", headers: member).jsonBody["timezone"] == "UTC")
                #expect(try await client.get("/api/v1/settings", headers: member).jsonBody["total"] == 3)

                let theme = try await client.put("/api/v1/settings/theme", ["theme": "dark", "accent_color": "#FF0000"], headers: member)
                #expect(theme.jsonBody["theme"] == "dark")
                #expect(try await client.put("/api/v1/settings/theme", ["accent_color": "red"], headers: member).status == .unprocessableContent)
                #expect(try await client.put("/api/v1/settings/theme", ["theme": "light"], headers: member).jsonBody["accent_color"] == "#FF0000")
                #expect(try await client.delete("/api/v1/settings/theme", headers: member).status == .noContent)

                let hook = try await client.post("/api/v1/webhooks", ["url": "http://127.0.0.1:9/hook"], headers: root)
                let integrations = try await client.get("/api/v1/settings/integrations", headers: root)
                #expect(integrations.status == .ok)
                #expect((integrations.jsonBody["integrations"]?.arrayValues ?? []).contains { $0["name"] == "webhooks" && $0["status"] == "connected" })
                #expect(!integrations.text.contains(hook.jsonBody["secret"]?.stringValue ?? "whsec_"))
                #expect(!integrations.text.contains("whsec_"))
            }
        }
    }

    @Test("runtime platform settings: platform administrators only, checked per field, seen by another instance at once")
    func runtimeSettings() async throws {
        try await withTestDatabase("settings_runtime", runPool: false) { database, handle in
            let first = try await makeDependencies(database)
            let second = try await makeDependencies(Database(url: handle.runtime, maxConnections: 4, logger: Logger(label: "tests.b")))
            let fixtures = Fixtures(first)
            try await buildApplication(first).test(.router) { clientA in
                try await buildApplication(second).test(.router) { clientB in
                    let tenant = try await fixtures.setup("rt")
                    try await fixtures.user("rt-operator", tenants: [tenant.id], admin: true)
                    let tenantAdmin = bearer(try await clientA.login("rt-root")["access_token"])
                    let platformAdmin = bearer(try await clientA.login("rt-operator")["access_token"])
                    #expect(try await clientB.get("/api/v1/public/config").jsonBody["app_name"] == "Platform")
                    #expect(try await clientA.get("/api/v1/system/config", headers: tenantAdmin).status == .forbidden)
                    #expect(try await clientA.put("/api/v1/system/config", ["app_name": "Hacked"], headers: tenantAdmin).status == .forbidden)
                    let invalid = try await clientA.put("/api/v1/system/config", ["app_name": "", "feature_flags": ["beta": "yes"], "color": "red"], headers: platformAdmin)
                    #expect(invalid.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["app_name", "color", "feature_flags"])
                    let changed = try await clientA.put("/api/v1/system/config", ["app_name": "Acme Cloud", "feature_flags": ["beta": true]], headers: platformAdmin)
                    #expect(changed.status == .ok)
                    #expect(changed.jsonBody["settings"]?["app_name"] == "Acme Cloud")
                    #expect(try await eventually(within: 30) {
                        try await clientB.get("/api/v1/public/config").jsonBody["app_name"] == "Acme Cloud"
                    })
                    let publicConfig = try await clientB.get("/api/v1/public/config").jsonBody
                    #expect(publicConfig["feature_flags"] == ["beta": true])
                    #expect(publicConfig["auth_methods"] == ["password", "api_key"])
                    let system = try await clientA.get("/api/v1/settings/system", headers: platformAdmin)
                    #expect(system.jsonBody["log_level"] != nil)
                    #expect(!system.text.contains("test-secret"))
                    #expect(!(try await clientA.get("/api/v1/system/config", headers: platformAdmin).text.contains("test-secret")))
                }
            }
        }
    }

    @Test("tenant secrets are write-only, sealed at rest, and a tenant's provider key replaces the configured one")
    func secrets() async throws {
        let seen = Mutex<[String]>([])
        let router = Router()
        router.post("/v1/chat/completions") { request, _ -> Response in
            seen.withLock { $0.append(request.headers[.authorization] ?? "") }
            let body = #"{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/v1/models") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"data":[{"id":"m"}]}"#)))
        }
        try await withStubServer(router) { base in
            try await withTestDatabase("settings_secrets", runPool: false) { database, _ in
                let dependencies = try await makeDependencies(database, ["OPENAI_BASE_URL": base, "OPENAI_API_KEY": "sk-config"])
                let fixtures = Fixtures(dependencies)
                try await buildApplication(dependencies).test(.router) { client in
                    let mine = try await fixtures.setup("sec")
                    let other = try await fixtures.setup("nosec")
                    let root = bearer(try await client.login("sec-root")["access_token"])
                    let member = bearer(try await client.login("sec-member")["access_token"])
                    #expect(try await client.put("/api/v1/settings/secrets/openai.api_key", ["value": "sk-tenant-own"], headers: member).status == .forbidden)
                    let stored = try await client.put("/api/v1/settings/secrets/openai.api_key", ["value": "sk-tenant-own"], headers: root)
                    #expect(stored.status == .ok)
                    #expect(!stored.text.contains("sk-tenant-own"))
                    let listed = try await client.get("/api/v1/settings/secrets", headers: root)
                    #expect(listed.jsonBody["secrets"]?[0]?["name"] == "openai.api_key")
                    #expect(!listed.text.contains("sk-tenant-own"))
                    let raw: [ByteBuffer] = try await database.withPlatformScope { tx in try await tx.all("SELECT sealed FROM tenant_secrets", as: ByteBuffer.self) }
                    #expect(raw.count == 1)
                    #expect(!String(buffer: raw[0]).contains("sk-tenant-own"))

                    let request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: "hi")])
                    _ = try await dependencies.providers.provider("openai", tenant: mine.id)?.complete(request)
                    _ = try await dependencies.providers.provider("openai", tenant: other.id)?.complete(request)
                    #expect(seen.withLock { $0 } == ["Bearer sk-tenant-own", "Bearer sk-config"])

                    let integrations = try await client.get("/api/v1/settings/integrations", headers: root)
                    let providers = (integrations.jsonBody["integrations"]?.arrayValues ?? []).filter { $0["kind"] == "model_provider" }
                    #expect(providers.map { $0["name"]?.stringValue ?? "" } == ["openai", "local"])
                    #expect(providers.first?["details"]?["tenant_key"] == true)
                    #expect(!integrations.text.contains("sk-"))
                    #expect(!integrations.text.contains(base))
                    #expect(try await client.delete("/api/v1/settings/secrets/openai.api_key", headers: root).status == .noContent)
                    #expect(try await client.delete("/api/v1/settings/secrets/openai.api_key", headers: root).status == .notFound)
                }
            }
        }
    }

    @Test("another tenant's content and setting ids answer 404")
    func crossTenant() async throws {
        try await withTestDatabase("content_bola", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("ca")
                _ = try await fixtures.setup("cb")
                let alpha = bearer(try await client.login("ca-root")["access_token"])
                let beta = bearer(try await client.login("cb-root")["access_token"])
                let item = try await client.post("/api/v1/content", ["title": "Secret plan"], headers: alpha).jsonBody.id
                let setting = try await client.post("/api/v1/settings/create", ["key": "secret", "value": "x"], headers: alpha).jsonBody.id
                for (method, path, body) in [
                    (HTTPRequest.Method.get, "/api/v1/content/\(item)", JSONValue.null), (.post, "/api/v1/content/\(item)", ["title": "Mine"]),
                    (.patch, "/api/v1/content/\(item)", ["title": "Mine"]), (.delete, "/api/v1/content/\(item)", .null),
                    (.get, "/api/v1/content/\(item)/revisions", .null), (.put, "/api/v1/settings/\(setting)", ["value": "y"]),
                    (.delete, "/api/v1/settings/\(setting)", .null),
                ] {
                    var headers = beta
                    headers[.contentType] = "application/json"
                    let response = try await client.execute(uri: path, method: method, headers: headers, body: body == .null ? nil : try .json(body))
                    #expect(response.status == .notFound, "\(method) \(path) answered \(response.status)")
                }
                #expect(try await client.post("/api/v1/content/approve", ["content_id": .string(item), "approved": true], headers: beta).status == .notFound)
                // Same slug in another tenant is fine.
                #expect(try await client.post("/api/v1/content", ["title": "Secret plan"], headers: beta).jsonBody["slug"] == "secret-plan")
            }
        }
    }
}
