-- The pruned-job policy of the process that claimed a job travels with the claim, so a job whose process
-- row vanished (the orphan sweep) gets the same bounded retry, and the same prune counter, as a prune.
ALTER TABLE jobs
    ADD COLUMN pruned_retry_limit      integer NOT NULL DEFAULT 0 CHECK (pruned_retry_limit >= 0),
    ADD COLUMN pruned_retry_backoff_ms bigint  NOT NULL DEFAULT 0 CHECK (pruned_retry_backoff_ms >= 0);
