-- The short-video platform's production (docs/production.md): project types, inspirations,
-- projects, worker configs and their assignment to tasks, the calls made to n8n (recorded in
-- the transaction of the change, sent after commit by a task) and the callbacks n8n makes.

CREATE TABLE project_types (
    tenant_id                uuid NOT NULL REFERENCES tenants (id),
    id                       uuid NOT NULL,
    code                     text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$'),
    name                     text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description              text CHECK (length(description) <= 10000),
    -- Entries of workflow_registry (checked when saved, resolved when used).
    inspiration_workflow_id  uuid,
    transform_workflow_id    uuid,
    execution_workflow_id    uuid,
    default_parameters       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(default_parameters) = 'object'),
    parameter_schema         jsonb,
    category                 text CHECK (length(category) BETWEEN 1 AND 100),
    sort_order               integer NOT NULL DEFAULT 0,
    is_active                boolean NOT NULL DEFAULT true,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    deleted_at               timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX project_types_code_idx ON project_types (tenant_id, code) WHERE deleted_at IS NULL;

CREATE TABLE inspirations (
    tenant_id                uuid NOT NULL REFERENCES tenants (id),
    id                       uuid NOT NULL,
    owner_id                 uuid REFERENCES users (id),
    visibility               visibility NOT NULL DEFAULT 'tenant',
    visible_role_ids         uuid[] NOT NULL DEFAULT '{}',
    title                    text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    description              text CHECK (length(description) <= 20000),
    project_type_code        text CHECK (length(project_type_code) <= 100),
    source                   text CHECK (length(source) <= 200),
    parameters               jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(parameters) = 'object'),
    status                   text NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'generating', 'pending_review', 'approved', 'rejected')),
    score                    double precision CHECK (score BETWEEN 0 AND 100),
    score_details            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(score_details) = 'object'),
    review_notes             text CHECK (length(review_notes) <= 10000),
    generated_content        jsonb,
    -- The registry entries last triggered for it: their callback secrets authenticate n8n's
    -- `inspiration` and `project_creation` callbacks.
    inspiration_workflow_id  uuid,
    transform_workflow_id    uuid,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    deleted_at               timestamptz,
    PRIMARY KEY (tenant_id, id)
);
-- n8n's callbacks name an inspiration by id alone.
CREATE UNIQUE INDEX inspirations_id_idx ON inspirations (id);
CREATE INDEX inspirations_listing_idx ON inspirations (tenant_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE projects (
    tenant_id                   uuid NOT NULL REFERENCES tenants (id),
    id                          uuid NOT NULL,
    owner_id                    uuid REFERENCES users (id),
    visibility                  visibility NOT NULL DEFAULT 'tenant',
    visible_role_ids            uuid[] NOT NULL DEFAULT '{}',
    name                        text NOT NULL CHECK (length(name) BETWEEN 1 AND 500),
    project_type_code           text NOT NULL CHECK (length(project_type_code) <= 100),
    initial_parameters          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(initial_parameters) = 'object'),
    status                      text NOT NULL DEFAULT 'draft'
                                CHECK (status IN ('draft', 'queued', 'running', 'completed', 'failed', 'cancelled')),
    inspiration_id              uuid,
    score                       double precision CHECK (score BETWEEN 0 AND 100),
    score_details               jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(score_details) = 'object'),
    review_notes                text CHECK (length(review_notes) <= 10000),
    used_transform_workflow_id  uuid,
    used_execution_workflow_id  uuid,
    -- Counts of the project's live tasks, recomputed from `tasks` on every task event.
    total_tasks                 integer NOT NULL DEFAULT 0,
    completed_tasks             integer NOT NULL DEFAULT 0,
    failed_tasks                integer NOT NULL DEFAULT 0,
    output_asset_id             uuid,
    error_message               text CHECK (length(error_message) <= 10000),
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    deleted_at                  timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, inspiration_id) REFERENCES inspirations (tenant_id, id)
);
CREATE UNIQUE INDEX projects_id_idx ON projects (id);
-- One live project per inspiration: a repeated project_creation callback cannot make a second.
CREATE UNIQUE INDEX projects_inspiration_idx ON projects (tenant_id, inspiration_id) WHERE inspiration_id IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX projects_listing_idx ON projects (tenant_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX tasks_project_idx ON tasks (tenant_id, project_id) WHERE project_id IS NOT NULL;
-- n8n's task_update callbacks name a task by id alone.
CREATE INDEX tasks_id_idx ON tasks (id);

CREATE TABLE worker_configs (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    config_name  text NOT NULL CHECK (length(config_name) BETWEEN 1 AND 200),
    config_type  text NOT NULL CHECK (length(config_type) BETWEEN 1 AND 100),
    worker_type  text CHECK (length(worker_type) BETWEEN 1 AND 100),
    config_data  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config_data) = 'object'),
    description  text CHECK (length(description) <= 10000),
    priority     integer NOT NULL DEFAULT 0,
    is_active    boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, config_name)
);

CREATE TABLE task_worker_configs (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             uuid NOT NULL,
    task_id        uuid NOT NULL,
    config_id      uuid NOT NULL,
    override_data  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(override_data) = 'object'),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, task_id, config_id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, config_id) REFERENCES worker_configs (tenant_id, id) ON DELETE CASCADE
);

-- The outbox of calls to n8n: written with the change that causes the call, sent by a task of
-- the engine (`production.n8n_call`) after commit, retried, its outcome kept here.
CREATE TABLE n8n_calls (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    purpose           text NOT NULL CHECK (purpose IN ('inspiration', 'transform', 'execution')),
    inspiration_id    uuid,
    project_id        uuid,
    registry_id       uuid NOT NULL,
    payload           jsonb NOT NULL,
    callback_url      text,
    status            text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'retrying', 'sent', 'failed', 'superseded')),
    attempts          integer NOT NULL DEFAULT 0,
    last_error        text,
    response_status   integer,
    response_body     jsonb,
    n8n_execution_id  text,
    task_id           uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    sent_at           timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX n8n_calls_inspiration_idx ON n8n_calls (tenant_id, inspiration_id, created_at DESC) WHERE inspiration_id IS NOT NULL;
CREATE INDEX n8n_calls_project_idx ON n8n_calls (tenant_id, project_id, created_at DESC) WHERE project_id IS NOT NULL;

-- Every authenticated callback n8n made, applied or acknowledged as a repeat of an event id.
CREATE TABLE n8n_callbacks (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('inspiration', 'project_creation', 'project_execution', 'task_update')),
    subject_id   uuid NOT NULL,
    event_id     text CHECK (length(event_id) BETWEEN 1 AND 200),
    registry_id  uuid NOT NULL,
    proof        text NOT NULL CHECK (proof IN ('secret_header', 'hmac_sha256')),
    outcome      text NOT NULL CHECK (outcome IN ('applied', 'duplicate')),
    payload      jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX n8n_callbacks_event_idx ON n8n_callbacks (tenant_id, kind, subject_id, event_id)
    WHERE outcome = 'applied' AND event_id IS NOT NULL;
