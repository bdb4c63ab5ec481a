-- Content items carry an owner and a visibility (the public CMS reads published public ones);
-- settings and preferences follow the tenant; platform settings are platform-scope only.
SELECT app.apply_tenant_policies('content_items', true);
SELECT app.apply_tenant_policies('content_revisions');
SELECT app.apply_tenant_policies('tenant_settings');
SELECT app.apply_tenant_policies('user_preferences');

ALTER TABLE platform_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_settings FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS platform_all ON platform_settings;
CREATE POLICY platform_all ON platform_settings USING (app.is_platform_scope()) WITH CHECK (app.is_platform_scope());

SELECT app.apply_tenant_policies('tenant_secrets');
