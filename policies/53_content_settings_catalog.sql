-- Permission codes and menus of the content module and the settings module. Applied after
-- 52_integrations_catalog.sql; every code here is required by a route.

INSERT INTO permissions (code, name, scope) VALUES
    ('content:item:list', 'List content', 'tenant'),
    ('content:item:create', 'Create content', 'tenant'),
    ('content:item:read', 'View content and its revisions', 'tenant'),
    ('content:item:update', 'Edit content', 'tenant'),
    ('content:item:delete', 'Delete content', 'tenant'),
    ('content:item:approve', 'Approve (publish) or reject content', 'tenant'),
    ('settings:tenant:read', 'View the tenant''s settings', 'tenant'),
    ('settings:tenant:create', 'Create tenant settings', 'tenant'),
    ('settings:tenant:update', 'Change tenant settings', 'tenant'),
    ('settings:tenant:delete', 'Delete tenant settings', 'tenant'),
    ('settings:integration:read', 'View the state of integrations', 'tenant'),
    ('settings:secret:manage', 'Store integration secrets (write-only)', 'tenant'),
    ('platform:settings:read', 'View the platform configuration', 'platform'),
    ('platform:settings:update', 'Change runtime platform settings', 'platform')
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, scope = EXCLUDED.scope;

INSERT INTO menus (id, parent_id, code, name, type, path, icon, component, permission, sort)
SELECT md5('menu:' || m.code)::uuid, CASE WHEN m.parent IS NULL THEN NULL ELSE md5('menu:' || m.parent)::uuid END,
       m.code, m.name, m.type, m.path, m.icon, m.component, NULL, m.sort
FROM (VALUES
    ('content', NULL, 'Content', 'directory', '/content', 'edit', NULL, 20),
    ('content:items', 'content', 'Articles', 'menu', '/content/items', 'documentation', 'content/items/index', 1),
    ('settings', NULL, 'Settings', 'directory', '/settings', 'setting', NULL, 80),
    ('settings:tenant', 'settings', 'Tenant settings', 'menu', '/settings/tenant', 'form', 'settings/tenant/index', 1),
    ('platform:settings', 'platform', 'Platform settings', 'menu', '/platform/settings', 'system', 'platform/settings/index', 4)
) AS m(code, parent, name, type, path, icon, component, sort)
ON CONFLICT (code) DO UPDATE SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, type = EXCLUDED.type, path = EXCLUDED.path,
    icon = EXCLUDED.icon, component = EXCLUDED.component, permission = EXCLUDED.permission, sort = EXCLUDED.sort;

INSERT INTO menus (id, parent_id, code, name, type, path, icon, component, permission, sort)
SELECT md5('menu:btn:' || p.code)::uuid, md5('menu:' || b.parent)::uuid, 'btn:' || p.code, p.name, 'button', NULL, NULL, NULL, p.code, b.sort
FROM (VALUES
    ('content:item:list', 'content:items', 1), ('content:item:create', 'content:items', 2), ('content:item:read', 'content:items', 3),
    ('content:item:update', 'content:items', 4), ('content:item:delete', 'content:items', 5), ('content:item:approve', 'content:items', 6),
    ('settings:tenant:read', 'settings:tenant', 1), ('settings:tenant:create', 'settings:tenant', 2),
    ('settings:tenant:update', 'settings:tenant', 3), ('settings:tenant:delete', 'settings:tenant', 4),
    ('settings:integration:read', 'settings:tenant', 5), ('settings:secret:manage', 'settings:tenant', 6),
    ('platform:settings:read', 'platform:settings', 1), ('platform:settings:update', 'platform:settings', 2)
) AS b(code, parent, sort)
JOIN permissions p ON p.code = b.code
ON CONFLICT (code) DO UPDATE SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, type = EXCLUDED.type,
    permission = EXCLUDED.permission, sort = EXCLUDED.sort;

SELECT app.ensure_default_roles(id) FROM tenants;
