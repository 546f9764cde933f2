-- The jobs a process holds, indexed by claimer only. With `WHERE state = 'running'` the index also served any
-- statement filtering on running jobs, and the planner, whose statistics rightly say few jobs run at any instant,
-- chose it for statements that name their jobs by id: it then compared every running job (and every dead entry
-- recent claims left) with every job named. A claim sets claimed_by and every exit from running clears it
-- (CHECK in V1), so the rows indexed are the same.
CREATE INDEX jobs_claimed_by ON jobs (claimed_by) WHERE claimed_by IS NOT NULL;
DROP INDEX jobs_running_by_process;
