-- Stevedore queue schema. Flyway runs this with search_path set to the configured schema
-- (${flyway:defaultSchema}), so names here are unqualified.

CREATE TABLE processes (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pool                   text        NOT NULL,
    pod_name               text,
    pod_uid                text,
    node                   text,
    host                   text        NOT NULL,
    pid                    bigint      NOT NULL,
    queues                 text[]      NOT NULL,
    slots                  integer     NOT NULL CHECK (slots > 0),
    -- Each process is judged by its own threshold and its pool's policy for the jobs it held,
    -- so any pruner (another worker, the operator) applies the same rules.
    alive_threshold_ms     bigint      NOT NULL CHECK (alive_threshold_ms > 0),
    pruned_retry_limit     integer     NOT NULL DEFAULT 0 CHECK (pruned_retry_limit >= 0),
    pruned_retry_backoff_ms bigint     NOT NULL DEFAULT 0 CHECK (pruned_retry_backoff_ms >= 0),
    started_at             timestamptz NOT NULL DEFAULT now(),
    last_heartbeat_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processes_pool ON processes (pool);
CREATE INDEX processes_pod_uid ON processes (pod_uid) WHERE pod_uid IS NOT NULL;

-- Fencing tokens: every claim takes a new one, and every write on behalf of a claim names it.
CREATE SEQUENCE claim_tokens;

CREATE TABLE jobs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue         text        NOT NULL CHECK (queue ~ '^[A-Za-z0-9_.:-]{1,100}$'),
    handler       text        NOT NULL CHECK (handler ~ '^[A-Za-z0-9_.:$-]{1,200}$'),
    args          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    priority      smallint    NOT NULL DEFAULT 0,
    state         text        NOT NULL CHECK (state IN ('scheduled', 'available', 'running', 'completed', 'failed', 'discarded')),
    run_at        timestamptz NOT NULL DEFAULT now(),
    attempts      integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts  integer     NOT NULL DEFAULT 25 CHECK (max_attempts > 0),
    prunes        integer     NOT NULL DEFAULT 0 CHECK (prunes >= 0),
    timeout_ms    bigint               CHECK (timeout_ms > 0),
    unique_key    text,
    claimed_by    bigint,
    claim_token   bigint,
    checkpoint    jsonb,
    errors        jsonb       NOT NULL DEFAULT '[]'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    claimed_at    timestamptz,
    finished_at   timestamptz,
    CHECK ((state = 'running') = (claimed_by IS NOT NULL)),
    CHECK ((state IN ('completed', 'failed', 'discarded')) = (finished_at IS NOT NULL))
);

-- Claim: the next available jobs of some queues, by priority then age.
CREATE INDEX jobs_claim_by_queue ON jobs (queue, priority, run_at, id) WHERE state = 'available';
-- Claim for workers of every queue ('*').
CREATE INDEX jobs_claim_any_queue ON jobs (priority, run_at, id) WHERE state = 'available';
-- Promotion of scheduled jobs (delays and retry backoff) once they are due.
CREATE INDEX jobs_due ON jobs (run_at) WHERE state = 'scheduled';
-- Prune and orphan sweep: the jobs a process holds.
CREATE INDEX jobs_running_by_process ON jobs (claimed_by) WHERE state = 'running';
-- Janitor: completed jobs past retention.
CREATE INDEX jobs_completed_at ON jobs (finished_at) WHERE state = 'completed';
-- Admin listing, newest first within a state.
CREATE INDEX jobs_state_id ON jobs (state, id);
-- At most one unfinished job per unique key.
CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running');

-- Wake idle workers: one notification per queue per inserting statement, payload = queue name.
-- Updates that make jobs available (promotion, retry, release) notify from the statement itself,
-- so claims and completions pay for no trigger.
CREATE FUNCTION notify_available_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('${flyway:defaultSchema}_jobs', q.queue)
    FROM (SELECT DISTINCT queue FROM new_jobs WHERE state = 'available') q;
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_notify_insert AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION notify_available_jobs();

-- Enqueue from any language: SELECT stevedore.enqueue('mail', 'send-welcome', '{"user": 42}');
-- Returns the new job's id, or NULL when an unfinished job with the same unique key exists.
CREATE FUNCTION enqueue(
    queue        text,
    handler      text,
    args         jsonb       DEFAULT '{}'::jsonb,
    priority     integer     DEFAULT 0,
    run_at       timestamptz DEFAULT NULL,
    max_attempts integer     DEFAULT 25,
    unique_key   text        DEFAULT NULL
) RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO ${flyway:defaultSchema}.jobs AS j (queue, handler, args, priority, state, run_at, max_attempts, unique_key)
    VALUES (enqueue.queue, enqueue.handler, coalesce(enqueue.args, '{}'::jsonb), enqueue.priority::smallint,
            CASE WHEN enqueue.run_at > now() THEN 'scheduled' ELSE 'available' END,
            coalesce(enqueue.run_at, now()), enqueue.max_attempts, enqueue.unique_key)
    ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running') DO NOTHING
    RETURNING j.id
$$;
