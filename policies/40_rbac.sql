-- RBAC tables. The catalog and menus are readable by every signed-in scope and writable only
-- in the platform scope; roles and grants are tenant rows.
ALTER TABLE permissions ENABLE ROW LEVEL SECURITY;
ALTER TABLE permissions FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS read_all ON permissions;
DROP POLICY IF EXISTS platform_write ON permissions;
CREATE POLICY read_all ON permissions FOR SELECT USING (true);
CREATE POLICY platform_write ON permissions USING (app.is_platform_scope()) WITH CHECK (app.is_platform_scope());

ALTER TABLE menus ENABLE ROW LEVEL SECURITY;
ALTER TABLE menus FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS read_all ON menus;
DROP POLICY IF EXISTS platform_write ON menus;
CREATE POLICY read_all ON menus FOR SELECT USING (true);
CREATE POLICY platform_write ON menus USING (app.is_platform_scope()) WITH CHECK (app.is_platform_scope());

SELECT app.apply_tenant_policies('roles');
SELECT app.apply_tenant_policies('role_menus');
SELECT app.apply_tenant_policies('role_default_grants');
SELECT app.apply_tenant_policies('user_roles');

-- Members with data scope 'self' see only themselves among the tenant's users.
DROP POLICY IF EXISTS tenant_members ON users;
CREATE POLICY tenant_members ON users FOR SELECT USING (
    (app.data_scope() = 'all' OR id = (SELECT app.current_user_id()))
    AND EXISTS (SELECT 1 FROM tenant_memberships m
                WHERE m.user_id = users.id AND m.tenant_id = (SELECT app.current_tenant_id())));

-- The default roles of a tenant, idempotently. super_admin is granted every tenant menu
-- (so it holds every tenant permission, including ones added later).
CREATE OR REPLACE FUNCTION app.ensure_default_roles(target uuid) RETURNS void
    LANGUAGE sql
    AS $fn$
    INSERT INTO roles (tenant_id, id, code, name, description, data_scope, is_system)
    SELECT target, md5(target::text || ':role:' || r.code)::uuid, r.code, r.name, r.description, r.data_scope, true
    FROM (VALUES
        ('super_admin', 'Super administrator', 'Every permission of the tenant', 'all'),
        ('admin', 'Administrator', 'Manages users and roles', 'all'),
        ('member', 'Member', 'Signed-in member; sees own data', 'self')
    ) AS r(code, name, description, data_scope)
    WHERE NOT EXISTS (SELECT 1 FROM roles x WHERE x.tenant_id = target AND x.code = r.code AND x.deleted_at IS NULL)
    ON CONFLICT (tenant_id, id) DO NOTHING;

    INSERT INTO role_menus (tenant_id, role_id, menu_id)
    SELECT target, r.id, m.id
    FROM roles r, menus m LEFT JOIN permissions p ON p.code = m.permission
    WHERE r.tenant_id = target AND r.code = 'super_admin' AND r.deleted_at IS NULL
      AND coalesce(p.scope, 'tenant') = 'tenant' AND m.code NOT LIKE 'platform%'
    ON CONFLICT DO NOTHING;

    INSERT INTO role_menus (tenant_id, role_id, menu_id)
    SELECT target, r.id, m.id
    FROM roles r, menus m
    WHERE r.tenant_id = target AND r.code = 'admin' AND r.deleted_at IS NULL AND r.is_system
      AND NOT EXISTS (SELECT 1 FROM role_menus g WHERE g.tenant_id = target AND g.role_id = r.id)
      AND (m.code IN ('system', 'system:users', 'system:roles', 'system:menus', 'system:permissions')
       OR m.permission LIKE 'system:user:%' OR m.permission LIKE 'system:role:%'
       OR m.permission IN ('system:menu:list', 'system:permission:list'))
    ON CONFLICT DO NOTHING;

    -- Members work with their own tasks and commands (data scope 'self' keeps them to their
    -- own rows). Granted while the role holds none of the workflows menus, so a tenant that
    -- narrows them keeps its choice.
    INSERT INTO role_menus (tenant_id, role_id, menu_id)
    SELECT target, r.id, m.id
    FROM roles r, menus m
    WHERE r.tenant_id = target AND r.code = 'member' AND r.deleted_at IS NULL AND r.is_system
      AND NOT EXISTS (SELECT 1 FROM role_menus g JOIN menus gm ON gm.id = g.menu_id
                      WHERE g.tenant_id = target AND g.role_id = r.id AND gm.code LIKE 'workflows%')
      AND (m.code IN ('workflows', 'workflows:tasks', 'workflows:commands')
       OR m.permission IN ('workflow:task:list', 'workflow:task:create', 'workflow:task:read', 'workflow:task:update',
                           'workflow:task:delete', 'workflow:task:execute', 'workflow:task:cancel', 'workflow:task:stats',
                           'workflow:bulk:execute', 'workflow:command:list', 'workflow:command:create',
                           'workflow:command:read', 'workflow:command:cancel'))
    ON CONFLICT DO NOTHING;

    -- And with their own files, on the same terms.
    INSERT INTO role_menus (tenant_id, role_id, menu_id)
    SELECT target, r.id, m.id
    FROM roles r, menus m
    WHERE r.tenant_id = target AND r.code = 'member' AND r.deleted_at IS NULL AND r.is_system
      AND NOT EXISTS (SELECT 1 FROM role_menus g JOIN menus gm ON gm.id = g.menu_id
                      WHERE g.tenant_id = target AND g.role_id = r.id AND gm.code LIKE 'files%')
      AND (m.code IN ('files', 'files:library') OR m.permission LIKE 'file:file:%')
    ON CONFLICT DO NOTHING;

    -- And write their own content (approval stays with those granted it) and read the settings.
    INSERT INTO role_menus (tenant_id, role_id, menu_id)
    SELECT target, r.id, m.id
    FROM roles r, menus m
    WHERE r.tenant_id = target AND r.code = 'member' AND r.deleted_at IS NULL AND r.is_system
      AND NOT EXISTS (SELECT 1 FROM role_menus g JOIN menus gm ON gm.id = g.menu_id
                      WHERE g.tenant_id = target AND g.role_id = r.id AND gm.code LIKE 'content%')
      AND (m.code IN ('content', 'content:items')
       OR m.permission IN ('content:item:list', 'content:item:create', 'content:item:read', 'content:item:update',
                           'content:item:delete', 'settings:tenant:read'))
    ON CONFLICT DO NOTHING;

    -- Modules registered with app.register_catalog mark their member menus: each is given to
    -- the member role once (recorded in role_default_grants), so a tenant that takes one away
    -- keeps its choice when the policies are applied again.
    WITH due AS (
        SELECT r.id AS role_id, m.id AS menu_id
        FROM roles r, menus m
        WHERE r.tenant_id = target AND r.code = 'member' AND r.deleted_at IS NULL AND r.is_system AND m.member_default
          AND NOT EXISTS (SELECT 1 FROM role_default_grants d WHERE d.tenant_id = target AND d.role_id = r.id AND d.menu_id = m.id)
    ), recorded AS (
        INSERT INTO role_default_grants (tenant_id, role_id, menu_id) SELECT target, role_id, menu_id FROM due
        ON CONFLICT DO NOTHING
    )
    INSERT INTO role_menus (tenant_id, role_id, menu_id) SELECT target, role_id, menu_id FROM due
    ON CONFLICT DO NOTHING;
    $fn$;

