-- Helpers the row-level security policies read. The request's scope is set per transaction by
-- Database.withTenant / withPlatformScope (set_config(..., true)); unset means "no rows".

CREATE OR REPLACE FUNCTION app.current_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE OR REPLACE FUNCTION app.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

-- 'all' (tenant-wide) or 'self'; anything unset reads as the narrower 'self'.
CREATE OR REPLACE FUNCTION app.data_scope() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN current_setting('app.data_scope', true) = 'all' THEN 'all' ELSE 'self' END $$;

CREATE OR REPLACE FUNCTION app.role_ids() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(string_to_array(nullif(current_setting('app.role_ids', true), ''), ',')::uuid[], '{}') $$;

CREATE OR REPLACE FUNCTION app.is_platform_scope() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('app.scope', true) = 'platform', false) $$;

-- Read rule for rows with an owner and a visibility, inside the current tenant.
CREATE OR REPLACE FUNCTION app.row_visible(owner_id uuid, row_visibility visibility, visible_role_ids uuid[]) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT CASE row_visibility
            WHEN 'public' THEN true
            WHEN 'tenant' THEN true
            WHEN 'role' THEN owner_id = app.current_user_id() OR app.data_scope() = 'all'
                             OR coalesce(visible_role_ids && app.role_ids(), false)
            ELSE owner_id = app.current_user_id() OR app.data_scope() = 'all'
        END
    $$;

-- Write rule for rows with an owner: data scope 'all' writes any row of the tenant, 'self' its own.
CREATE OR REPLACE FUNCTION app.row_writable(owner_id uuid) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT app.data_scope() = 'all' OR owner_id = app.current_user_id() $$;

-- (Re)creates the standard policies on a tenant-owned table. Every table with a tenant_id
-- calls this from policies/. `owned` tables also carry owner_id, visibility and
-- visible_role_ids and get the visibility and data-scope rules.
CREATE OR REPLACE FUNCTION app.apply_tenant_policies(target regclass, owned boolean DEFAULT false) RETURNS void
    LANGUAGE plpgsql
    AS $fn$
    DECLARE
        policy record;
        tenant_match constant text := 'tenant_id = (SELECT app.current_tenant_id())';
    BEGIN
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
        FOR policy IN SELECT polname FROM pg_policy WHERE polrelid = target LOOP
            EXECUTE format('DROP POLICY %I ON %s', policy.polname, target);
        END LOOP;
        IF owned THEN
            EXECUTE format(
                'CREATE POLICY tenant_read ON %s FOR SELECT USING (app.is_platform_scope() OR visibility = ''public'' OR (%s AND app.row_visible(owner_id, visibility, visible_role_ids)))',
                target, tenant_match);
            EXECUTE format(
                'CREATE POLICY tenant_insert ON %s FOR INSERT WITH CHECK (app.is_platform_scope() OR (%s AND app.row_writable(owner_id)))',
                target, tenant_match);
            EXECUTE format(
                'CREATE POLICY tenant_update ON %s FOR UPDATE USING (app.is_platform_scope() OR (%s AND app.row_writable(owner_id))) WITH CHECK (app.is_platform_scope() OR (%s AND app.row_writable(owner_id)))',
                target, tenant_match, tenant_match);
            EXECUTE format(
                'CREATE POLICY tenant_delete ON %s FOR DELETE USING (app.is_platform_scope() OR (%s AND app.row_writable(owner_id)))',
                target, tenant_match);
        ELSE
            EXECUTE format(
                'CREATE POLICY tenant_isolation ON %s USING (app.is_platform_scope() OR %s) WITH CHECK (app.is_platform_scope() OR %s)',
                target, tenant_match, tenant_match);
        END IF;
    END
    $fn$;

-- A module's RBAC catalog in one call: its menus (directories and pages) and its permission
-- codes, each with the button that grants it under its menu. `member: true` marks what the
-- default member role gets. Idempotent: re-applied with the policies.
--   menus:       [{"code", "parent", "name", "type", "path", "icon", "component", "sort", "member"}]
--   permissions: [{"code", "name", "scope", "menu", "member"}]
CREATE OR REPLACE FUNCTION app.register_catalog(p_menus jsonb, p_permissions jsonb) RETURNS void
    LANGUAGE plpgsql
    AS $fn$
    DECLARE
        item jsonb;
        position integer := 0;
    BEGIN
        INSERT INTO permissions (code, name, scope)
        SELECT p->>'code', p->>'name', coalesce(p->>'scope', 'tenant') FROM jsonb_array_elements(p_permissions) AS p
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, scope = EXCLUDED.scope;
        -- In order, so parents exist before their children.
        FOR item IN SELECT * FROM jsonb_array_elements(p_menus) LOOP
            INSERT INTO menus (id, parent_id, code, name, type, path, icon, component, permission, sort, member_default)
            VALUES (md5('menu:' || (item->>'code'))::uuid,
                    CASE WHEN item->>'parent' IS NULL THEN NULL ELSE md5('menu:' || (item->>'parent'))::uuid END,
                    item->>'code', item->>'name', coalesce(item->>'type', 'menu'), item->>'path', item->>'icon', item->>'component', NULL,
                    coalesce((item->>'sort')::int, 0), coalesce((item->>'member')::boolean, false))
            ON CONFLICT (code) DO UPDATE SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, type = EXCLUDED.type, path = EXCLUDED.path,
                icon = EXCLUDED.icon, component = EXCLUDED.component, sort = EXCLUDED.sort, member_default = EXCLUDED.member_default;
        END LOOP;
        FOR item IN SELECT * FROM jsonb_array_elements(p_permissions) LOOP
            position := position + 1;
            INSERT INTO menus (id, parent_id, code, name, type, path, icon, component, permission, sort, member_default)
            VALUES (md5('menu:btn:' || (item->>'code'))::uuid, md5('menu:' || (item->>'menu'))::uuid, 'btn:' || (item->>'code'),
                    item->>'name', 'button', NULL, NULL, NULL, item->>'code', position, coalesce((item->>'member')::boolean, false))
            ON CONFLICT (code) DO UPDATE SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, type = EXCLUDED.type,
                permission = EXCLUDED.permission, sort = EXCLUDED.sort, member_default = EXCLUDED.member_default;
        END LOOP;
    END
    $fn$;
