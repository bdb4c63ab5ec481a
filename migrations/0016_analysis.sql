-- Channel analysis (the short-video platform's /analysis routes): target accounts found by
-- their channel URL, crawled on a schedule into snapshots of their numbers, their videos with
-- snapshots of theirs, downloads into the media library and shot analysis. The work itself runs
-- on the task engine; `analysis_tasks` says which account and video each task is about.

CREATE TABLE analysis_accounts (
    tenant_id            uuid NOT NULL REFERENCES tenants (id),
    id                   uuid NOT NULL,
    -- Who added the account (scheduled crawls run on their behalf).
    owner_id             uuid REFERENCES users (id),
    platform             text NOT NULL DEFAULT 'youtube' CHECK (platform IN ('youtube')),
    -- How the channel URL named the channel: `/@handle`, `/channel/UC...`, `/c/name`, `/user/name`.
    locator_kind         text NOT NULL CHECK (locator_kind IN ('handle', 'channel_id', 'custom', 'username')),
    locator_value        text NOT NULL CHECK (length(locator_value) BETWEEN 1 AND 200),
    -- The platform's channel id (UC...), known from the URL or from the first crawl.
    account_id           text CHECK (length(account_id) BETWEEN 1 AND 100),
    display_name         text CHECK (length(display_name) <= 500),
    username             text CHECK (length(username) <= 200),
    profile_url          text CHECK (length(profile_url) <= 2000),
    channel_url          text NOT NULL CHECK (length(channel_url) <= 2000),
    description          text CHECK (length(description) <= 20000),
    avatar_url           text CHECK (length(avatar_url) <= 2000),
    is_verified          boolean,
    category             text CHECK (length(category) <= 100),
    subscriber_count     bigint,
    is_active            boolean NOT NULL DEFAULT true,
    last_crawled_at      timestamptz,
    video_crawl_limit    integer NOT NULL DEFAULT 50 CHECK (video_crawl_limit BETWEEN 1 AND 1000),
    -- Whether scheduled crawls fetch the videos too (quick-add's crawl_videos).
    crawl_videos         boolean NOT NULL DEFAULT true,
    uploads_playlist_id  text CHECK (length(uploads_playlist_id) <= 100),
    country              text CHECK (length(country) <= 10),
    published_at         timestamptz,
    is_scheduled         boolean NOT NULL DEFAULT false,
    schedule_interval    integer CHECK (schedule_interval BETWEEN 60 AND 31536000),
    cron_string          text CHECK (length(cron_string) <= 200),
    -- When the scheduler next queues a crawl (NULL: not scheduled, inactive or deleted).
    next_crawl_at        timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz,
    PRIMARY KEY (tenant_id, id),
    CHECK (schedule_interval IS NULL OR cron_string IS NULL)
);
CREATE UNIQUE INDEX analysis_accounts_locator_idx ON analysis_accounts (tenant_id, platform, locator_kind, locator_value) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX analysis_accounts_channel_idx ON analysis_accounts (tenant_id, platform, account_id) WHERE deleted_at IS NULL AND account_id IS NOT NULL;
CREATE INDEX analysis_accounts_listing_idx ON analysis_accounts (tenant_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
-- The scheduler's look-up across tenants.
CREATE INDEX analysis_accounts_due_idx ON analysis_accounts (next_crawl_at) WHERE next_crawl_at IS NOT NULL AND deleted_at IS NULL;

-- The account's numbers at each crawl.
CREATE TABLE analysis_account_snapshots (
    tenant_id                uuid NOT NULL REFERENCES tenants (id),
    id                       uuid NOT NULL,
    target_account_id        uuid NOT NULL,
    subscriber_count         bigint,
    total_videos_count       bigint,
    hidden_subscriber_count  boolean,
    total_views              bigint,
    collected_at             timestamptz NOT NULL,
    created_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, target_account_id) REFERENCES analysis_accounts (tenant_id, id)
);
CREATE INDEX analysis_account_snapshots_account_idx ON analysis_account_snapshots (tenant_id, target_account_id, collected_at, id);

-- An account's videos, upserted by the platform's video id at each crawl.
CREATE TABLE analysis_videos (
    tenant_id               uuid NOT NULL REFERENCES tenants (id),
    id                      uuid NOT NULL,
    target_account_id       uuid NOT NULL,
    video_id                text NOT NULL CHECK (length(video_id) BETWEEN 1 AND 100),
    video_url               text NOT NULL CHECK (length(video_url) <= 2000),
    -- The media-library asset the download became (the media module's; no foreign key across modules).
    asset_id                uuid,
    title                   text CHECK (length(title) <= 1000),
    description             text CHECK (length(description) <= 20000),
    thumbnail_url           text CHECK (length(thumbnail_url) <= 2000),
    duration                integer CHECK (duration >= 0),
    published_at            timestamptz,
    category_id             text CHECK (length(category_id) <= 50),
    default_audio_language  text CHECK (length(default_audio_language) <= 50),
    analysis_results        jsonb,
    analysis_status         text CHECK (analysis_status IN ('pending', 'processing', 'completed', 'failed')),
    analysis_error          text,
    is_downloaded           boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    deleted_at              timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, target_account_id, video_id),
    FOREIGN KEY (tenant_id, target_account_id) REFERENCES analysis_accounts (tenant_id, id)
);
CREATE INDEX analysis_videos_published_idx ON analysis_videos (tenant_id, published_at DESC NULLS LAST, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX analysis_videos_account_idx ON analysis_videos (tenant_id, target_account_id, published_at DESC NULLS LAST) WHERE deleted_at IS NULL;

-- A video's numbers at each crawl.
CREATE TABLE analysis_video_snapshots (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    video_id        uuid NOT NULL,
    views_count     bigint,
    likes_count     bigint,
    comments_count  bigint,
    favorite_count  bigint,
    collected_at    timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, video_id) REFERENCES analysis_videos (tenant_id, id)
);
CREATE INDEX analysis_video_snapshots_video_idx ON analysis_video_snapshots (tenant_id, video_id, collected_at, id);

-- The seed's monitoring tasks: each is a task of the task engine (same id) about an account
-- and, for downloads and analyses, one of its videos.
CREATE TABLE analysis_tasks (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    task_id            uuid NOT NULL,
    task_type          text NOT NULL CHECK (task_type IN ('account_crawl', 'video_download', 'video_analysis')),
    target_account_id  uuid NOT NULL,
    video_id           uuid,
    -- What queued it: a person (`manual`), quick-add, or the schedule.
    trigger            text NOT NULL CHECK (trigger IN ('manual', 'quick_add', 'schedule')),
    -- A schedule's fire time: one crawl per fire, whatever instance fires it.
    trigger_key        text CHECK (length(trigger_key) <= 200),
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, task_id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, target_account_id) REFERENCES analysis_accounts (tenant_id, id),
    FOREIGN KEY (tenant_id, video_id) REFERENCES analysis_videos (tenant_id, id)
);
CREATE UNIQUE INDEX analysis_tasks_trigger_idx ON analysis_tasks (tenant_id, target_account_id, trigger_key) WHERE trigger_key IS NOT NULL;
CREATE INDEX analysis_tasks_account_idx ON analysis_tasks (tenant_id, target_account_id, task_id DESC);
CREATE INDEX analysis_tasks_video_idx ON analysis_tasks (tenant_id, video_id, task_id DESC) WHERE video_id IS NOT NULL;
