import Foundation
import Logging
import PlatformDatabase
import PlatformSupport
import PlatformTesting
import PostgresNIO
import Testing

@Suite("Row-level security")
struct RowLevelSecurityTests {
    let logger = Logger(label: "tests.rls")

    @Test("every table with a tenant_id has RLS enabled and forced")
    func everyTenantTableIsForced() async throws {
        try await withTestDatabase("rls_catalog") { _, handle in
            let rows = try await handle.owner.withSingleConnection(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
                    """, logger: logger)
                return try await rows.decode((String, Bool, Bool).self).array()
            }
            #expect(!rows.isEmpty)
            for (table, enabled, forced) in rows {
                #expect(enabled, "RLS is not enabled on \(table)")
                #expect(forced, "RLS is not forced on \(table)")
            }
        }
    }

    @Test("the runtime role owns nothing and cannot bypass RLS")
    func runtimeRoleIsPowerless() async throws {
        try await withTestDatabase("rls_runtime_role") { _, handle in
            let (owned, bypass, superuser, member) = try await handle.runtime.withSingleConnection(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    SELECT (SELECT count(*)::int FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = current_user),
                           r.rolbypassrls, r.rolsuper, pg_has_role(current_user, 'platform_runtime', 'MEMBER')
                    FROM pg_roles r WHERE r.rolname = current_user
                    """, logger: logger)
                return try await rows.decode((Int, Bool, Bool, Bool).self).array()[0]
            }
            #expect(owned == 0)
            #expect(!bypass)
            #expect(!superuser)
            #expect(member)
        }
    }

    @Test("rows written under tenant A are invisible under tenant B and under no tenant, on the same pooled connection")
    func tenantIsolation() async throws {
        try await withTestDatabase("rls_isolation", maxConnections: 1) { database, _ in
            let tenantA = UUID.v7(), tenantB = UUID.v7(), user = UUID.v7()
            try await database.withPlatformScope { tx in
                for (id, code) in [(tenantA, "tenant-a"), (tenantB, "tenant-b")] {
                    try await tx.query("INSERT INTO tenants (id, code, name) VALUES (\(id), \(code), \(code))")
                }
                try await tx.query("INSERT INTO users (id, username) VALUES (\(user), 'alice')")
            }
            try await database.withTenant(TenantScope(tenantID: tenantA)) { tx in
                try await tx.query("INSERT INTO tenant_memberships (tenant_id, id, user_id) VALUES (\(tenantA), \(UUID.v7()), \(user))")
            }
            // One connection in the pool: B's transaction runs on the connection A just used.
            let seenByA = try await database.withTenant(TenantScope(tenantID: tenantA)) { tx in
                try await tx.first("SELECT count(*)::int FROM tenant_memberships", as: Int.self)
            }
            let seenByB = try await database.withTenant(TenantScope(tenantID: tenantB)) { tx in
                try await tx.first("SELECT count(*)::int FROM tenant_memberships", as: Int.self)
            }
            let tenantsSeenByB = try await database.withTenant(TenantScope(tenantID: tenantB)) { tx in
                try await tx.all("SELECT id FROM tenants", as: UUID.self)
            }
            let seenUnscoped = try await database.client.withConnection { connection in
                try await connection.query("SELECT count(*)::int FROM tenant_memberships", logger: logger).collect()[0].decode(Int.self)
            }
            let usersUnscoped = try await database.client.withConnection { connection in
                try await connection.query("SELECT count(*)::int FROM users", logger: logger).collect()[0].decode(Int.self)
            }
            #expect(seenByA == 1)
            #expect(seenByB == 0)
            #expect(tenantsSeenByB == [tenantB])
            #expect(seenUnscoped == 0)
            #expect(usersUnscoped == 0)
        }
    }

    @Test("a tenant cannot write rows into another tenant")
    func crossTenantWriteRefused() async throws {
        try await withTestDatabase("rls_write") { database, _ in
            let tenantA = UUID.v7(), tenantB = UUID.v7(), user = UUID.v7()
            try await database.withPlatformScope { tx in
                try await tx.query("INSERT INTO tenants (id, code, name) VALUES (\(tenantA), 'write-a', 'A'), (\(tenantB), 'write-b', 'B')")
                try await tx.query("INSERT INTO users (id, username) VALUES (\(user), 'bob')")
            }
            await #expect(throws: PSQLError.self) {
                try await database.withTenant(TenantScope(tenantID: tenantA)) { tx in
                    try await tx.query("INSERT INTO tenant_memberships (tenant_id, id, user_id) VALUES (\(tenantB), \(UUID.v7()), \(user))")
                }
            }
        }
    }

    @Test("the visibility model: private, role, tenant and public rows under both data scopes")
    func visibilityModel() async throws {
        try await withTestDatabase("rls_visibility") { database, handle in
            // A table of the shape later modules use, with the standard policies applied.
            try await handle.owner.withSingleConnection(logger: logger) { connection in
                for statement in [
                    "CREATE TABLE notes (tenant_id uuid NOT NULL, id uuid NOT NULL, owner_id uuid NOT NULL, visibility visibility NOT NULL, visible_role_ids uuid[] NOT NULL DEFAULT '{}', title text NOT NULL, PRIMARY KEY (tenant_id, id))",
                    "SELECT app.apply_tenant_policies('notes', true)",
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO platform_runtime",
                ] {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
            let tenant = UUID.v7(), other = UUID.v7()
            let alice = UUID.v7(), bob = UUID.v7(), editors = UUID.v7()
            try await database.withPlatformScope { tx in
                try await tx.query("INSERT INTO tenants (id, code, name) VALUES (\(tenant), 'vis-t', 'T'), (\(other), 'vis-o', 'O')")
            }
            let aliceScope = TenantScope(tenantID: tenant, userID: alice, dataScope: .own)
            try await database.withTenant(aliceScope) { tx in
                for (title, visibility, roles) in [("private", "private", [UUID]()), ("role", "role", [editors]), ("tenant", "tenant", []), ("public", "public", [])] {
                    try await tx.query(
                        "INSERT INTO notes (tenant_id, id, owner_id, visibility, visible_role_ids, title) VALUES (\(tenant), \(UUID.v7()), \(alice), \(visibility)::visibility, \(roles), \(title))")
                }
            }
            func titles(_ scope: TenantScope) async throws -> Set<String> {
                Set(try await database.withTenant(scope) { tx in try await tx.all("SELECT title FROM notes", as: String.self) })
            }
            #expect(try await titles(aliceScope) == ["private", "role", "tenant", "public"])
            #expect(try await titles(TenantScope(tenantID: tenant, userID: bob, dataScope: .own)) == ["tenant", "public"])
            #expect(try await titles(TenantScope(tenantID: tenant, userID: bob, dataScope: .own, roleIDs: [editors])) == ["role", "tenant", "public"])
            #expect(try await titles(TenantScope(tenantID: tenant, userID: bob, dataScope: .all)) == ["private", "role", "tenant", "public"])
            #expect(try await titles(TenantScope(tenantID: other, userID: bob, dataScope: .all)) == ["public"])

            // Bob with data scope "self" may read the tenant note but not change it.
            let updated = try await database.withTenant(TenantScope(tenantID: tenant, userID: bob, dataScope: .own)) { tx in
                try await tx.execute("UPDATE notes SET title = 'hijacked' WHERE title = 'tenant' RETURNING id")
            }
            #expect(updated == 0)
            // Another tenant cannot change even a public row.
            let updatedElsewhere = try await database.withTenant(TenantScope(tenantID: other, userID: bob, dataScope: .all)) { tx in
                try await tx.execute("UPDATE notes SET title = 'hijacked' WHERE title = 'public' RETURNING id")
            }
            #expect(updatedElsewhere == 0)
        }
    }
}
