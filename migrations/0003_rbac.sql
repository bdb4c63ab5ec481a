-- Role/menu RBAC. The permission catalog and the menu tree are platform-level (the same for
-- every tenant, managed by platform administrators); roles and grants belong to a tenant.

CREATE TABLE permissions (
    code         text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_-]*(:[a-z0-9_*-]+)+$'),
    name         text NOT NULL,
    description  text,
    -- 'platform' codes guard platform-level objects: only platform administrators hold them.
    scope        text NOT NULL DEFAULT 'tenant' CHECK (scope IN ('tenant', 'platform'))
);

CREATE TABLE menus (
    id          uuid PRIMARY KEY,
    parent_id   uuid REFERENCES menus (id),
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9:._-]*$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    type        text NOT NULL CHECK (type IN ('directory', 'menu', 'button')),
    path        text,
    icon        text,
    component   text,
    permission  text REFERENCES permissions (code),
    sort        integer NOT NULL DEFAULT 0,
    visible     boolean NOT NULL DEFAULT true,
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (type <> 'button' OR permission IS NOT NULL),
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX menus_parent_idx ON menus (parent_id);

CREATE TABLE roles (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    code         text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_-]{0,62}$'),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description  text,
    data_scope   text NOT NULL DEFAULT 'self' CHECK (data_scope IN ('all', 'self')),
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    is_system    boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX roles_code_key ON roles (tenant_id, code) WHERE deleted_at IS NULL;

CREATE TABLE role_menus (
    tenant_id  uuid NOT NULL,
    role_id    uuid NOT NULL,
    menu_id    uuid NOT NULL REFERENCES menus (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, role_id, menu_id),
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE user_roles (
    tenant_id  uuid NOT NULL,
    user_id    uuid NOT NULL REFERENCES users (id),
    role_id    uuid NOT NULL,
    PRIMARY KEY (tenant_id, user_id, role_id),
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_memberships (tenant_id, user_id) ON DELETE CASCADE
);
CREATE INDEX user_roles_role_idx ON user_roles (tenant_id, role_id);
