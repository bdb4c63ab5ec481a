import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import PlatformTesting
@testable import Server
import Testing


/// A tenant with an administrator (role `admin`), a super administrator and a plain member.
struct TenantSetup {
    var id: UUID
    var superAdmin: UUID
    var admin: UUID
    var member: UUID
    var roles: [String: UUID]
}

extension Fixtures {
    func roleIDs(_ tenant: UUID) async throws -> [String: UUID] {
        try await database.withPlatformScope { tx in
            Dictionary(uniqueKeysWithValues: try await tx.all("SELECT code, id FROM roles WHERE tenant_id = \(tenant)", as: (String, UUID).self))
        }
    }

    func grant(_ role: String, to user: UUID, in tenant: UUID) async throws {
        try await database.withPlatformScope { tx in
            try await tx.query(
                "INSERT INTO user_roles (tenant_id, user_id, role_id) SELECT \(tenant), \(user), id FROM roles WHERE tenant_id = \(tenant) AND code = \(role)")
        }
    }

    /// A tenant as `POST /tenants` makes it (default roles included), with three people.
    func setup(_ code: String) async throws -> TenantSetup {
        let id = try await tenant(code)
        try await database.withPlatformScope { tx in try await tx.query("SELECT app.ensure_default_roles(\(id))") }
        let superAdmin = try await user("\(code)-root", tenants: [id])
        let admin = try await user("\(code)-admin", tenants: [id])
        let member = try await user("\(code)-member", tenants: [id])
        try await grant("super_admin", to: superAdmin, in: id)
        try await grant("admin", to: admin, in: id)
        try await grant("member", to: member, in: id)
        return TenantSetup(id: id, superAdmin: superAdmin, admin: admin, member: member, roles: try await roleIDs(id))
    }
}

func menuID(_ code: String, in database: Database) async throws -> UUID {
    try await database.withPlatformScope { tx in try await tx.first("SELECT id FROM menus WHERE code = \(code)", as: UUID.self) } ?? UUID()
}

@Suite("HTTP: tenancy and RBAC")
struct TenancyHTTPTests {
    @Test("the permission catalog and the registered routes name the same codes")
    func catalogMatchesRoutes() async throws {
        try await withTestDatabase("rbac_catalog") { database, _ in
            let table = RouteTable()
            _ = buildRouter(try await makeDependencies(database), table: table)
            let required = Set(table.all.compactMap(\.access.permissionCode))
            let catalog: [String] = try await database.withPlatformScope { tx in try await tx.all("SELECT code FROM permissions", as: String.self) }
            #expect(required.subtracting(catalog).isEmpty, "routes require codes missing from the catalog: \(required.subtracting(catalog).sorted())")
            #expect(Set(catalog).subtracting(required).isEmpty, "catalog codes no route requires: \(Set(catalog).subtracting(required).sorted())")
            // Every route is declared: public, signed-in, or with a permission.
            #expect(table.all.allSatisfy { $0.access == .public || $0.access == .authenticated || $0.access.permissionCode != nil })
        }
    }

