-- Workflows (issue 14): graphs the flow engine runs, their immutable revisions, runs (one task
-- each) with per-node state, schedules, and the n8n workflow registry.

CREATE TABLE workflows (
    tenant_id            uuid NOT NULL REFERENCES tenants (id),
    id                   uuid NOT NULL,
    owner_id             uuid REFERENCES users (id),
    visibility           visibility NOT NULL DEFAULT 'private',
    visible_role_ids     uuid[] NOT NULL DEFAULT '{}',
    code                 text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description          text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    version              text NOT NULL DEFAULT '1.0.0' CHECK (length(version) BETWEEN 1 AND 50),
    trigger_type         text NOT NULL DEFAULT 'manual' CHECK (trigger_type IN ('manual', 'schedule', 'event', 'asset_new', 'asset_done')),
    trigger_conf         jsonb NOT NULL DEFAULT '{}',
    context_spec         jsonb NOT NULL DEFAULT '{}',
    status               text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'enabled', 'disabled')),
    tags                 text[] NOT NULL DEFAULT '{}',
    -- The graph as the engine reads it (FlowGraph), plus what the editors keep per node/edge.
    graph                jsonb NOT NULL DEFAULT '{"nodes": [], "edges": []}',
    -- Which API created it (flows: AutoMaticWorker's, workflows: GoyaVision's); informational.
    origin               text NOT NULL DEFAULT 'workflows' CHECK (origin IN ('flows', 'workflows')),
    current_revision_id  uuid,
    current_revision     integer,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX workflows_code_key ON workflows (tenant_id, code) WHERE deleted_at IS NULL;
CREATE INDEX workflows_listing_idx ON workflows (tenant_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX workflows_triggers_idx ON workflows (trigger_type) WHERE status = 'enabled' AND deleted_at IS NULL;

-- Immutable snapshots: a definition never changes once written; only the status moves.
CREATE TABLE workflow_revisions (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    workflow_id  uuid NOT NULL,
    revision     integer NOT NULL CHECK (revision >= 1),
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
    definition   jsonb NOT NULL,
    created_by   uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, workflow_id, revision),
    FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id)
);
CREATE UNIQUE INDEX workflow_revisions_active_key ON workflow_revisions (tenant_id, workflow_id) WHERE status = 'active';

CREATE FUNCTION app.workflow_revision_immutable() RETURNS trigger
    LANGUAGE plpgsql
    AS $fn$
    BEGIN
        IF NEW.definition IS DISTINCT FROM OLD.definition OR NEW.revision <> OLD.revision OR NEW.workflow_id <> OLD.workflow_id THEN
            RAISE EXCEPTION 'workflow revisions are immutable' USING ERRCODE = '23514';
        END IF;
        RETURN NEW;
    END
    $fn$;
CREATE TRIGGER workflow_revisions_immutable BEFORE UPDATE ON workflow_revisions
    FOR EACH ROW EXECUTE FUNCTION app.workflow_revision_immutable();

-- A run is a task (task_type workflow.run); this is what the engine needs beside it.
CREATE TABLE workflow_runs (
    tenant_id      uuid NOT NULL,
    task_id        uuid NOT NULL,
    owner_id       uuid,
    visibility     visibility NOT NULL DEFAULT 'private',
    visible_role_ids uuid[] NOT NULL DEFAULT '{}',
    workflow_id    uuid NOT NULL,
    revision_id    uuid NOT NULL,
    revision       integer NOT NULL,
    trigger        text NOT NULL CHECK (trigger IN ('manual', 'api', 'schedule', 'event', 'asset_new', 'asset_done', 'subflow')),
    -- Schedule fire time or event id: a trigger starts one run per workflow.
    trigger_key    text,
    asset_id       uuid,
    input          jsonb NOT NULL DEFAULT '{}',
    output         jsonb,
    failed_node    text,
    error_message  text,
    logs           jsonb NOT NULL DEFAULT '[]',
    started_at     timestamptz,
    completed_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, task_id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id),
    FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id),
    FOREIGN KEY (tenant_id, revision_id) REFERENCES workflow_revisions (tenant_id, id)
);
CREATE UNIQUE INDEX workflow_runs_trigger_key ON workflow_runs (tenant_id, workflow_id, trigger_key) WHERE trigger_key IS NOT NULL;
CREATE INDEX workflow_runs_workflow_idx ON workflow_runs (tenant_id, workflow_id, created_at DESC);
CREATE INDEX workflow_runs_listing_idx ON workflow_runs (tenant_id, created_at DESC);

CREATE TABLE workflow_node_runs (
    tenant_id     uuid NOT NULL,
    task_id       uuid NOT NULL,
    node_key      text NOT NULL,
    node_type     text NOT NULL,
    position      integer NOT NULL,
    status        text NOT NULL CHECK (status IN ('pending', 'running', 'success', 'failed', 'skipped')),
    attempts      integer NOT NULL DEFAULT 0,
    output        jsonb,
    error         text,
    logs          jsonb NOT NULL DEFAULT '[]',
    started_at    timestamptz,
    completed_at  timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, task_id, node_key),
    FOREIGN KEY (tenant_id, task_id) REFERENCES workflow_runs (tenant_id, task_id) ON DELETE CASCADE
);

-- When each scheduled workflow fires next; claimed FOR UPDATE SKIP LOCKED by any instance.
CREATE TABLE workflow_schedules (
    tenant_id      uuid NOT NULL,
    workflow_id    uuid NOT NULL,
    next_fire_at   timestamptz NOT NULL,
    last_fired_at  timestamptz,
    PRIMARY KEY (tenant_id, workflow_id),
    FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id)
);
CREATE INDEX workflow_schedules_due_idx ON workflow_schedules (next_fire_at);

-- The short-video platform's registry of n8n workflows it triggers.
CREATE TABLE workflow_registry (
    tenant_id               uuid NOT NULL REFERENCES tenants (id),
    id                      uuid NOT NULL,
    owner_id                uuid REFERENCES users (id),
    visibility              visibility NOT NULL DEFAULT 'tenant',
    visible_role_ids        uuid[] NOT NULL DEFAULT '{}',
    name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description             text CHECK (length(description) <= 10000),
    workflow_type           text NOT NULL CHECK (length(workflow_type) BETWEEN 1 AND 100),
    n8n_webhook_url         text CHECK (length(n8n_webhook_url) <= 2000),
    is_active               boolean NOT NULL DEFAULT true,
    auth_header_name        text CHECK (length(auth_header_name) <= 100),
    -- Sealed (AES-GCM, tenant and entry bound); never served.
    auth_header_value       bytea,
    callback_header_name    text NOT NULL DEFAULT 'X-Callback-Secret' CHECK (length(callback_header_name) <= 100),
    callback_secret         bytea,
    timeout_seconds         integer NOT NULL DEFAULT 30 CHECK (timeout_seconds BETWEEN 1 AND 300),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    deleted_at              timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX workflow_registry_listing_idx ON workflow_registry (tenant_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

-- Menus a module's catalog marks for the default member role (policies/ app.register_catalog).
ALTER TABLE menus ADD COLUMN member_default boolean NOT NULL DEFAULT false;

-- Which default grants a system role has already been given, so that a default is applied once
-- and a tenant that later takes it away keeps its choice.
CREATE TABLE role_default_grants (
    tenant_id   uuid NOT NULL,
    role_id     uuid NOT NULL,
    menu_id     uuid NOT NULL REFERENCES menus (id) ON DELETE CASCADE,
    granted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, role_id, menu_id),
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);
