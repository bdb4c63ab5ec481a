-- Outbound webhooks (Standard Webhooks), inbound webhooks, and file storage.

-- Platform-internal jobs (webhook deliveries) run on the task engine without showing up in a
-- tenant's task list.
ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('task', 'command', 'internal'));

-- The event log is the webhook outbox: an event is logged in the transaction of the change
-- that caused it; the relay fans it out to matching endpoints and stamps dispatched_at.
ALTER TABLE event_log ADD COLUMN dispatched_at timestamptz;
UPDATE event_log SET dispatched_at = occurred_at;
CREATE INDEX event_log_undispatched_idx ON event_log (id) WHERE dispatched_at IS NULL;

CREATE TABLE webhook_endpoints (
    tenant_id                   uuid NOT NULL REFERENCES tenants (id),
    id                          uuid NOT NULL,
    owner_id                    uuid REFERENCES users (id),
    url                         text NOT NULL CHECK (length(url) <= 2000),
    description                 text CHECK (length(description) <= 1000),
    -- Patterns: exact types, `prefix.*` or `*`.
    event_types                 text[] NOT NULL DEFAULT '{*}',
    active                      boolean NOT NULL DEFAULT true,
    secret                      text NOT NULL,
    previous_secret             text,
    previous_secret_expires_at  timestamptz,
    consecutive_failures        integer NOT NULL DEFAULT 0,
    first_failure_at            timestamptz,
    last_success_at             timestamptz,
    disabled_at                 timestamptz,
    disabled_reason             text,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    deleted_at                  timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhook_endpoints_active_idx ON webhook_endpoints (tenant_id) WHERE active AND deleted_at IS NULL;

-- One message to one endpoint; its attempts run as an internal task.
CREATE TABLE webhook_deliveries (
    tenant_id         uuid NOT NULL,
    id                uuid NOT NULL,
    endpoint_id       uuid NOT NULL,
    -- The event (or test message) id: `webhook-id` is `msg_` + this, the same on every attempt.
    message_id        uuid NOT NULL,
    event_type        text NOT NULL,
    payload           text NOT NULL,
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled')),
    attempts          integer NOT NULL DEFAULT 0,
    task_id           uuid,
    last_status_code  integer,
    last_error        text,
    last_attempt_at   timestamptz,
    next_attempt_at   timestamptz,
    succeeded_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, endpoint_id, message_id),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id)
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (tenant_id, endpoint_id, id DESC);

CREATE TABLE webhook_attempts (
    tenant_id         uuid NOT NULL,
    id                uuid NOT NULL,
    delivery_id       uuid NOT NULL,
    attempt           integer NOT NULL,
    status_code       integer,
    duration_ms       integer NOT NULL,
    error             text,
    response_excerpt  text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, delivery_id) REFERENCES webhook_deliveries (tenant_id, id)
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (tenant_id, delivery_id, attempt);

-- Tokens integrators send in X-Webhook-Token; only their SHA-256 is kept.
CREATE TABLE inbound_webhook_tokens (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix        text NOT NULL,
    token_hash    bytea NOT NULL UNIQUE,
    created_by    uuid REFERENCES users (id),
    last_used_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE inbound_webhook_events (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    event_id     text NOT NULL,
    event        text NOT NULL,
    sent_at      timestamptz,
    data         jsonb NOT NULL,
    token_id     uuid,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, event_id)
);

CREATE TABLE files (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    owner_id          uuid REFERENCES users (id),
    visibility        visibility NOT NULL DEFAULT 'private',
    visible_role_ids  uuid[] NOT NULL DEFAULT '{}',
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    content_type      text NOT NULL,
    size              bigint NOT NULL CHECK (size >= 0),
    sha256            text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    description       text CHECK (length(description) <= 2000),
    metadata          jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX files_listing_idx ON files (tenant_id, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX files_hash_idx ON files (tenant_id, sha256) WHERE deleted_at IS NULL;
