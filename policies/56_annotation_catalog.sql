-- Permission codes and menus of the annotation module (VideoAnnotator's jobs, pipelines and
-- debug routes). Members may submit and follow their own jobs; debug is for platform
-- administrators only.
SELECT app.register_catalog(
    '[
        {"code": "annotation", "name": "Video annotation", "path": "/annotation", "icon": "video", "sort": 40, "member": true},
        {"code": "annotation:jobs", "parent": "annotation", "name": "Annotation jobs", "path": "/annotation/jobs", "icon": "list", "component": "annotation/jobs/index", "sort": 1, "member": true},
        {"code": "annotation:pipelines", "parent": "annotation", "name": "Annotation pipelines", "path": "/annotation/pipelines", "icon": "cpu", "component": "annotation/pipelines/index", "sort": 2, "member": true},
        {"code": "annotation:debug", "parent": "annotation", "name": "Annotation diagnostics", "path": "/annotation/debug", "icon": "bug", "component": "annotation/debug/index", "sort": 3}
    ]',
    '[
        {"code": "annotation:job:submit", "name": "Submit annotation jobs", "menu": "annotation:jobs", "member": true},
        {"code": "annotation:job:list", "name": "List annotation jobs", "menu": "annotation:jobs", "member": true},
        {"code": "annotation:job:read", "name": "View annotation jobs, results and files", "menu": "annotation:jobs", "member": true},
        {"code": "annotation:job:cancel", "name": "Cancel annotation jobs", "menu": "annotation:jobs", "member": true},
        {"code": "annotation:job:delete", "name": "Delete annotation jobs", "menu": "annotation:jobs", "member": true},
        {"code": "annotation:pipeline:read", "name": "List pipelines and validate configurations", "menu": "annotation:pipelines", "member": true},
        {"code": "annotation:system:read", "name": "Annotation system metrics", "menu": "annotation:pipelines", "member": true},
        {"code": "platform:annotation:debug", "name": "Annotation debug endpoints", "menu": "annotation:debug", "scope": "platform"}
    ]');

SELECT app.ensure_default_roles(id) FROM tenants;
