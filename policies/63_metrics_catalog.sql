-- Permission codes and the menu of the metrics module: usage and costs are for those who run
-- the tenant (administrators); members and integrators' keys may record custom usage.
SELECT app.register_catalog(
    '[
        {"code": "system:usage", "parent": "system", "name": "Usage and costs", "path": "/system/usage", "icon": "chart", "component": "system/usage/index", "sort": 6}
    ]',
    '[
        {"code": "metrics:usage:read", "name": "Read the tenant''s usage, costs and metrics", "menu": "system:usage"},
        {"code": "metrics:usage:track", "name": "Record custom usage metrics", "menu": "system:usage", "member": true}
    ]');

SELECT app.ensure_default_roles(id) FROM tenants;
