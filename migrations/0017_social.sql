-- The social module: the short-video platform's pool of platform accounts (with daily quotas
-- workers draw from), and the content platform's social publishing (connections to networks,
-- posts with one delivery per network, analytics snapshots). Credentials and tokens are sealed
-- (AES-GCM, bound to the tenant and the row) and never served in clear.

CREATE TABLE platform_accounts (
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    id                  uuid NOT NULL,
    owner_id            uuid REFERENCES users (id),
    platform            text NOT NULL CHECK (platform ~ '^[a-z0-9][a-z0-9_.-]{0,49}$'),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The credentials object, sealed; `credentials_masked` is what answers show (keys kept,
    -- values reduced to `****` and their last four characters).
    sealed_credentials  bytea,
    credentials_masked  jsonb NOT NULL DEFAULT '{}',
    proxy               text CHECK (length(proxy) <= 2000),
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'suspended', 'banned', 'expired')),
    -- NULL: no limit.
    daily_limit         integer CHECK (daily_limit >= 0),
    -- Uses on `usage_day` (the tenant's local date); a later day reads as 0.
    used_today          integer NOT NULL DEFAULT 0 CHECK (used_today >= 0),
    usage_day           date,
    last_used_at        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX platform_accounts_name_key ON platform_accounts (tenant_id, platform, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX platform_accounts_listing_idx ON platform_accounts (tenant_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

-- One row per counted use: a use is counted once per key (a claimed task, a post's delivery),
-- so a task claimed again after its lease expired, or a publish retried, does not count twice.
CREATE TABLE platform_account_uses (
    tenant_id   uuid NOT NULL,
    account_id  uuid NOT NULL,
    use_key     text NOT NULL CHECK (length(use_key) BETWEEN 1 AND 200),
    usage_day   date NOT NULL,
    used_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, account_id, use_key),
    FOREIGN KEY (tenant_id, account_id) REFERENCES platform_accounts (tenant_id, id) ON DELETE CASCADE
);

-- A tenant's connection to a social network: one per network.
CREATE TABLE social_connections (
    tenant_id            uuid NOT NULL REFERENCES tenants (id),
    id                   uuid NOT NULL,
    platform             text NOT NULL CHECK (platform IN ('twitter', 'linkedin', 'facebook', 'instagram', 'mastodon')),
    -- The identity the network answered when the credentials were verified.
    account              text NOT NULL CHECK (length(account) BETWEEN 1 AND 300),
    remote_account_id    text NOT NULL CHECK (length(remote_account_id) BETWEEN 1 AND 200),
    display_name         text CHECK (length(display_name) <= 300),
    followers            bigint,
    sealed_credentials   bytea NOT NULL,
    token_expires_at     timestamptz,
    platform_account_id  uuid,
    checked_at           timestamptz NOT NULL DEFAULT now(),
    last_error           text CHECK (length(last_error) <= 2000),
    connected_by         uuid REFERENCES users (id),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, platform),
    FOREIGN KEY (tenant_id, platform_account_id) REFERENCES platform_accounts (tenant_id, id)
);

CREATE TABLE social_posts (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    owner_id      uuid REFERENCES users (id),
    content       text NOT NULL CHECK (length(content) BETWEEN 1 AND 10000),
    images        text[] NOT NULL DEFAULT '{}',
    hashtags      text[] NOT NULL DEFAULT '{}',
    scheduled_at  timestamptz,
    -- Summary of the deliveries: scheduled, publishing, published, partial, failed.
    status        text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'publishing', 'published', 'partial', 'failed')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX social_posts_listing_idx ON social_posts (tenant_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

-- A post's delivery to one network: the text sent there, where it stands, what the network answered.
CREATE TABLE social_post_targets (
    tenant_id       uuid NOT NULL,
    post_id         uuid NOT NULL,
    platform        text NOT NULL CHECK (platform IN ('twitter', 'linkedin', 'facebook', 'instagram', 'mastodon')),
    position        integer NOT NULL DEFAULT 0,
    content         text NOT NULL,
    status          text NOT NULL DEFAULT 'scheduled'
                    CHECK (status IN ('scheduled', 'publishing', 'published', 'failed', 'deleting', 'deleted')),
    remote_id       text CHECK (length(remote_id) <= 300),
    remote_url      text CHECK (length(remote_url) <= 2000),
    error           text CHECK (length(error) <= 2000),
    attempts        integer NOT NULL DEFAULT 0,
    quota_counted   boolean NOT NULL DEFAULT false,
    task_id         uuid,
    published_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, post_id, platform),
    FOREIGN KEY (tenant_id, post_id) REFERENCES social_posts (tenant_id, id) ON DELETE CASCADE
);

-- What a network reported for a published delivery, kept so that the last value can be
-- answered (with its age) while the network is unreachable.
CREATE TABLE social_post_metrics (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    post_id       uuid NOT NULL,
    platform      text NOT NULL,
    impressions   bigint NOT NULL DEFAULT 0,
    engagements   bigint NOT NULL DEFAULT 0,
    likes         bigint NOT NULL DEFAULT 0,
    shares        bigint NOT NULL DEFAULT 0,
    comments      bigint NOT NULL DEFAULT 0,
    raw           jsonb NOT NULL DEFAULT '{}',
    collected_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, post_id, platform) REFERENCES social_post_targets (tenant_id, post_id, platform) ON DELETE CASCADE
);
CREATE INDEX social_post_metrics_latest_idx ON social_post_metrics (tenant_id, post_id, platform, collected_at DESC);
