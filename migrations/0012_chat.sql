-- The chat module: conversations and their messages (personal: a conversation belongs to one
-- user in one tenant), usage of every completion, the tenant's selected Ollama model, and the
-- AI models a tenant registers (GoyaVision), whose API keys are sealed.

CREATE TABLE chat_conversations (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             uuid NOT NULL,
    owner_id       uuid NOT NULL REFERENCES users (id),
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    model          text NOT NULL CHECK (length(model) BETWEEN 1 AND 200),
    system_prompt  text CHECK (length(system_prompt) <= 20000),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX chat_conversations_owner_idx ON chat_conversations (tenant_id, owner_id, updated_at DESC, id DESC);

CREATE TABLE chat_messages (
    tenant_id          uuid NOT NULL,
    id                 uuid NOT NULL,
    conversation_id    uuid NOT NULL,
    owner_id           uuid NOT NULL,
    role               text NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content            text NOT NULL CHECK (length(content) <= 1000000),
    -- A user message whose answer failed is 'failed' until a retry answers it.
    status             text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'failed')),
    error              text CHECK (length(error) <= 2000),
    provider           text,
    model              text,
    prompt_tokens      integer,
    completion_tokens  integer,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES chat_conversations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX chat_messages_conversation_idx ON chat_messages (tenant_id, conversation_id, id);

-- One row per completion, for the metrics module.
CREATE TABLE model_usage (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    id                 uuid NOT NULL,
    user_id            uuid,
    provider           text NOT NULL,
    model              text NOT NULL,
    source             text NOT NULL DEFAULT 'chat',
    prompt_tokens      integer NOT NULL DEFAULT 0,
    completion_tokens  integer NOT NULL DEFAULT 0,
    latency_ms         integer NOT NULL,
    cost_usd           double precision,
    success            boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX model_usage_time_idx ON model_usage (tenant_id, created_at DESC);

-- The Ollama model a tenant picked (`/ollama/select-model`).
CREATE TABLE chat_tenant_models (
    tenant_id     uuid PRIMARY KEY REFERENCES tenants (id),
    ollama_model  text NOT NULL CHECK (length(ollama_model) BETWEEN 1 AND 200),
    selected_by   uuid,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ai_models (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    owner_id          uuid REFERENCES users (id),
    visibility        visibility NOT NULL DEFAULT 'private',
    visible_role_ids  uuid[] NOT NULL DEFAULT '{}',
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description       text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    provider          text NOT NULL CHECK (provider ~ '^[a-z][a-z0-9_-]{0,39}$'),
    endpoint          text NOT NULL DEFAULT '' CHECK (length(endpoint) <= 2000),
    sealed_api_key    bytea,
    model_name        text NOT NULL CHECK (length(model_name) BETWEEN 1 AND 200),
    config            jsonb NOT NULL DEFAULT '{}',
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX ai_models_name_key ON ai_models (tenant_id, lower(name));
CREATE INDEX ai_models_listing_idx ON ai_models (tenant_id, created_at DESC, id DESC);
