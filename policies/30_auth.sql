-- Authentication tables.
SELECT app.apply_tenant_policies('sessions');
SELECT app.apply_tenant_policies('refresh_tokens');
SELECT app.apply_tenant_policies('api_keys');

-- External identities and login counters are read before any tenant is known.
ALTER TABLE user_identities ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_identities FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS platform_all ON user_identities;
DROP POLICY IF EXISTS user_self ON user_identities;
CREATE POLICY platform_all ON user_identities USING (app.is_platform_scope()) WITH CHECK (app.is_platform_scope());
CREATE POLICY user_self ON user_identities FOR SELECT USING (user_id = (SELECT app.current_user_id()));

ALTER TABLE login_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE login_attempts FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS platform_all ON login_attempts;
CREATE POLICY platform_all ON login_attempts USING (app.is_platform_scope()) WITH CHECK (app.is_platform_scope());

-- Audit: a tenant reads and appends its own entries; platform scope reads and appends any.
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_logs FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_read ON audit_logs;
DROP POLICY IF EXISTS tenant_append ON audit_logs;
DROP POLICY IF EXISTS platform_read ON audit_logs;
DROP POLICY IF EXISTS platform_append ON audit_logs;
CREATE POLICY tenant_read ON audit_logs FOR SELECT USING (tenant_id = (SELECT app.current_tenant_id()));
CREATE POLICY tenant_append ON audit_logs FOR INSERT WITH CHECK (tenant_id = (SELECT app.current_tenant_id()));
CREATE POLICY platform_read ON audit_logs FOR SELECT USING (app.is_platform_scope());
CREATE POLICY platform_append ON audit_logs FOR INSERT WITH CHECK (app.is_platform_scope());
REVOKE UPDATE, DELETE, TRUNCATE ON audit_logs FROM platform_runtime;
