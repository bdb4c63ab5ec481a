-- The per-request session check as one statement: it scopes itself to the token's tenant and
-- user (transaction-local, restored before returning), so authentication costs one round trip
-- instead of BEGIN / set_config / SELECT / COMMIT. Row-level security applies as usual.
CREATE OR REPLACE FUNCTION app.session_state(target_tenant uuid, target_session uuid, target_user uuid)
    RETURNS TABLE (live boolean, user_status text, is_platform_admin boolean, tenant_status text, membership_status text, plan text)
    LANGUAGE plpgsql
    AS $fn$
    DECLARE
        previous_scope text := current_setting('app.scope', true);
        previous_tenant text := current_setting('app.tenant_id', true);
        previous_user text := current_setting('app.user_id', true);
    BEGIN
        PERFORM set_config('app.scope', 'tenant', true), set_config('app.tenant_id', target_tenant::text, true),
                set_config('app.user_id', target_user::text, true);
        RETURN QUERY
            SELECT s.revoked_at IS NULL AND s.expires_at > now() AND u.deleted_at IS NULL AND t.deleted_at IS NULL,
                   u.status, u.is_platform_admin, t.status, m.status, t.plan
            FROM sessions s
            JOIN users u ON u.id = s.user_id
            JOIN tenants t ON t.id = s.tenant_id
            LEFT JOIN tenant_memberships m ON m.tenant_id = s.tenant_id AND m.user_id = s.user_id
            WHERE s.tenant_id = target_tenant AND s.id = target_session AND s.user_id = target_user;
        PERFORM set_config('app.scope', coalesce(previous_scope, ''), true), set_config('app.tenant_id', coalesce(previous_tenant, ''), true),
                set_config('app.user_id', coalesce(previous_user, ''), true);
    END
    $fn$;
