-- GoyaVision's operator center: operators with semver versions (schemas, execution mode and
-- settings), dependencies between operators, templates synced from MCP servers, the MCP servers
-- a tenant configures, and algorithms (tested implementations behind a selection policy).
-- Built-in templates ship with the code (Sources/Modules/Operators/Resources/templates.json).

CREATE TABLE operators (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    id                 uuid NOT NULL,
    owner_id           uuid REFERENCES users (id),
    visibility         visibility NOT NULL DEFAULT 'private',
    visible_role_ids   uuid[] NOT NULL DEFAULT '{}',
    code               text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$'),
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description        text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    category           text NOT NULL CHECK (category IN ('analysis', 'processing', 'generation', 'utility')),
    type               text NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
    origin             text NOT NULL DEFAULT 'custom' CHECK (origin IN ('builtin', 'custom', 'marketplace', 'mcp')),
    exec_mode          text NOT NULL CHECK (exec_mode IN ('http', 'cli', 'mcp', 'ai_model', 'builtin')),
    status             text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'testing', 'published', 'deprecated')),
    tags               text[] NOT NULL DEFAULT '{}',
    active_version_id  uuid,
    -- The template it was installed from (built-in or synced), for the templates' download counts.
    template_id        uuid,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code)
);
CREATE INDEX operators_listing_idx ON operators (tenant_id, created_at DESC, id DESC);
CREATE INDEX operators_template_idx ON operators (tenant_id, template_id) WHERE template_id IS NOT NULL;
CREATE INDEX operators_tags_idx ON operators USING gin (tags);

CREATE TABLE operator_versions (
    tenant_id      uuid NOT NULL,
    id             uuid NOT NULL,
    operator_id    uuid NOT NULL,
    version        text NOT NULL CHECK (length(version) BETWEEN 5 AND 100),
    exec_mode      text NOT NULL CHECK (exec_mode IN ('http', 'cli', 'mcp', 'ai_model', 'builtin')),
    exec_config    jsonb NOT NULL DEFAULT '{}',
    input_schema   jsonb,
    output_spec    jsonb,
    config         jsonb NOT NULL DEFAULT '{}',
    changelog      text NOT NULL DEFAULT '' CHECK (length(changelog) <= 10000),
    status         text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'testing', 'active', 'archived')),
    -- When a test run of this version last succeeded (publishing needs one on the active version).
    tested_at      timestamptz,
    -- When it last became the active version (rollback goes to the one before).
    activated_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, operator_id, version),
    FOREIGN KEY (tenant_id, operator_id) REFERENCES operators (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX operator_versions_operator_idx ON operator_versions (tenant_id, operator_id, created_at DESC);

ALTER TABLE operators ADD FOREIGN KEY (tenant_id, active_version_id) REFERENCES operator_versions (tenant_id, id) DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE operator_dependencies (
    tenant_id      uuid NOT NULL,
    id             uuid NOT NULL,
    operator_id    uuid NOT NULL,
    depends_on_id  uuid NOT NULL,
    min_version    text CHECK (length(min_version) <= 100),
    is_optional    boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, operator_id, depends_on_id),
    CHECK (operator_id <> depends_on_id),
    FOREIGN KEY (tenant_id, operator_id) REFERENCES operators (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, depends_on_id) REFERENCES operators (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX operator_dependencies_target_idx ON operator_dependencies (tenant_id, depends_on_id);

-- MCP servers a tenant configures: Streamable HTTP URLs (outbound target policy) or stdio
-- commands from the administrator's allow-list.
CREATE TABLE operator_mcp_servers (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description  text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    transport    text NOT NULL CHECK (transport IN ('http', 'stdio')),
    url          text CHECK (length(url) <= 2000),
    command      text CHECK (length(command) <= 1000),
    args         text[] NOT NULL DEFAULT '{}',
    timeout_sec  integer NOT NULL DEFAULT 30 CHECK (timeout_sec BETWEEN 1 AND 600),
    enabled      boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK ((transport = 'http' AND url IS NOT NULL) OR (transport = 'stdio' AND command IS NOT NULL))
);
CREATE UNIQUE INDEX operator_mcp_servers_name_idx ON operator_mcp_servers (tenant_id, lower(name));

-- Templates made from an MCP server's tools (`/operators/mcp/sync-templates`).
CREATE TABLE operator_templates (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             uuid NOT NULL,
    code           text NOT NULL CHECK (length(code) BETWEEN 1 AND 100),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description    text NOT NULL DEFAULT '',
    category       text NOT NULL CHECK (category IN ('analysis', 'processing', 'generation', 'utility')),
    type           text NOT NULL,
    exec_mode      text NOT NULL CHECK (exec_mode IN ('http', 'cli', 'mcp', 'ai_model', 'builtin')),
    exec_config    jsonb NOT NULL DEFAULT '{}',
    input_schema   jsonb,
    output_spec    jsonb,
    config         jsonb NOT NULL DEFAULT '{}',
    author         text,
    tags           text[] NOT NULL DEFAULT '{}',
    mcp_server_id  uuid NOT NULL,
    tool_name      text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, mcp_server_id, tool_name),
    FOREIGN KEY (tenant_id, mcp_server_id) REFERENCES operator_mcp_servers (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE algorithms (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    owner_id          uuid REFERENCES users (id),
    visibility        visibility NOT NULL DEFAULT 'private',
    visible_role_ids  uuid[] NOT NULL DEFAULT '{}',
    code              text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$'),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description       text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    scenario          text NOT NULL DEFAULT '' CHECK (length(scenario) <= 200),
    status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'deprecated')),
    tags              text[] NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code)
);
CREATE INDEX algorithms_listing_idx ON algorithms (tenant_id, created_at DESC, id DESC);

CREATE TABLE algorithm_versions (
    tenant_id         uuid NOT NULL,
    id                uuid NOT NULL,
    algorithm_id      uuid NOT NULL,
    version           text NOT NULL CHECK (length(version) BETWEEN 1 AND 100),
    status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'tested', 'published', 'archived')),
    selection_policy  text NOT NULL DEFAULT 'stable' CHECK (selection_policy IN ('stable', 'high_quality', 'low_cost')),
    implementations   jsonb NOT NULL DEFAULT '[]',
    evaluations       jsonb NOT NULL DEFAULT '[]',
    published_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, algorithm_id, version),
    FOREIGN KEY (tenant_id, algorithm_id) REFERENCES algorithms (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX algorithm_versions_algorithm_idx ON algorithm_versions (tenant_id, algorithm_id, created_at);
