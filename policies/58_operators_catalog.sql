-- Permission codes and menus of the operator center (operators, their versions, templates and
-- dependencies, MCP servers, algorithms). Members read operators and algorithms and run test
-- calls; changing them, configuring MCP servers and publishing is for those granted it.
SELECT app.register_catalog(
    '[
        {"code": "operators", "name": "Operator center", "type": "directory", "path": "/operators", "icon": "cpu", "sort": 35, "member": true},
        {"code": "operators:center", "parent": "operators", "name": "Operators", "path": "/operators/list", "icon": "cpu", "component": "operator/index", "sort": 1, "member": true},
        {"code": "operators:mcp", "parent": "operators", "name": "MCP servers", "path": "/operators/mcp", "icon": "link", "component": "operator/mcp/index", "sort": 2},
        {"code": "operators:algorithms", "parent": "operators", "name": "Algorithms", "path": "/operators/algorithms", "icon": "layers", "component": "algorithm/index", "sort": 3, "member": true}
    ]',
    '[
        {"code": "operator:list", "name": "List operators and templates", "menu": "operators:center", "member": true},
        {"code": "operator:read", "name": "View an operator, its versions and dependencies; validate schemas", "menu": "operators:center", "member": true},
        {"code": "operator:create", "name": "Create operators and install templates", "menu": "operators:center"},
        {"code": "operator:update", "name": "Change operators and their dependencies", "menu": "operators:center"},
        {"code": "operator:delete", "name": "Delete operators", "menu": "operators:center"},
        {"code": "operator:publish", "name": "Publish and deprecate operators", "menu": "operators:center"},
        {"code": "operator:test", "name": "Run an operator as a test call", "menu": "operators:center", "member": true},
        {"code": "operator:version:create", "name": "Add operator versions", "menu": "operators:center"},
        {"code": "operator:version:activate", "name": "Activate, roll back and archive operator versions", "menu": "operators:center"},
        {"code": "operator:mcp:read", "name": "View MCP servers and their tools", "menu": "operators:mcp"},
        {"code": "operator:mcp:manage", "name": "Configure MCP servers", "menu": "operators:mcp"},
        {"code": "operator:mcp:install", "name": "Install MCP tools as operators and sync templates", "menu": "operators:mcp"},
        {"code": "algorithm:list", "name": "List algorithms", "menu": "operators:algorithms", "member": true},
        {"code": "algorithm:read", "name": "View an algorithm and its versions", "menu": "operators:algorithms", "member": true},
        {"code": "algorithm:create", "name": "Create algorithms and add versions", "menu": "operators:algorithms"},
        {"code": "algorithm:update", "name": "Change algorithms", "menu": "operators:algorithms"},
        {"code": "algorithm:delete", "name": "Delete algorithms", "menu": "operators:algorithms"},
        {"code": "algorithm:publish", "name": "Publish algorithm versions", "menu": "operators:algorithms"}
    ]');

SELECT app.ensure_default_roles(id) FROM tenants;
