-- The social module's tables follow the tenant: platform accounts, connections and posts are
-- the tenant's shared resources (the routes' permissions decide who may touch them).
SELECT app.apply_tenant_policies('platform_accounts');
SELECT app.apply_tenant_policies('platform_account_uses');
SELECT app.apply_tenant_policies('social_connections');
SELECT app.apply_tenant_policies('social_posts');
SELECT app.apply_tenant_policies('social_post_targets');
SELECT app.apply_tenant_policies('social_post_metrics');
