-- Permission codes and menus of production (inspirations, projects, project types, worker configs).
SELECT app.register_catalog(
    '[
        {"code": "production", "name": "Production", "type": "directory", "path": "/production", "icon": "video", "sort": 25, "member": true},
        {"code": "production:inspirations", "parent": "production", "name": "Inspirations", "path": "/production/inspirations", "icon": "bulb", "component": "production/inspirations/index", "sort": 1, "member": true},
        {"code": "production:projects", "parent": "production", "name": "Projects", "path": "/production/projects", "icon": "film", "component": "production/projects/index", "sort": 2, "member": true},
        {"code": "production:project-types", "parent": "production", "name": "Project types", "path": "/production/project-types", "icon": "category", "component": "production/project-types/index", "sort": 3, "member": true},
        {"code": "production:worker-configs", "parent": "production", "name": "Worker configs", "path": "/production/worker-configs", "icon": "setting", "component": "production/worker-configs/index", "sort": 4}
    ]',
    '[
        {"code": "production:inspiration:list", "name": "List inspirations", "menu": "production:inspirations", "member": true},
        {"code": "production:inspiration:read", "name": "View an inspiration", "menu": "production:inspirations", "member": true},
        {"code": "production:inspiration:create", "name": "Create inspirations (triggers their n8n workflow)", "menu": "production:inspirations", "member": true},
        {"code": "production:inspiration:update", "name": "Change inspirations", "menu": "production:inspirations", "member": true},
        {"code": "production:inspiration:delete", "name": "Delete inspirations", "menu": "production:inspirations"},
        {"code": "production:inspiration:review", "name": "Approve and reject inspirations", "menu": "production:inspirations"},
        {"code": "production:inspiration:regenerate", "name": "Regenerate inspirations through n8n", "menu": "production:inspirations", "member": true},
        {"code": "production:project:list", "name": "List projects", "menu": "production:projects", "member": true},
        {"code": "production:project:read", "name": "View a project and its tasks", "menu": "production:projects", "member": true},
        {"code": "production:project:create", "name": "Create projects", "menu": "production:projects"},
        {"code": "production:project:update", "name": "Change projects and recount their tasks", "menu": "production:projects"},
        {"code": "production:project:delete", "name": "Delete projects", "menu": "production:projects"},
        {"code": "production:project:regenerate", "name": "Run a project''s execution workflow again", "menu": "production:projects"},
        {"code": "production:project-type:list", "name": "List project types and categories", "menu": "production:project-types", "member": true},
        {"code": "production:project-type:read", "name": "View a project type and its workflows", "menu": "production:project-types", "member": true},
        {"code": "production:project-type:create", "name": "Create project types", "menu": "production:project-types"},
        {"code": "production:project-type:update", "name": "Change, order, activate and deactivate project types", "menu": "production:project-types"},
        {"code": "production:project-type:delete", "name": "Delete project types", "menu": "production:project-types"},
        {"code": "production:worker-config:list", "name": "List worker configs", "menu": "production:worker-configs"},
        {"code": "production:worker-config:read", "name": "View a worker config and a task''s effective configs", "menu": "production:worker-configs"},
        {"code": "production:worker-config:create", "name": "Create worker configs", "menu": "production:worker-configs"},
        {"code": "production:worker-config:update", "name": "Change worker configs", "menu": "production:worker-configs"},
        {"code": "production:worker-config:delete", "name": "Deactivate worker configs", "menu": "production:worker-configs"},
        {"code": "production:worker-config:assign", "name": "Assign worker configs to tasks", "menu": "production:worker-configs"}
    ]');

SELECT app.ensure_default_roles(id) FROM tenants;
