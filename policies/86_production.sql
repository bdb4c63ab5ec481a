-- Production (the short-video platform): inspirations and projects belong to the person who
-- made them (visible to the whole tenant by default); the rest follows the tenant.
SELECT app.apply_tenant_policies('project_types');
SELECT app.apply_tenant_policies('inspirations', true);
SELECT app.apply_tenant_policies('projects', true);
SELECT app.apply_tenant_policies('worker_configs');
SELECT app.apply_tenant_policies('task_worker_configs');
SELECT app.apply_tenant_policies('n8n_calls');
SELECT app.apply_tenant_policies('n8n_callbacks');
