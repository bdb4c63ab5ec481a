-- Usage and custom metrics belong to the tenant (no owner: tenant-wide figures).
SELECT app.apply_tenant_policies('api_usage_minutes');
SELECT app.apply_tenant_policies('active_users_daily');
SELECT app.apply_tenant_policies('model_usage_minutes');
SELECT app.apply_tenant_policies('custom_metric_series');
SELECT app.apply_tenant_policies('custom_metric_minutes');
