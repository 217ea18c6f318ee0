-- Imports from the upload page run as jobs in the background (`import::jobs`): the upload is
-- stored, a row is written here and the import runs on without the request. The running job
-- writes its progress and a heartbeat every second; a job whose heartbeat stopped (its server
-- died) is marked failed when a server starts and every minute after, so none stays running.
CREATE TABLE import_jobs (
    shop_id          bigint NOT NULL REFERENCES shops (id),
    id               bigint GENERATED ALWAYS AS IDENTITY,
    user_id          bigint NOT NULL REFERENCES users (id),
    kind             text NOT NULL CHECK (kind IN ('orders', 'refunds')),
    format           text NOT NULL CHECK (format IN ('auto', 'taobao', 'csv')),
    dry_run          boolean NOT NULL,
    file_name        text NOT NULL,
    file_size        bigint NOT NULL CHECK (file_size >= 0),
    state            text NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    rows_done        bigint NOT NULL DEFAULT 0 CHECK (rows_done >= 0),
    rows_total       bigint NOT NULL DEFAULT 0 CHECK (rows_total >= 0),
    -- What a finished job did (`ImportSummary`), or why it failed (`jobs::Failure`).
    summary          jsonb,
    failure          jsonb,
    cancel_requested boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    -- Wall-clock time of the last sign of life of the server running the job.
    heartbeat_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, id),
    CHECK ((state IN ('done', 'failed', 'cancelled')) = (finished_at IS NOT NULL))
);
CREATE INDEX import_jobs_recent ON import_jobs (shop_id, id DESC);
CREATE INDEX import_jobs_unfinished ON import_jobs (heartbeat_at) WHERE state IN ('queued', 'running');