-- Whether a user belongs to a tenant other than the given one. Looks in the platform scope (a
-- tenant cannot see other tenants' memberships), answers only yes or no, and puts the caller's
-- scope back before returning.
CREATE OR REPLACE FUNCTION app.user_in_other_tenant(target_user uuid, current_tenant uuid) RETURNS boolean
    LANGUAGE plpgsql
    AS $fn$
    DECLARE
        previous text := current_setting('app.scope', true);
        found boolean;
    BEGIN
        PERFORM set_config('app.scope', 'platform', true);
        SELECT EXISTS (SELECT 1 FROM tenant_memberships WHERE user_id = target_user AND tenant_id <> current_tenant) INTO found;
        PERFORM set_config('app.scope', coalesce(previous, ''), true);
        RETURN found;
    END
    $fn$;

-- A tenant administrator changes a member's details: only a member of that tenant, only these
-- two fields (the caller checks the person belongs to no other tenant).
CREATE OR REPLACE FUNCTION app.update_member_details(tenant uuid, target_user uuid, new_display_name text, new_email text) RETURNS void
    LANGUAGE plpgsql
    AS $fn$
    DECLARE
        previous text := current_setting('app.scope', true);
    BEGIN
        PERFORM set_config('app.scope', 'platform', true);
        UPDATE users SET display_name = COALESCE(new_display_name, display_name), email = COALESCE(new_email, email), updated_at = now()
        WHERE id = target_user AND deleted_at IS NULL
          AND EXISTS (SELECT 1 FROM tenant_memberships WHERE tenant_id = tenant AND user_id = target_user);
        PERFORM set_config('app.scope', coalesce(previous, ''), true);
    END
    $fn$;
