-- Annotation (issue 16): VideoAnnotator jobs. A job is one task of type `annotation.job`
-- (same id): the task engine owns its status, attempts and lease; this table holds what
-- VideoAnnotator's API shows beside it (the video, the pipelines, their results).

CREATE TABLE annotation_jobs (
    tenant_id               uuid NOT NULL REFERENCES tenants (id),
    id                      uuid NOT NULL,
    owner_id                uuid REFERENCES users (id),
    visibility              visibility NOT NULL DEFAULT 'private',
    visible_role_ids        uuid[] NOT NULL DEFAULT '{}',
    task_id                 uuid NOT NULL,
    video_filename          text NOT NULL CHECK (length(video_filename) BETWEEN 1 AND 255),
    video_size_bytes        bigint NOT NULL CHECK (video_size_bytes >= 0),
    video_duration_seconds  double precision,
    -- As submitted (null: none named, the default set runs); names are canonical.
    selected_pipelines      text[],
    config                  jsonb NOT NULL DEFAULT '{}',
    -- Per pipeline: status, start/end time, processing time, annotation count, output file.
    pipeline_results        jsonb NOT NULL DEFAULT '{}',
    -- The worker holding one of the tenant's running slots for this job (see JobStore.takeSlot).
    slot_worker             text,
    -- Set when the job completed with some pipelines failed.
    error_message           text,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id)
);
CREATE INDEX annotation_jobs_listing_idx ON annotation_jobs (tenant_id, created_at DESC, id DESC);
CREATE INDEX annotation_jobs_task_idx ON annotation_jobs (tenant_id, task_id);
