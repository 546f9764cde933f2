-- Concurrency limits. A job may name a concurrency key and a limit: it starts only while fewer than `limit` jobs of its
-- key run, counting every worker. The count is of running jobs, never a counter kept beside them, so whatever ends a
-- run (completion, failure, prune, release, cancel) frees its slot in the same write.
-- The checks are NOT VALID: every existing row has neither column, and validating would read the whole table under the
-- migration's exclusive lock. They hold for every row written from now on all the same.
ALTER TABLE jobs
    ADD COLUMN concurrency_key   text,
    ADD COLUMN concurrency_limit integer,
    ADD CONSTRAINT jobs_concurrency_key_length CHECK (length(concurrency_key) BETWEEN 1 AND 200) NOT VALID,
    ADD CONSTRAINT jobs_concurrency_limit_positive CHECK (concurrency_limit > 0) NOT VALID,
    ADD CONSTRAINT jobs_concurrency_key_and_limit CHECK ((concurrency_key IS NULL) = (concurrency_limit IS NULL)) NOT VALID;

-- Jobs with a key are claimed by their own statement (under a lock of the key), so the claim indexes of the rest leave
-- them out: a backlog held back by its limit is never walked by the claims of other jobs. Each index is built under a
-- new name while the old one serves, then takes its name (as in V3).
CREATE INDEX jobs_claim_by_queue_v7 ON jobs (queue, priority, run_at, id) WHERE state = 'available' AND concurrency_key IS NULL;
CREATE INDEX jobs_claim_any_queue_v7 ON jobs ((priority::integer), run_at, id) WHERE state = 'available' AND concurrency_key IS NULL;
DROP INDEX jobs_claim_by_queue;
DROP INDEX jobs_claim_any_queue;
ALTER INDEX jobs_claim_by_queue_v7 RENAME TO jobs_claim_by_queue;
ALTER INDEX jobs_claim_any_queue_v7 RENAME TO jobs_claim_any_queue;

-- The keys worth claiming for: available limited jobs in claim order.
CREATE INDEX jobs_limited_available ON jobs (priority, run_at, id) WHERE state = 'available' AND concurrency_key IS NOT NULL;
-- The next jobs of one key.
CREATE INDEX jobs_limited_by_key ON jobs (concurrency_key, priority, run_at, id) WHERE state = 'available' AND concurrency_key IS NOT NULL;
-- How many jobs of a key run.
CREATE INDEX jobs_running_by_key ON jobs (concurrency_key) WHERE state = 'running' AND concurrency_key IS NOT NULL;

-- Inserted limited jobs wake workers with '~' before the queue's name: they are claimed by the statement of their own.
CREATE OR REPLACE FUNCTION notify_available_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('${flyway:defaultSchema}_jobs', CASE WHEN q.limited THEN '~' ELSE '' END || q.queue)
    FROM (SELECT DISTINCT queue, concurrency_key IS NOT NULL AS limited FROM new_jobs WHERE state = 'available') q;
    RETURN NULL;
END
$$;
