-- The task engine: one durable queue for every kind of background work (the seeds' tasks,
-- commands, jobs), the per-tenant event log behind SSE resume, and task context history.

-- Every event with a tenant, kept so a Server-Sent Events client can resume (Last-Event-ID)
-- and a task's history can be read. Ids are UUIDv7, so their order is time order.
CREATE TABLE event_log (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    type        text NOT NULL,
    subject_id  uuid,
    data        jsonb NOT NULL DEFAULT '{}'::jsonb,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX event_log_subject_idx ON event_log (tenant_id, subject_id, id) WHERE subject_id IS NOT NULL;
CREATE INDEX event_log_occurred_idx ON event_log (occurred_at);

CREATE TABLE tasks (
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    id                  uuid NOT NULL,
    owner_id            uuid REFERENCES users (id),
    visibility          visibility NOT NULL DEFAULT 'private',
    visible_role_ids    uuid[] NOT NULL DEFAULT '{}',
    -- 'task' or 'command' (the content platform's command queue rides on the same engine).
    kind                text NOT NULL DEFAULT 'task' CHECK (kind IN ('task', 'command')),
    task_type           text NOT NULL CHECK (task_type ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$'),
    task_name           text CHECK (length(task_name) <= 300),
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'queued', 'running', 'completed', 'failed', 'cancelled')),
    priority            integer NOT NULL DEFAULT 50 CHECK (priority BETWEEN 0 AND 100),
    queue               text NOT NULL DEFAULT 'default' CHECK (queue ~ '^[a-z0-9][a-z0-9_.:-]{0,62}$'),
    task_input          jsonb NOT NULL DEFAULT '{}'::jsonb,
    task_output         jsonb,
    task_metadata       jsonb NOT NULL DEFAULT '{}'::jsonb,
    context             jsonb NOT NULL DEFAULT '{}'::jsonb,
    context_version     integer NOT NULL DEFAULT 0,
    dependencies        uuid[] NOT NULL DEFAULT '{}',
    project_id          uuid,
    platform_account_id uuid,
    submit_id           text CHECK (length(submit_id) <= 200),
    progress            integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    current_step        text CHECK (length(current_step) <= 300),
    error_message       text CHECK (length(error_message) <= 10000),
    attempts            integer NOT NULL DEFAULT 0,
    max_attempts        integer NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 100),
    -- Not runnable before this time (delayed start, retry backoff).
    scheduled_at        timestamptz,
    enqueued_at         timestamptz,
    started_at          timestamptz,
    completed_at        timestamptz,
    -- Who holds the task while it runs, and until when; an expired lease puts it back.
    lease_owner         text,
    lease_seconds       integer,
    lease_expires_at    timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz,
    PRIMARY KEY (tenant_id, id)
);
-- The claim query walks this index: queued work by queue, most urgent first.
CREATE INDEX tasks_runnable_idx ON tasks (queue, priority DESC, id) WHERE status = 'queued' AND deleted_at IS NULL;
CREATE INDEX tasks_lease_idx ON tasks (lease_expires_at) WHERE status = 'running' AND lease_expires_at IS NOT NULL;
CREATE INDEX tasks_listing_idx ON tasks (tenant_id, kind, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX tasks_dependencies_idx ON tasks USING gin (dependencies) WHERE cardinality(dependencies) > 0;

-- The context document's history, one RFC 6902 patch per change.
CREATE TABLE task_context_patches (
    tenant_id   uuid NOT NULL,
    task_id     uuid NOT NULL,
    version     integer NOT NULL,
    operations  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, task_id, version),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id)
);

CREATE TABLE task_context_snapshots (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    task_id     uuid NOT NULL,
    version     integer NOT NULL,
    context     jsonb NOT NULL,
    created_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id)
);

-- Proposed plans from POST /tasks/intent, waiting for confirmation.
CREATE TABLE task_intents (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    owner_id    uuid REFERENCES users (id),
    task_id     uuid,
    intent      text NOT NULL,
    parameters  jsonb NOT NULL DEFAULT '{}'::jsonb,
    plan        jsonb NOT NULL,
    status      text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'confirmed', 'rejected')),
    task_ids    uuid[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    decided_at  timestamptz,
    PRIMARY KEY (tenant_id, id)
);
