-- Jobs churn: each claim and each completion leaves a dead row version, and retention deletes finished jobs all
-- day. Every claimed job also leaves a dead entry at the head of the claim index, which each later claim steps over
-- until a vacuum removes it. The server's defaults vacuum a table once a fifth of it is dead, and then at a
-- throttled pace. For this table: vacuum after a fixed number of changes, whatever its size, and at full speed.
-- (How often autovacuum looks at a database at all is the server's autovacuum_naptime; see the README, Operations.)
ALTER TABLE jobs SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 5000,
    autovacuum_vacuum_insert_scale_factor = 0,
    autovacuum_vacuum_insert_threshold = 5000,
    autovacuum_vacuum_cost_delay = 0
);
