-- The media library (assets, media sources), the platform's artifact store, and reference
-- counting of content-addressed blobs (so unreferenced ones can be swept).

-- One row per stored blob of a tenant, with how many live rows hold it. Maintained by
-- triggers on every table that references stored content (files, media assets, artifacts),
-- so no code path can forget to count. A blob whose count fell to zero is removed by the
-- sweep once `unreferenced_since` is older than the grace period.
CREATE TABLE stored_blobs (
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    sha256              text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    ref_count           integer NOT NULL DEFAULT 0 CHECK (ref_count >= 0),
    unreferenced_since  timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, sha256)
);
CREATE INDEX stored_blobs_unreferenced_idx ON stored_blobs (unreferenced_since) WHERE ref_count = 0;

-- A row holds a blob when its hash column (TG_ARGV[0]) is set, it is not soft-deleted, and
-- (when TG_ARGV[1] names a boolean column) that column is true.
CREATE FUNCTION app.blob_row_holds(r jsonb, hash_column text, flag_column text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $fn$
    SELECT CASE WHEN r ->> hash_column IS NOT NULL AND (r ->> 'deleted_at') IS NULL
                     AND (flag_column IS NULL OR coalesce((r ->> flag_column)::boolean, false))
                THEN r ->> hash_column END
    $fn$;

CREATE FUNCTION app.track_blob_refs() RETURNS trigger
    LANGUAGE plpgsql
    AS $fn$
    DECLARE
        flag text := CASE WHEN TG_NARGS > 1 THEN TG_ARGV[1] END;
        old_hash text;
        new_hash text;
        tenant uuid;
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN old_hash := app.blob_row_holds(to_jsonb(OLD), TG_ARGV[0], flag); END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN new_hash := app.blob_row_holds(to_jsonb(NEW), TG_ARGV[0], flag); END IF;
        IF old_hash IS NOT DISTINCT FROM new_hash THEN RETURN NULL; END IF;
        IF new_hash IS NOT NULL THEN
            tenant := NEW.tenant_id;
            INSERT INTO stored_blobs (tenant_id, sha256, ref_count) VALUES (tenant, new_hash, 1)
            ON CONFLICT (tenant_id, sha256) DO UPDATE
                SET ref_count = stored_blobs.ref_count + 1, unreferenced_since = NULL, updated_at = now();
        END IF;
        IF old_hash IS NOT NULL THEN
            tenant := OLD.tenant_id;
            UPDATE stored_blobs SET ref_count = greatest(ref_count - 1, 0),
                   unreferenced_since = CASE WHEN ref_count <= 1 THEN now() ELSE NULL END, updated_at = now()
            WHERE tenant_id = tenant AND sha256 = old_hash;
        END IF;
        RETURN NULL;
    END
    $fn$;

-- Files (the files module) hold their content.
INSERT INTO stored_blobs (tenant_id, sha256, ref_count)
SELECT tenant_id, sha256, count(*) FROM files WHERE deleted_at IS NULL GROUP BY tenant_id, sha256;
INSERT INTO stored_blobs (tenant_id, sha256, ref_count, unreferenced_since)
SELECT tenant_id, sha256, 0, max(deleted_at) FROM files GROUP BY tenant_id, sha256
ON CONFLICT (tenant_id, sha256) DO NOTHING;
CREATE TRIGGER files_blob_refs AFTER INSERT OR UPDATE OF sha256, deleted_at OR DELETE ON files
    FOR EACH ROW EXECUTE FUNCTION app.track_blob_refs('sha256');

-- GoyaVision's media sources: cameras and streams.
CREATE TABLE media_sources (
    tenant_id              uuid NOT NULL REFERENCES tenants (id),
    id                     uuid NOT NULL,
    owner_id               uuid REFERENCES users (id),
    visibility             visibility NOT NULL DEFAULT 'private',
    visible_role_ids       uuid[] NOT NULL DEFAULT '{}',
    -- The visibility was last written as GoyaVision's integer (answers echo that form).
    visibility_as_integer  boolean NOT NULL DEFAULT false,
    name                   text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    path_name              text NOT NULL CHECK (path_name ~ '^[a-z0-9][a-z0-9_-]{0,99}$'),
    type                   text NOT NULL CHECK (type IN ('pull', 'push')),
    url                    text CHECK (length(url) <= 2000),
    protocol               text CHECK (protocol IN ('rtsp', 'rtmp', 'hls', 'http', 'file')),
    enabled                boolean NOT NULL DEFAULT true,
    record_enabled         boolean NOT NULL DEFAULT false,
    probe                  jsonb,
    probed_at              timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    deleted_at             timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX media_sources_path_name_idx ON media_sources (tenant_id, path_name) WHERE deleted_at IS NULL;
CREATE INDEX media_sources_listing_idx ON media_sources (tenant_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

-- Both video seeds' assets: the short-video platform's (deduplicated by hash) and
-- GoyaVision's (sources, parents, tags, status, visibility).
CREATE TABLE media_assets (
    tenant_id              uuid NOT NULL REFERENCES tenants (id),
    id                     uuid NOT NULL,
    owner_id               uuid REFERENCES users (id),
    visibility             visibility NOT NULL DEFAULT 'private',
    visible_role_ids       uuid[] NOT NULL DEFAULT '{}',
    visibility_as_integer  boolean NOT NULL DEFAULT false,
    name                   text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    description            text CHECK (length(description) <= 5000),
    asset_type             text NOT NULL CHECK (asset_type IN ('video', 'image', 'audio', 'document', 'other')),
    source_type            text NOT NULL DEFAULT 'upload' CHECK (source_type IN ('upload', 'generated', 'operator_output', 'url', 'crawl')),
    source_id              uuid,
    parent_id              uuid,
    -- A file of the files module (its content is the asset's), or a path/URL elsewhere.
    file_id                uuid,
    storage_path           text CHECK (length(storage_path) <= 2000),
    file_hash              text CHECK (file_hash ~ '^[0-9a-f]{64}$'),
    -- The content is a blob in this tenant's storage (so the asset holds a reference to it).
    blob_stored            boolean NOT NULL DEFAULT false,
    original_filename      text CHECK (length(original_filename) <= 255),
    size                   bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
    format                 text CHECK (length(format) <= 100),
    duration_seconds       double precision CHECK (duration_seconds >= 0),
    metadata               jsonb NOT NULL DEFAULT '{}'::jsonb,
    status                 text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'ready', 'failed')),
    status_reason          text,
    tags                   text[] NOT NULL DEFAULT '{}',
    source                 text CHECK (length(source) <= 500),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    deleted_at             timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, source_id) REFERENCES media_sources (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES media_assets (tenant_id, id)
);
CREATE UNIQUE INDEX media_assets_hash_idx ON media_assets (tenant_id, file_hash) WHERE deleted_at IS NULL AND file_hash IS NOT NULL;
CREATE INDEX media_assets_listing_idx ON media_assets (tenant_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX media_assets_parent_idx ON media_assets (tenant_id, parent_id) WHERE deleted_at IS NULL AND parent_id IS NOT NULL;
CREATE INDEX media_assets_source_idx ON media_assets (tenant_id, source_id) WHERE source_id IS NOT NULL;
CREATE INDEX media_assets_tags_idx ON media_assets USING gin (tags);
CREATE INDEX media_assets_public_idx ON media_assets (id) WHERE visibility = 'public' AND deleted_at IS NULL;
CREATE TRIGGER media_assets_blob_refs AFTER INSERT OR UPDATE OF file_hash, blob_stored, deleted_at OR DELETE ON media_assets
    FOR EACH ROW EXECUTE FUNCTION app.track_blob_refs('file_hash', 'blob_stored');

-- What a task produced (the platform's artifact store: any module records through it).
CREATE TABLE artifacts (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    id                 uuid NOT NULL,
    task_id            uuid NOT NULL,
    type               text NOT NULL CHECK (type IN ('asset', 'result', 'timeline', 'report')),
    asset_id           uuid,
    node_key           text CHECK (length(node_key) BETWEEN 1 AND 200),
    data               jsonb NOT NULL DEFAULT '{}'::jsonb,
    blob_sha256        text CHECK (blob_sha256 ~ '^[0-9a-f]{64}$'),
    blob_size          bigint CHECK (blob_size >= 0),
    blob_content_type  text CHECK (length(blob_content_type) <= 200),
    blob_filename      text CHECK (length(blob_filename) <= 255),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX artifacts_task_idx ON artifacts (tenant_id, task_id, id);
CREATE INDEX artifacts_listing_idx ON artifacts (tenant_id, id DESC);
CREATE INDEX artifacts_asset_idx ON artifacts (tenant_id, asset_id) WHERE asset_id IS NOT NULL;
CREATE TRIGGER artifacts_blob_refs AFTER INSERT OR UPDATE OF blob_sha256 OR DELETE ON artifacts
    FOR EACH ROW EXECUTE FUNCTION app.track_blob_refs('blob_sha256');
