-- The pruned-job policy of the process that claimed a job travels with the claim, so a job whose process
-- row vanished (the orphan sweep) gets the same bounded retry, and the same prune counter, as a prune.
ALTER TABLE jobs
    ADD COLUMN pruned_retry_limit      integer NOT NULL DEFAULT 0 CHECK (pruned_retry_limit >= 0),
    ADD COLUMN pruned_retry_backoff_ms bigint  NOT NULL DEFAULT 0 CHECK (pruned_retry_backoff_ms >= 0);

-- Retention of failed and discarded jobs, and the admin filters on them (`jobs list --state failed --since 1h`).
CREATE INDEX jobs_failed_finished_at ON jobs (state, finished_at)
    WHERE state IN ('failed', 'discarded');
-- `jobs list --state failed --error ProcessPrunedError`: the class of the last error, newest first.
CREATE INDEX jobs_failed_by_error ON jobs ((errors -> -1 ->> 'class'), id)
    WHERE state IN ('failed', 'discarded');
