-- Workflows and runs carry an owner and a visibility; revisions, node states and schedules
-- follow the tenant.
SELECT app.apply_tenant_policies('workflows', true);
SELECT app.apply_tenant_policies('workflow_revisions');
SELECT app.apply_tenant_policies('workflow_runs', true);
SELECT app.apply_tenant_policies('workflow_node_runs');
SELECT app.apply_tenant_policies('workflow_schedules');
SELECT app.apply_tenant_policies('workflow_registry', true);
SELECT app.apply_tenant_policies('workflow_callbacks');
