-- Foundation: the tenancy core every module builds on.
-- Isolation rules live in policies/ (re-applied after every migration run).

CREATE SCHEMA IF NOT EXISTS app;

-- Who may read a row that belongs to a person (see docs/tenancy.md):
--   private: its owner, and members whose data scope is tenant-wide
--   role:    as private, plus members holding one of the row's visible_role_ids
--   tenant:  every member of the owning tenant
--   public:  anyone, across tenants and anonymously (only the owning tenant may write)
CREATE TYPE visibility AS ENUM ('private', 'role', 'tenant', 'public');

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    code        text NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    plan        text NOT NULL DEFAULT 'standard',
    settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX tenants_code_key ON tenants (code) WHERE deleted_at IS NULL;

-- A person. Users are global so one person can belong to several tenants; what they may do
-- in a tenant comes from their membership there.
CREATE TABLE users (
    id                uuid PRIMARY KEY,
    username          text NOT NULL CHECK (length(username) BETWEEN 1 AND 100),
    email             text CHECK (email IS NULL OR length(email) <= 320),
    display_name      text,
    password_hash     text,
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    is_platform_admin boolean NOT NULL DEFAULT false,
    last_login_at     timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username)) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE deleted_at IS NULL AND email IS NOT NULL;

CREATE TABLE tenant_memberships (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    is_default  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, user_id)
);
CREATE INDEX tenant_memberships_user_idx ON tenant_memberships (user_id);
