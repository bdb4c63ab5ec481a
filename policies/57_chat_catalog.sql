-- Permission codes and menus of the chat module (conversations, the tenant's Ollama model, the
-- AI models a tenant registers). Members chat and read the AI models; registering, changing
-- and testing them is for those granted it.
SELECT app.register_catalog(
    '[
        {"code": "ai", "name": "AI", "type": "directory", "path": "/ai", "icon": "cpu", "sort": 30, "member": true},
        {"code": "ai:chat", "parent": "ai", "name": "Chat", "path": "/ai/chat", "icon": "message", "component": "ai/chat/index", "sort": 1, "member": true},
        {"code": "ai:models", "parent": "ai", "name": "AI models", "path": "/ai/models", "icon": "cpu", "component": "ai/models/index", "sort": 2, "member": true}
    ]',
    '[
        {"code": "chat:conversation:use", "name": "Chat with models; read and clear own conversations", "menu": "ai:chat", "member": true},
        {"code": "chat:model:select", "name": "Choose the tenant''s Ollama model", "menu": "ai:chat"},
        {"code": "ai-model:list", "name": "List AI models", "menu": "ai:models", "member": true},
        {"code": "ai-model:read", "name": "View an AI model", "menu": "ai:models", "member": true},
        {"code": "ai-model:create", "name": "Register AI models", "menu": "ai:models"},
        {"code": "ai-model:update", "name": "Change AI models", "menu": "ai:models"},
        {"code": "ai-model:delete", "name": "Delete AI models", "menu": "ai:models"},
        {"code": "ai-model:test", "name": "Test an AI model''s connection", "menu": "ai:models"}
    ]');

SELECT app.ensure_default_roles(id) FROM tenants;
