-- Webhooks and files. Files carry an owner and a visibility; webhook rows follow the tenant.
SELECT app.apply_tenant_policies('webhook_endpoints');
SELECT app.apply_tenant_policies('webhook_deliveries');
SELECT app.apply_tenant_policies('webhook_attempts');
SELECT app.apply_tenant_policies('inbound_webhook_tokens');
SELECT app.apply_tenant_policies('inbound_webhook_events');
SELECT app.apply_tenant_policies('files', true);