    @Test("a member without the permission gets 403 on every admin route, however the path is spelled")
    func forbiddenWithoutPermission() async throws {
        try await withTestDatabase("rbac_forbidden", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            let table = RouteTable()
            _ = buildRouter(dependencies, table: table)
            try await buildApplication(dependencies).test(.router) { client in
                let tenant = try await fixtures.setup("forbid")
                let member = bearer(try await client.login("forbid-member")["access_token"])
                // Members hold their own-task permissions by default; every other code is refused.
                let memberCodes: [String] = try await database.withPlatformScope { tx in
                    try await tx.all(
                        """
                        SELECT m.permission FROM role_menus rm JOIN roles r ON r.tenant_id = rm.tenant_id AND r.id = rm.role_id
                        JOIN menus m ON m.id = rm.menu_id WHERE r.tenant_id = \(tenant.id) AND r.code = 'member' AND m.permission IS NOT NULL
                        """, as: String.self)
                }
                #expect(memberCodes.allSatisfy {
                    ["workflow:", "file:", "content:", "settings:tenant:read", "media:", "annotation:", "chat:conversation:", "ai-model:list", "ai-model:read", "metrics:usage:track", "production:", "analysis:",
                     "operator:list", "operator:read", "operator:test", "algorithm:list", "algorithm:read",
                     "social:platform:list", "social:post:list", "social:analytics:read", "social:trending:read"]
                        .contains(where: $0.hasPrefix)
                })
                let adminRoutes = table.all.filter { $0.access.permissionCode.map { !memberCodes.contains($0) } ?? false }
                #expect(adminRoutes.count >= 25)
                for route in adminRoutes {
                    let path = route.path.replacingOccurrences(of: "{id}", with: tenant.admin.uuidString)
                    for variant in [path, path + "/"] {
                        var headers = member
                        headers[.contentType] = "application/json"
                        let response = try await client.execute(uri: variant, method: route.method, headers: headers, body: ByteBuffer(string: "{}"))
                        #expect(response.status == .forbidden, "\(route.method) \(variant) answered \(response.status)")
                        #expect(response.jsonBody["error"]?["code"] == "FORBIDDEN")
                    }
                }
            }
        }
    }

    @Test("a tenant-A administrator gets 404 for tenant-B ids, and cannot reach platform routes")
    func crossTenantIDs() async throws {
        try await withTestDatabase("rbac_bola", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("alpha")
                let beta = try await fixtures.setup("beta")
                let root = bearer(try await client.login("alpha-root")["access_token"])
                let betaUser = beta.member.uuidString, betaRole = beta.roles["member"]?.uuidString ?? ""
                let probes: [(HTTPRequest.Method, String, JSONValue)] = [
                    (.get, "/api/v1/users/\(betaUser)", [:]),
                    (.put, "/api/v1/users/\(betaUser)", ["display_name": "pwned"]),
                    (.delete, "/api/v1/users/\(betaUser)", [:]),
                    (.put, "/api/v1/users/\(betaUser)/roles", ["role_ids": []]),
                    (.put, "/api/v1/users/\(betaUser)/status", ["status": "disabled"]),
                    (.put, "/api/v1/users/\(betaUser)/password", ["new_password": "Hijack-The-Account-99"]),
                    (.get, "/api/v1/roles/\(betaRole)", [:]),
                    (.put, "/api/v1/roles/\(betaRole)", ["name": "pwned"]),
                    (.delete, "/api/v1/roles/\(betaRole)", [:]),
                    (.put, "/api/v1/roles/\(betaRole)/menus", ["menu_ids": []]),
                ]
                for (method, path, body) in probes {
                    var headers = root
                    headers[.contentType] = "application/json"
                    let response = try await client.execute(uri: path, method: method, headers: headers, body: try .json(body))
                    #expect(response.status == .notFound, "\(method) \(path) answered \(response.status)")
                }
                // Beta is untouched.
                let betaRoot = bearer(try await client.login("beta-root")["access_token"])
                let member = try await client.get("/api/v1/users/\(betaUser)", headers: betaRoot)
                #expect(member.jsonBody["status"] == "active")
                #expect(member.jsonBody["display_name"] == nil)
                #expect(try await client.login("beta-member")["access_token"] != nil)
                // Platform-level objects are out of a tenant administrator's reach.
                #expect(try await client.get("/api/v1/tenants", headers: root).status == .forbidden)
                #expect(try await client.get("/api/v1/tenants/\(beta.id)", headers: root).status == .forbidden)
                #expect(try await client.post("/api/v1/menus", ["code": "x", "name": "x", "type": "menu"], headers: root).status == .forbidden)
                // Listing shows only the own tenant's members.
                let list = try await client.get("/api/v1/users", headers: root)
                #expect(list.jsonBody["total"] == 3)
                #expect(!list.text.contains(betaUser.lowercased()))
            }
        }
    }

    @Test("data scope self hides other members; a role change applies on the next request")
    func dataScopeAndRoleChanges() async throws {
        try await withTestDatabase("rbac_scope", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let tenant = try await fixtures.setup("scope")
                let root = bearer(try await client.login("scope-root")["access_token"])
                let member = bearer(try await client.login("scope-member")["access_token"])
                #expect(try await client.get("/api/v1/users", headers: member).status == .forbidden)

                let listButton = try await menuID("btn:system:user:list", in: database)
                let viewer = try await client.post(
                    "/api/v1/roles", ["code": "viewer", "name": "Viewer", "data_scope": "self", "menu_ids": [.string(listButton.uuidString)]],
                    headers: root)
                #expect(viewer.status == .created)
                #expect(viewer.jsonBody["permissions"] == ["system:user:list"])
                let viewerID = viewer.jsonBody["id"] ?? .null
                let memberRole = JSONValue.string(tenant.roles["member"]?.uuidString ?? "")
                let assigned = try await client.put("/api/v1/users/\(tenant.member)/roles", ["role_ids": [memberRole, viewerID]], headers: root)
                #expect(assigned.status == .ok)

                // Next request: allowed, but data scope self shows only the member themself.
                let own = try await client.get("/api/v1/users", headers: member)
                #expect(own.status == .ok)
                #expect(own.jsonBody["total"] == 1)
                #expect(own.jsonBody["items"]?.arrayCount == 1)
                // Tenant-wide for the administrator.
                #expect(try await client.get("/api/v1/users", headers: root).jsonBody["total"] == 3)
                // Widening the role shows everyone; disabling it takes the permission away again.
                #expect(try await client.put("/api/v1/roles/\(viewerID.stringValue ?? "")", ["data_scope": "all"], headers: root).status == .ok)
                #expect(try await client.get("/api/v1/users", headers: member).jsonBody["total"] == 3)
                #expect(try await client.put("/api/v1/roles/\(viewerID.stringValue ?? "")", ["status": "disabled"], headers: root).status == .ok)
                #expect(try await client.get("/api/v1/users", headers: member).status == .forbidden)

                let profile = try await client.get("/api/v1/auth/profile", headers: root)
                #expect(profile.jsonBody["roles"] == ["super_admin"])
                #expect(profile.jsonBody["permissions"]?.arrayCount ?? 0 > 10)
                // Top-level directories, annotation's, the chat module's `ai`, production's, channel analysis and the operator center among them.
                #expect(profile.jsonBody["menus"]?.arrayCount == 11)
                #expect(profile.text.contains("system:users"))
                #expect(profile.text.contains("workflows:tasks"))
                #expect(!profile.text.contains("platform:tenants"))
            }
        }
    }

    @Test("a role change made on one instance reaches another")
    func invalidationAcrossInstances() async throws {
        try await withTestDatabase("rbac_notify", runPool: false) { database, handle in
            let first = try await makeDependencies(database)
            let second = try await makeDependencies(Database(url: handle.runtime, maxConnections: 4, logger: Logger(label: "tests.b")))
            let fixtures = Fixtures(first)
            try await buildApplication(first).test(.router) { clientA in
                try await buildApplication(second).test(.router) { clientB in
                    let tenant = try await fixtures.setup("notify")
                    let root = bearer(try await clientA.login("notify-root")["access_token"])
                    let admin = bearer(try await clientB.login("notify-admin")["access_token"])
                    // Instance B caches the administrator's permissions.
                    #expect(try await clientB.get("/api/v1/roles", headers: admin).status == .ok)
                    let adminRole = tenant.roles["admin"]?.uuidString ?? ""
                    #expect(try await clientA.put("/api/v1/roles/\(adminRole)/menus", ["menu_ids": []], headers: root).status == .ok)
                    var status = HTTPResponse.Status.ok
                    for _ in 0..<40 where status == .ok {
                        status = try await clientB.get("/api/v1/roles", headers: admin).status
                        if status == .ok { try await Task.sleep(for: .milliseconds(50)) }
                    }
                    #expect(status == .forbidden)
                }
            }
        }
    }

    @Test("administrators cannot grant what they do not hold, nor platform menus")
    func grantingRules() async throws {
        try await withTestDatabase("rbac_grant", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let tenant = try await fixtures.setup("grant")
                let admin = bearer(try await client.login("grant-admin")["access_token"])
                let root = bearer(try await client.login("grant-root")["access_token"])
                let auditButton = try await menuID("btn:system:audit:list", in: database)
                let denied = try await client.post(
                    "/api/v1/roles", ["code": "auditor", "name": "Auditor", "menu_ids": [.string(auditButton.uuidString)]], headers: admin)
                #expect(denied.status == .forbidden)
                #expect(denied.jsonBody["error"]?["code"] == "PERMISSION_NOT_HELD")
                #expect(denied.jsonBody["error"]?["details"]?["permissions"] == ["system:audit:list"])
                let superRole = JSONValue.string(tenant.roles["super_admin"]?.uuidString ?? "")
                let escalate = try await client.put("/api/v1/users/\(tenant.admin)/roles", ["role_ids": [superRole]], headers: admin)
                #expect(escalate.status == .forbidden)
                let platformMenu = try await menuID("btn:platform:tenant:list", in: database)
                let platform = try await client.post(
                    "/api/v1/roles", ["code": "sneaky", "name": "Sneaky", "menu_ids": [.string(platformMenu.uuidString)]], headers: root)
                #expect(platform.status == .forbidden)
                #expect(platform.jsonBody["error"]?["code"] == "PLATFORM_MENU")
                let system = try await client.execute(uri: "/api/v1/roles/\(tenant.roles["member"]?.uuidString ?? "")", method: .delete, headers: root)
                #expect(system.status == .conflict)
                // What the super administrator can grant, they can.
                #expect(try await client.post(
                    "/api/v1/roles", ["code": "auditor", "name": "Auditor", "menu_ids": [.string(auditButton.uuidString)]], headers: root).status == .created)
            }
        }
    }

    @Test("platform administrators manage tenants; suspension locks out members and keys at once")
    func tenantsAndSuspension() async throws {
        try await withTestDatabase("rbac_tenants", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let home = try await fixtures.tenant("home")
                try await fixtures.user("operator", tenants: [home], admin: true)
                let platform = bearer(try await client.login("operator")["access_token"])
                let created = try await client.post("/api/v1/tenants", ["code": "newco", "name": "NewCo", "plan": "free"], headers: platform)
                #expect(created.status == .created)
                let tenantID = created.jsonBody["id"]?.stringValue ?? ""
                #expect(try await client.post("/api/v1/tenants", ["code": "newco", "name": "Again"], headers: platform).status == .conflict)
                #expect(try await client.post("/api/v1/tenants", ["code": "X", "name": ""], headers: platform).status == .unprocessableContent)

                // The new tenant has its default roles; its first administrator is added as a member.
                let newAdmin = try await client.post(
                    "/api/v1/users", ["username": "newco-admin", "password": "Newco-Admin-Pass-1"],
                    headers: platform.merging([HTTPField.Name("X-Tenant-ID")!: tenantID]))
                #expect(newAdmin.status == .created)
                let roles = try await client.get("/api/v1/roles", headers: platform.merging([HTTPField.Name("X-Tenant-ID")!: tenantID]))
                #expect(roles.jsonBody["total"] == 3)
                let member = try await client.login("newco-admin", "Newco-Admin-Pass-1")
                #expect(member["tenant"]?["code"] == "newco")
                let key = try await client.post("/api/v1/api-keys", ["name": "k"], headers: bearer(member["access_token"])).jsonBody["key"]?.stringValue ?? ""
                #expect(try await client.get("/api/v1/auth/me", headers: [.authorization: "Bearer \(key)"]).status == .ok)

                let suspended = try await client.put("/api/v1/tenants/\(tenantID)", ["status": "suspended"], headers: platform)
                #expect(suspended.jsonBody["status"] == "suspended")
                #expect(try await client.get("/api/v1/auth/me", headers: bearer(member["access_token"])).status == .unauthorized)
                #expect(try await client.get("/api/v1/auth/me", headers: [.authorization: "Bearer \(key)"]).status == .unauthorized)
                #expect(try await client.post("/api/v1/auth/login", ["username": "newco-admin", "password": "Newco-Admin-Pass-1"]).status == .unauthorized)

                let audit = try await client.get("/api/v1/audit-logs?action=tenant.&tenant_id=\(tenantID)", headers: platform)
                #expect(audit.jsonBody["total"] == 2)
                #expect(audit.text.contains("suspended"))
                #expect(try await client.get("/api/v1/tenants/\(UUID())", headers: platform).status == .notFound)
            }
        }
    }

    @Test("X-Tenant-ID switches tenant only where a membership exists")
    func tenantSwitch() async throws {
        try await withTestDatabase("rbac_switch", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let one = try await fixtures.setup("one"), two = try await fixtures.setup("two")
                let other = try await fixtures.tenant("other")
                try await database.withPlatformScope { tx in
                    try await tx.query("INSERT INTO tenant_memberships (tenant_id, id, user_id) VALUES (\(two.id), \(UUID.v7()), \(one.superAdmin))")
                }
                let token = bearer(try await client.login("one-root")["access_token"])
                func me(_ tenant: UUID?) async throws -> TestResponse {
                    var headers = token
                    if let tenant { headers[HTTPField.Name("X-Tenant-ID")!] = tenant.uuidString }
                    return try await client.get("/api/v1/auth/me", headers: headers)
                }
                #expect(try await me(nil).jsonBody["tenant"]?["code"] == "one")
                let switched = try await me(two.id)
                #expect(switched.jsonBody["tenant"]?["code"] == "two")
                #expect(switched.jsonBody["roles"] == [])
                let refused = try await me(other)
                #expect(refused.status == .forbidden)
                #expect(refused.jsonBody["error"]?["code"] == "TENANT_ACCESS_DENIED")
                #expect(try await client.get("/api/v1/auth/me", headers: token.merging([HTTPField.Name("X-Tenant-ID")!: "nope"])).status == .unprocessableContent)
            }
        }
    }

    @Test("a burst over the limit gets 429 with the rate-limit headers")
    func rateLimit() async throws {
        try await withTestDatabase("rbac_ratelimit", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["RATE_LIMIT_DEFAULT": "5", "RATE_LIMIT_AUTH": "3", "RATE_LIMIT_PLANS": "free=2"])
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                var statuses: [HTTPResponse.Status] = []
                for _ in 0..<6 {
                    let response = try await client.get("/health")
                    statuses.append(response.status)
                    #expect(response.headers[HTTPField.Name("X-RateLimit-Limit")!] == "5")
                    #expect(response.headers[HTTPField.Name("X-RateLimit-Remaining")!] != nil)
                    #expect(response.headers[HTTPField.Name("X-RateLimit-Reset")!] != nil)
                    #expect(response.headers[HTTPField.Name("RateLimit-Policy")!] != nil)
                    if response.status == .tooManyRequests {
                        #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
                        #expect(response.jsonBody["error"]?["code"] == "RATE_LIMITED")
                    }
                }
                #expect(statuses == [.ok, .ok, .ok, .ok, .ok, .tooManyRequests])

                // A tenant on the free plan: its users get the plan's limit, counted per user.
                let tenant = try await fixtures.tenant("frugal")
                try await database.withPlatformScope { tx in try await tx.query("UPDATE tenants SET plan = 'free' WHERE id = \(tenant)") }
                try await fixtures.user("penny", tenants: [tenant])
                let token = bearer(try await client.login("penny")["access_token"])
                var planned: [HTTPResponse.Status] = []
                for _ in 0..<3 {
                    let response = try await client.get("/api/v1/auth/me", headers: token)
                    planned.append(response.status)
                    #expect(response.headers[HTTPField.Name("X-RateLimit-Limit")!] == "2")
                }
                #expect(planned == [.ok, .ok, .tooManyRequests])

                // Sign-in has its own, stricter budget (one attempt is spent above); errors carry the headers too.
                var login: [HTTPResponse.Status] = []
                for _ in 0..<3 {
                    let response = try await client.post("/api/v1/auth/login", ["username": "x", "password": "y"])
                    login.append(response.status)
                    #expect(response.headers[HTTPField.Name("X-RateLimit-Limit")!] == "3")
                }
                #expect(login == [.unauthorized, .unauthorized, .tooManyRequests])
            }
        }
    }
}

extension HTTPFields {
    func merging(_ other: HTTPFields) -> HTTPFields {
        var copy = self
        for field in other { copy[field.name] = field.value }
        return copy
    }
}
