-- Permission codes and menus of the media library (assets, media sources, artifacts).
SELECT app.register_catalog(
    '[
        {"code": "media", "name": "Media", "type": "directory", "path": "/media", "icon": "video", "sort": 30, "member": true},
        {"code": "media:assets", "parent": "media", "name": "Assets", "path": "/media/assets", "icon": "files", "component": "asset/index", "sort": 1, "member": true},
        {"code": "media:sources", "parent": "media", "name": "Media sources", "path": "/media/sources", "icon": "camera", "component": "source/index", "sort": 2, "member": true},
        {"code": "media:artifacts", "parent": "media", "name": "Artifacts", "path": "/media/artifacts", "icon": "box", "component": "artifact/index", "sort": 3, "member": true}
    ]',
    '[
        {"code": "media:asset:list", "name": "List assets and their tags", "menu": "media:assets", "member": true},
        {"code": "media:asset:read", "name": "View an asset and its children", "menu": "media:assets", "member": true},
        {"code": "media:asset:create", "name": "Create assets", "menu": "media:assets", "member": true},
        {"code": "media:asset:update", "name": "Change assets", "menu": "media:assets", "member": true},
        {"code": "media:asset:delete", "name": "Delete assets", "menu": "media:assets", "member": true},
        {"code": "media:source:list", "name": "List media sources", "menu": "media:sources", "member": true},
        {"code": "media:source:read", "name": "View a media source", "menu": "media:sources", "member": true},
        {"code": "media:source:create", "name": "Create media sources", "menu": "media:sources"},
        {"code": "media:source:update", "name": "Change media sources", "menu": "media:sources"},
        {"code": "media:source:delete", "name": "Delete media sources", "menu": "media:sources"},
        {"code": "media:source:probe", "name": "Probe media sources with ffprobe", "menu": "media:sources"},
        {"code": "media:artifact:list", "name": "List artifacts (also a task''s)", "menu": "media:artifacts", "member": true},
        {"code": "media:artifact:read", "name": "View an artifact", "menu": "media:artifacts", "member": true},
        {"code": "media:artifact:create", "name": "Record artifacts", "menu": "media:artifacts", "member": true},
        {"code": "media:artifact:delete", "name": "Delete artifacts", "menu": "media:artifacts"}
    ]');

SELECT app.ensure_default_roles(id) FROM tenants;
