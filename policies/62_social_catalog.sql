-- Permission codes and menus of the social module: the platform-account pool (short-video
-- platform) and social publishing (content platform), as pages under Content. Members read
-- posts, their analytics, trends and which networks are connected; connecting networks,
-- posting, generating copy and the account pool (which holds credentials) are for those granted it.
SELECT app.register_catalog(
    '[
        {"code": "content:social", "parent": "content", "name": "Social publishing", "path": "/content/social", "icon": "share", "component": "content/social/index", "sort": 5, "member": true},
        {"code": "content:platform-accounts", "parent": "content", "name": "Platform accounts", "path": "/content/platform-accounts", "icon": "user", "component": "content/platform-accounts/index", "sort": 6}
    ]',
    '[
        {"code": "social:platform:list", "name": "See which social networks are connected", "menu": "content:social", "member": true},
        {"code": "social:platform:connect", "name": "Connect social networks (verifies and stores their credentials)", "menu": "content:social"},
        {"code": "social:post:list", "name": "List social posts", "menu": "content:social", "member": true},
        {"code": "social:post:create", "name": "Publish and schedule social posts, cross-post", "menu": "content:social"},
        {"code": "social:post:delete", "name": "Delete social posts (also on the networks)", "menu": "content:social"},
        {"code": "social:analytics:read", "name": "Read a post''s analytics", "menu": "content:social", "member": true},
        {"code": "social:post:generate", "name": "Generate post copy with the tenant''s model", "menu": "content:social"},
        {"code": "social:trending:read", "name": "Read trending topics", "menu": "content:social", "member": true},
        {"code": "platform-account:list", "name": "List platform accounts (credentials masked)", "menu": "content:platform-accounts"},
        {"code": "platform-account:read", "name": "View a platform account (credentials masked)", "menu": "content:platform-accounts"},
        {"code": "platform-account:create", "name": "Add platform accounts", "menu": "content:platform-accounts"},
        {"code": "platform-account:update", "name": "Change platform accounts", "menu": "content:platform-accounts"},
        {"code": "platform-account:delete", "name": "Delete platform accounts", "menu": "content:platform-accounts"},
        {"code": "platform-account:reset", "name": "Reset a platform account''s daily usage", "menu": "content:platform-accounts"}
    ]');

SELECT app.ensure_default_roles(id) FROM tenants;
