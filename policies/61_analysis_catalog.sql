-- Permission codes and menus of channel analysis (the short-video platform's /analysis routes):
-- members see accounts, videos, snapshots and monitoring tasks; adding accounts, crawling,
-- downloading and analysing (which spend the tenant's API quota and storage) are granted.
SELECT app.register_catalog(
    '[
        {"code": "analysis", "name": "Channel analysis", "type": "directory", "path": "/analysis", "icon": "chart", "sort": 40, "member": true},
        {"code": "analysis:accounts", "parent": "analysis", "name": "Target accounts", "path": "/analysis/accounts", "icon": "user", "component": "analysis/accounts/index", "sort": 1, "member": true},
        {"code": "analysis:videos", "parent": "analysis", "name": "Videos", "path": "/analysis/videos", "icon": "video", "component": "analysis/videos/index", "sort": 2, "member": true},
        {"code": "analysis:tasks", "parent": "analysis", "name": "Monitoring tasks", "path": "/analysis/tasks", "icon": "list", "component": "analysis/tasks/index", "sort": 3, "member": true}
    ]',
    '[
        {"code": "analysis:account:list", "name": "List target accounts", "menu": "analysis:accounts", "member": true},
        {"code": "analysis:account:read", "name": "View a target account and its snapshots", "menu": "analysis:accounts", "member": true},
        {"code": "analysis:account:create", "name": "Add target accounts by channel URL", "menu": "analysis:accounts"},
        {"code": "analysis:account:update", "name": "Change target accounts and their schedules", "menu": "analysis:accounts"},
        {"code": "analysis:account:delete", "name": "Delete target accounts", "menu": "analysis:accounts"},
        {"code": "analysis:account:crawl", "name": "Trigger crawls of target accounts", "menu": "analysis:accounts"},
        {"code": "analysis:video:list", "name": "List videos and their snapshots", "menu": "analysis:videos", "member": true},
        {"code": "analysis:video:download", "name": "Download videos into the media library", "menu": "analysis:videos"},
        {"code": "analysis:video:analyze", "name": "Run shot analysis on downloaded videos", "menu": "analysis:videos"},
        {"code": "analysis:task:list", "name": "List monitoring tasks", "menu": "analysis:tasks", "member": true},
        {"code": "analysis:task:update", "name": "Change monitoring tasks (cancel, retry, priority)", "menu": "analysis:tasks"}
    ]');

SELECT app.ensure_default_roles(id) FROM tenants;
