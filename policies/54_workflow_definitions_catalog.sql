-- Permission codes and menus of the workflows module (definitions, runs, history, registry).
SELECT app.register_catalog(
    '[
        {"code": "workflows:definitions", "parent": "workflows", "name": "Workflow definitions", "path": "/workflows/definitions", "icon": "flow", "component": "workflows/definitions/index", "sort": 4, "member": true},
        {"code": "workflows:executions", "parent": "workflows", "name": "Workflow runs", "path": "/workflows/executions", "icon": "history", "component": "workflows/executions/index", "sort": 5, "member": true},
        {"code": "workflows:registry", "parent": "workflows", "name": "n8n workflows", "path": "/workflows/registry", "icon": "link", "component": "workflows/registry/index", "sort": 6, "member": true}
    ]',
    '[
        {"code": "workflow:definition:list", "name": "List workflows and flows", "menu": "workflows:definitions", "member": true},
        {"code": "workflow:definition:read", "name": "View a workflow, its revisions and exports", "menu": "workflows:definitions", "member": true},
        {"code": "workflow:definition:create", "name": "Create workflows", "menu": "workflows:definitions", "member": true},
        {"code": "workflow:definition:update", "name": "Change workflows and make revisions", "menu": "workflows:definitions", "member": true},
        {"code": "workflow:definition:delete", "name": "Delete workflows", "menu": "workflows:definitions", "member": true},
        {"code": "workflow:definition:publish", "name": "Enable, disable and activate revisions", "menu": "workflows:definitions"},
        {"code": "workflow:definition:execute", "name": "Run workflows", "menu": "workflows:definitions", "member": true},
        {"code": "workflow:execution:read", "name": "View workflow runs and their history", "menu": "workflows:executions", "member": true},
        {"code": "workflow:execution:stats", "name": "Workflow statistics and performance", "menu": "workflows:executions", "member": true},
        {"code": "workflow:registry:list", "name": "List registered n8n workflows", "menu": "workflows:registry", "member": true},
        {"code": "workflow:registry:read", "name": "View a registered n8n workflow", "menu": "workflows:registry", "member": true},
        {"code": "workflow:registry:create", "name": "Register n8n workflows", "menu": "workflows:registry"},
        {"code": "workflow:registry:update", "name": "Change registered n8n workflows and their auth headers", "menu": "workflows:registry"},
        {"code": "workflow:registry:delete", "name": "Remove registered n8n workflows", "menu": "workflows:registry"},
        {"code": "workflow:registry:activate", "name": "Activate and deactivate registered n8n workflows", "menu": "workflows:registry"}
    ]');

SELECT app.ensure_default_roles(id) FROM tenants;
