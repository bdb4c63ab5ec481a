-- Tenancy core. Tenants and users are platform-level rows: a tenant sees its own tenant row,
-- a user sees themself and the members of the current tenant; everything else needs the
-- platform scope.

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_self ON tenants;
DROP POLICY IF EXISTS platform_all ON tenants;
CREATE POLICY tenant_self ON tenants FOR SELECT USING (id = (SELECT app.current_tenant_id()));
CREATE POLICY platform_all ON tenants USING (app.is_platform_scope()) WITH CHECK (app.is_platform_scope());

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS user_self ON users;
DROP POLICY IF EXISTS tenant_members ON users;
DROP POLICY IF EXISTS platform_all ON users;
CREATE POLICY user_self ON users USING (id = (SELECT app.current_user_id())) WITH CHECK (id = (SELECT app.current_user_id()));
CREATE POLICY tenant_members ON users FOR SELECT USING (
    EXISTS (SELECT 1 FROM tenant_memberships m
            WHERE m.user_id = users.id AND m.tenant_id = (SELECT app.current_tenant_id())));
CREATE POLICY platform_all ON users USING (app.is_platform_scope()) WITH CHECK (app.is_platform_scope());

SELECT app.apply_tenant_policies('tenant_memberships');
