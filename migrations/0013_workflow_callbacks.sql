-- n8n callbacks an `n8n` node waits for: the id (random) is the capability in the callback URL.
CREATE TABLE workflow_callbacks (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    run_id          uuid NOT NULL,
    node_key        text NOT NULL,
    registry_id     uuid NOT NULL,
    sent_at         timestamptz,
    received_at     timestamptz,
    payload         jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, run_id, node_key),
    FOREIGN KEY (tenant_id, registry_id) REFERENCES workflow_registry (tenant_id, id)
);
CREATE UNIQUE INDEX workflow_callbacks_id_idx ON workflow_callbacks (id);
