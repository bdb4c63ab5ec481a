-- Permission codes and menus of the workflows module (tasks, task queues, commands, bulk).
-- Applied after 50_rbac_catalog.sql; same rules: every code here is required by a route.

INSERT INTO permissions (code, name, scope) VALUES
    ('workflow:task:list', 'List tasks and task types', 'tenant'),
    ('workflow:task:create', 'Create tasks and plan intents', 'tenant'),
    ('workflow:task:read', 'View a task, its context, events and progress', 'tenant'),
    ('workflow:task:update', 'Change tasks and snapshot their context', 'tenant'),
    ('workflow:task:delete', 'Delete tasks', 'tenant'),
    ('workflow:task:execute', 'Start, complete, fail, enqueue and retry tasks', 'tenant'),
    ('workflow:task:cancel', 'Cancel tasks', 'tenant'),
    ('workflow:task:claim', 'Claim tasks and report as an external worker', 'tenant'),
    ('workflow:task:stats', 'Task statistics', 'tenant'),
    ('workflow:queue:read', 'View task queues', 'tenant'),
    ('workflow:queue:purge', 'Empty every task queue', 'tenant'),
    ('workflow:command:list', 'List commands and their statistics', 'tenant'),
    ('workflow:command:create', 'Queue commands', 'tenant'),
    ('workflow:command:read', 'View a command', 'tenant'),
    ('workflow:command:process', 'Complete or fail commands', 'tenant'),
    ('workflow:command:cancel', 'Cancel commands', 'tenant'),
    ('workflow:command:cleanup', 'Remove old commands', 'tenant'),
    ('workflow:bulk:execute', 'Bulk operations on tasks', 'tenant')
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, scope = EXCLUDED.scope;

INSERT INTO menus (id, parent_id, code, name, type, path, icon, component, permission, sort)
SELECT md5('menu:' || m.code)::uuid, CASE WHEN m.parent IS NULL THEN NULL ELSE md5('menu:' || m.parent)::uuid END,
       m.code, m.name, m.type, m.path, m.icon, m.component, NULL, m.sort
FROM (VALUES
    ('workflows', NULL, 'Workflows', 'directory', '/workflows', 'workflow', NULL, 30),
    ('workflows:tasks', 'workflows', 'Tasks', 'menu', '/workflows/tasks', 'list', 'workflows/tasks/index', 1),
    ('workflows:queues', 'workflows', 'Task queues', 'menu', '/workflows/queues', 'queue', 'workflows/queues/index', 2),
    ('workflows:commands', 'workflows', 'Commands', 'menu', '/workflows/commands', 'terminal', 'workflows/commands/index', 3)
) AS m(code, parent, name, type, path, icon, component, sort)
ON CONFLICT (code) DO UPDATE SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, type = EXCLUDED.type, path = EXCLUDED.path,
    icon = EXCLUDED.icon, component = EXCLUDED.component, permission = EXCLUDED.permission, sort = EXCLUDED.sort;

-- One button per permission, under the menu it belongs to.
INSERT INTO menus (id, parent_id, code, name, type, path, icon, component, permission, sort)
SELECT md5('menu:btn:' || p.code)::uuid, md5('menu:' || b.parent)::uuid, 'btn:' || p.code, p.name, 'button', NULL, NULL, NULL, p.code, b.sort
FROM (VALUES
    ('workflow:task:list', 'workflows:tasks', 1), ('workflow:task:create', 'workflows:tasks', 2),
    ('workflow:task:read', 'workflows:tasks', 3), ('workflow:task:update', 'workflows:tasks', 4),
    ('workflow:task:delete', 'workflows:tasks', 5), ('workflow:task:execute', 'workflows:tasks', 6),
    ('workflow:task:cancel', 'workflows:tasks', 7), ('workflow:task:stats', 'workflows:tasks', 8),
    ('workflow:bulk:execute', 'workflows:tasks', 9),
    ('workflow:task:claim', 'workflows:queues', 1), ('workflow:queue:read', 'workflows:queues', 2),
    ('workflow:queue:purge', 'workflows:queues', 3),
    ('workflow:command:list', 'workflows:commands', 1), ('workflow:command:create', 'workflows:commands', 2),
    ('workflow:command:read', 'workflows:commands', 3), ('workflow:command:process', 'workflows:commands', 4),
    ('workflow:command:cancel', 'workflows:commands', 5), ('workflow:command:cleanup', 'workflows:commands', 6)
) AS b(code, parent, sort)
JOIN permissions p ON p.code = b.code
ON CONFLICT (code) DO UPDATE SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, type = EXCLUDED.type,
    permission = EXCLUDED.permission, sort = EXCLUDED.sort;

-- Default roles pick up the new menus (super_admin: all; member: its own tasks and commands).
SELECT app.ensure_default_roles(id) FROM tenants;
