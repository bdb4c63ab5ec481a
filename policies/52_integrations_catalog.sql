-- Permission codes and menus of webhooks (outbound and inbound) and files. Applied after
-- 51_workflows_catalog.sql; every code here is required by a route.

INSERT INTO permissions (code, name, scope) VALUES
    ('webhook:endpoint:list', 'List webhook endpoints', 'tenant'),
    ('webhook:endpoint:create', 'Create webhook endpoints', 'tenant'),
    ('webhook:endpoint:read', 'View a webhook endpoint', 'tenant'),
    ('webhook:endpoint:update', 'Change webhook endpoints', 'tenant'),
    ('webhook:endpoint:delete', 'Delete webhook endpoints', 'tenant'),
    ('webhook:endpoint:test', 'Send test webhook messages', 'tenant'),
    ('webhook:endpoint:rotate', 'Rotate webhook signing secrets', 'tenant'),
    ('webhook:delivery:list', 'View webhook deliveries', 'tenant'),
    ('webhook:delivery:redeliver', 'Redeliver webhook messages', 'tenant'),
    ('webhook:inbound:manage', 'Manage inbound webhook tokens', 'tenant'),
    ('file:file:list', 'List files', 'tenant'),
    ('file:file:upload', 'Upload files', 'tenant'),
    ('file:file:read', 'View a file', 'tenant'),
    ('file:file:update', 'Change files', 'tenant'),
    ('file:file:delete', 'Delete files', 'tenant'),
    ('file:file:download', 'Download files', 'tenant')
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, scope = EXCLUDED.scope;

INSERT INTO menus (id, parent_id, code, name, type, path, icon, component, permission, sort)
SELECT md5('menu:' || m.code)::uuid, CASE WHEN m.parent IS NULL THEN NULL ELSE md5('menu:' || m.parent)::uuid END,
       m.code, m.name, m.type, m.path, m.icon, m.component, NULL, m.sort
FROM (VALUES
    ('integrations', NULL, 'Integrations', 'directory', '/integrations', 'link', NULL, 40),
    ('integrations:webhooks', 'integrations', 'Webhooks', 'menu', '/integrations/webhooks', 'webhook', 'integrations/webhooks/index', 1),
    ('integrations:inbound', 'integrations', 'Inbound webhooks', 'menu', '/integrations/inbound', 'download', 'integrations/inbound/index', 2),
    ('files', NULL, 'Files', 'directory', '/files', 'folder', NULL, 35),
    ('files:library', 'files', 'File library', 'menu', '/files/library', 'documentation', 'files/library/index', 1)
) AS m(code, parent, name, type, path, icon, component, sort)
ON CONFLICT (code) DO UPDATE SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, type = EXCLUDED.type, path = EXCLUDED.path,
    icon = EXCLUDED.icon, component = EXCLUDED.component, permission = EXCLUDED.permission, sort = EXCLUDED.sort;

INSERT INTO menus (id, parent_id, code, name, type, path, icon, component, permission, sort)
SELECT md5('menu:btn:' || p.code)::uuid, md5('menu:' || b.parent)::uuid, 'btn:' || p.code, p.name, 'button', NULL, NULL, NULL, p.code, b.sort
FROM (VALUES
    ('webhook:endpoint:list', 'integrations:webhooks', 1), ('webhook:endpoint:create', 'integrations:webhooks', 2),
    ('webhook:endpoint:read', 'integrations:webhooks', 3), ('webhook:endpoint:update', 'integrations:webhooks', 4),
    ('webhook:endpoint:delete', 'integrations:webhooks', 5), ('webhook:endpoint:test', 'integrations:webhooks', 6),
    ('webhook:endpoint:rotate', 'integrations:webhooks', 7), ('webhook:delivery:list', 'integrations:webhooks', 8),
    ('webhook:delivery:redeliver', 'integrations:webhooks', 9), ('webhook:inbound:manage', 'integrations:inbound', 1),
    ('file:file:list', 'files:library', 1), ('file:file:upload', 'files:library', 2), ('file:file:read', 'files:library', 3),
    ('file:file:update', 'files:library', 4), ('file:file:delete', 'files:library', 5), ('file:file:download', 'files:library', 6)
) AS b(code, parent, sort)
JOIN permissions p ON p.code = b.code
ON CONFLICT (code) DO UPDATE SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, type = EXCLUDED.type,
    permission = EXCLUDED.permission, sort = EXCLUDED.sort;

SELECT app.ensure_default_roles(id) FROM tenants;
