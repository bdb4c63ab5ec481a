-- Usage accounting (platform telemetry, written in batches by every instance) and the metrics
-- module's custom metrics. Rows are per tenant and minute; several instances add to one row.

CREATE TABLE api_usage_minutes (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    minute           timestamptz NOT NULL,
    credential       text NOT NULL CHECK (credential IN ('session', 'api_key')),
    method           text NOT NULL CHECK (length(method) <= 16),
    route            text NOT NULL CHECK (length(route) <= 300),
    status_class     text NOT NULL CHECK (status_class IN ('1xx', '2xx', '3xx', '4xx', '5xx')),
    requests         bigint NOT NULL CHECK (requests >= 0),
    duration_ms      double precision NOT NULL,
    max_duration_ms  double precision NOT NULL,
    PRIMARY KEY (tenant_id, minute, credential, method, route, status_class)
);

CREATE TABLE active_users_daily (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    day        date NOT NULL,
    user_id    uuid NOT NULL,
    PRIMARY KEY (tenant_id, day, user_id)
);

-- Every model call the provider registry made for a tenant (chat, workflow nodes, agents, operators).
CREATE TABLE model_usage_minutes (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    minute             timestamptz NOT NULL,
    provider           text NOT NULL CHECK (length(provider) <= 200),
    model              text NOT NULL CHECK (length(model) <= 200),
    calls              bigint NOT NULL,
    prompt_tokens      bigint NOT NULL,
    completion_tokens  bigint NOT NULL,
    duration_ms        double precision NOT NULL,
    PRIMARY KEY (tenant_id, minute, provider, model)
);

-- Custom metrics (`POST /api/v1/metrics/track-usage`): the series a tenant may write (bounded in
-- number) and their per-minute aggregates.
CREATE TABLE custom_metric_series (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    metric_name  text NOT NULL CHECK (metric_name ~ '^[a-z][a-z0-9_.]{0,63}$'),
    unit         text NOT NULL,
    tags         jsonb NOT NULL DEFAULT '{}',
    tags_key     text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, metric_name, unit, tags_key)
);

CREATE TABLE custom_metric_minutes (
    tenant_id  uuid NOT NULL,
    series_id  uuid NOT NULL,
    minute     timestamptz NOT NULL,
    count      bigint NOT NULL,
    sum        double precision NOT NULL,
    min        double precision NOT NULL,
    max        double precision NOT NULL,
    PRIMARY KEY (tenant_id, series_id, minute),
    FOREIGN KEY (tenant_id, series_id) REFERENCES custom_metric_series (tenant_id, id) ON DELETE CASCADE
);
