-- The dashboard's prune views (QueueInsights): every job a prune ever struck, however it ended. Few jobs are
-- pruned, so the index stays small, and the views read those jobs instead of the whole table.
CREATE INDEX jobs_pruned ON jobs (id) WHERE prunes > 0;
