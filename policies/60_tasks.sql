-- Task engine tables. Tasks carry an owner and a visibility (members with data scope 'self'
-- see their own); their history and context rows follow the tenant.
SELECT app.apply_tenant_policies('tasks', true);
SELECT app.apply_tenant_policies('task_context_patches');
SELECT app.apply_tenant_policies('task_context_snapshots');
SELECT app.apply_tenant_policies('task_intents');
SELECT app.apply_tenant_policies('event_log');
