-- The content module (items, revisions, the public CMS reads them) and the settings module.

CREATE TABLE content_items (
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    id                  uuid NOT NULL,
    owner_id            uuid REFERENCES users (id),
    visibility          visibility NOT NULL DEFAULT 'private',
    visible_role_ids    uuid[] NOT NULL DEFAULT '{}',
    title               text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    body                text NOT NULL DEFAULT '' CHECK (length(body) <= 1000000),
    excerpt             text CHECK (length(excerpt) <= 2000),
    featured_image_url  text CHECK (length(featured_image_url) <= 2000),
    seo_title           text CHECK (length(seo_title) <= 300),
    seo_description     text CHECK (length(seo_description) <= 1000),
    seo_keywords        text[] NOT NULL DEFAULT '{}',
    category            text CHECK (length(category) <= 100),
    tags                text[] NOT NULL DEFAULT '{}',
    slug                text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 200),
    status              text NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'pending_review', 'approved', 'published', 'rejected', 'archived')),
    quality_score       integer CHECK (quality_score BETWEEN 0 AND 100),
    feedback            text CHECK (length(feedback) <= 5000),
    revision            integer NOT NULL DEFAULT 1,
    published_at        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX content_items_slug_key ON content_items (tenant_id, slug) WHERE deleted_at IS NULL;
CREATE INDEX content_items_listing_idx ON content_items (tenant_id, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX content_items_published_idx ON content_items (tenant_id, published_at DESC)
    WHERE status = 'published' AND visibility = 'public' AND deleted_at IS NULL;

-- The item as it was after each change (revision 1 is the creation).
CREATE TABLE content_revisions (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    content_id  uuid NOT NULL,
    revision    integer NOT NULL,
    snapshot    jsonb NOT NULL,
    change      text NOT NULL,
    changed_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, content_id, revision),
    FOREIGN KEY (tenant_id, content_id) REFERENCES content_items (tenant_id, id)
);

-- Typed key/value settings of a tenant.
CREATE TABLE tenant_settings (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    key          text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_.-]{0,99}$'),
    type         text NOT NULL CHECK (type IN ('string', 'int', 'bool', 'json')),
    value        jsonb NOT NULL,
    description  text CHECK (length(description) <= 1000),
    created_by   uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, key)
);

-- A member's own preferences in a tenant.
CREATE TABLE user_preferences (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    user_id       uuid NOT NULL REFERENCES users (id),
    theme         text NOT NULL DEFAULT 'auto' CHECK (theme IN ('light', 'dark', 'auto')),
    accent_color  text CHECK (accent_color ~ '^#[0-9a-fA-F]{6}$'),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);

-- Runtime-changeable platform settings (no tenant): read by every instance at start and again
-- on each change notification.
CREATE TABLE platform_settings (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    updated_by  uuid,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
