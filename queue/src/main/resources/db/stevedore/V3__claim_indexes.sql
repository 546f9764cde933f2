-- Two indexes re-keyed. Each new index is built first, under a new name, while the table stays readable and the
-- old index still serves; the old one is then dropped and the new one takes its name, so the table is locked
-- exclusively only for that last step, not for a build.

-- The jobs a process holds, indexed by claimer only. With `WHERE state = 'running'` the index also served any
-- statement filtering on running jobs, and the planner, whose statistics rightly say few jobs run at any instant,
-- chose it for statements that name their jobs by id: it then compared every running job (and every dead entry
-- recent claims left) with every job named. A claim sets claimed_by and every exit from running clears it
-- (CHECK in V1), so the rows indexed are the same.
CREATE INDEX jobs_claimed_by ON jobs (claimed_by) WHERE claimed_by IS NOT NULL;

-- The claim of every queue ('*') orders by (priority::integer, run_at, id), and this index has that key. Keyed on
-- (priority, run_at, id) it also gave the order a claim of named queues asks for, and where the statistics do not
-- know those queues (new, or empty at the last ANALYZE) the planner expected every job to be theirs and walked it,
-- reading other queues' whole backlog on every claim. A claim of named queues now has jobs_claim_by_queue only.
CREATE INDEX jobs_claim_any_queue_v3 ON jobs ((priority::integer), run_at, id) WHERE state = 'available';

DROP INDEX jobs_running_by_process;
DROP INDEX jobs_claim_any_queue;
ALTER INDEX jobs_claim_any_queue_v3 RENAME TO jobs_claim_any_queue;
