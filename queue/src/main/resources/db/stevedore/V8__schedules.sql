-- Recurring jobs. A schedule enqueues a job at each time its cron expression names. Any worker may enqueue a due run:
-- it locks the schedule's row (FOR UPDATE SKIP LOCKED), inserts the job and moves next_run_at on, in one transaction,
-- so a worker killed in the middle enqueues nothing and the next one enqueues the run. The unique (schedule, time) on
-- jobs makes a second job for one scheduled time impossible whatever happens.
CREATE TABLE schedules (
    name         text        PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.:-]{1,100}$'),
    cron         text        NOT NULL CHECK (length(cron) BETWEEN 1 AND 200),
    time_zone    text        NOT NULL CHECK (length(time_zone) BETWEEN 1 AND 100),
    queue        text        NOT NULL CHECK (queue ~ '^[A-Za-z0-9_.:-]{1,100}$'),
    handler      text        NOT NULL CHECK (handler ~ '^[A-Za-z0-9_.:$-]{1,200}$'),
    args         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    priority     smallint    NOT NULL DEFAULT 0,
    max_attempts integer     NOT NULL DEFAULT 25 CHECK (max_attempts > 0),
    timeout_ms   bigint               CHECK (timeout_ms > 0),
    -- Runs missed while nothing ran (every worker down for longer than a minute): skipped, or the latest run once.
    missed       text        NOT NULL CHECK (missed IN ('skip', 'run_once')),
    -- Who declares it: NULL for a schedule set by hand (Java API, CLI), else its JobWorkerPool ("namespace/name"),
    -- whose operator deletes it when it leaves the pool's spec.
    pool         text                 CHECK (length(pool) <= 300),
    next_run_at  timestamptz NOT NULL,
    last_run_at  timestamptz,
    last_job_id  bigint,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedules_due ON schedules (next_run_at);
CREATE INDEX schedules_pool ON schedules (pool) WHERE pool IS NOT NULL;

-- The run a job was enqueued for. NOT VALID as in V7: existing rows have neither column.
ALTER TABLE jobs
    ADD COLUMN schedule_name text,
    ADD COLUMN scheduled_for timestamptz,
    ADD CONSTRAINT jobs_schedule_run_complete CHECK ((schedule_name IS NULL) = (scheduled_for IS NULL)) NOT VALID;
CREATE UNIQUE INDEX jobs_schedule_run ON jobs (schedule_name, scheduled_for) WHERE schedule_name IS NOT NULL;
