-- Secrets a tenant stores for its integrations (a model provider's API key, say): write-only
-- through the API, encrypted at rest with AES-GCM under the platform's secrets key.
CREATE TABLE tenant_secrets (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_.-]{0,99}$'),
    sealed      bytea NOT NULL,
    updated_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);
