-- Authentication: sessions with rotating refresh tokens, API keys, external identities,
-- login throttling, and the append-only audit log.

CREATE TABLE user_identities (
    provider          text NOT NULL,
    provider_user_id  text NOT NULL,
    user_id           uuid NOT NULL REFERENCES users (id),
    email             text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, provider_user_id)
);
CREATE INDEX user_identities_user_idx ON user_identities (user_id);

-- A login session: one refresh-token family. Revoking it ends every token it issued.
CREATE TABLE sessions (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    user_id         uuid NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_reason  text,
    client_ip       text,
    user_agent      text,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX sessions_user_idx ON sessions (tenant_id, user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    session_id   uuid NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id)
);

CREATE TABLE api_keys (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    user_id       uuid NOT NULL REFERENCES users (id),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix        text NOT NULL,
    key_hash      bytea NOT NULL UNIQUE,
    scopes        text[] NOT NULL DEFAULT '{}',
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX api_keys_user_idx ON api_keys (tenant_id, user_id);

-- Failed-login counters per account and per client address (platform-level, no tenant).
CREATE TABLE login_attempts (
    key                text PRIMARY KEY,
    failures           integer NOT NULL DEFAULT 0,
    window_started_at  timestamptz NOT NULL DEFAULT now(),
    lockouts           integer NOT NULL DEFAULT 0,
    locked_until       timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Append-only: the runtime role may insert and read; a trigger refuses changes from anyone.
CREATE TABLE audit_logs (
    id                uuid PRIMARY KEY,
    tenant_id         uuid REFERENCES tenants (id),
    actor_user_id     uuid,
    actor_api_key_id  uuid,
    action            text NOT NULL,
    target_type       text,
    target_id         text,
    outcome           text NOT NULL DEFAULT 'success',
    client_ip         text,
    request_id        text,
    before            jsonb,
    after             jsonb,
    metadata          jsonb,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_logs_tenant_time_idx ON audit_logs (tenant_id, created_at DESC);
CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_user_id, created_at DESC);

CREATE FUNCTION app.refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION app.refuse_audit_change();
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION app.refuse_audit_change();
