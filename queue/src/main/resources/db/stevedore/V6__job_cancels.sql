-- A cancel asked of a running job. Its worker is told (NOTIFY, and a check every heartbeat interval), interrupts the
-- handler and writes the job discarded. Whoever settles the job instead (a failure, a prune, a release) discards it
-- too, so a cancel survives its worker's death.
ALTER TABLE jobs
    ADD COLUMN cancel_requested_at timestamptz,
    ADD COLUMN cancel_requested_by text CHECK (length(cancel_requested_by) <= 200);
