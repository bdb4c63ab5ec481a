-- The operator center: operators and algorithms carry an owner and a visibility; their versions,
-- dependencies, the tenant's MCP servers and synced templates follow the tenant (the routes
-- reach them only through an operator or algorithm the caller can see).
SELECT app.apply_tenant_policies('operators', true);
SELECT app.apply_tenant_policies('operator_versions');
SELECT app.apply_tenant_policies('operator_dependencies');
SELECT app.apply_tenant_policies('operator_mcp_servers');
SELECT app.apply_tenant_policies('operator_templates');
SELECT app.apply_tenant_policies('algorithms', true);
SELECT app.apply_tenant_policies('algorithm_versions');
