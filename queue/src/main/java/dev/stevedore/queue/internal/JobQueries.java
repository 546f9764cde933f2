package dev.stevedore.queue.internal;

import dev.stevedore.queue.JobState;
import dev.stevedore.queue.QueueSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The worker's statements on the jobs table. Every write for a claimed job names its claim token and
 * requires {@code state = 'running'}, so a write from a worker that lost the job changes nothing.
 */
public final class JobQueries {

    /**
     * The JobCancelledError a cancelled job's history ends with, as SQL over the job's row {@code j}; every statement
     * that settles a job whose cancel was asked for (a failure, a prune, a release) appends it and discards the job.
     */
    public static final String CANCELLED_ERROR = """
            jsonb_build_object('class', 'JobCancelledError', 'message', 'cancelled by ' || coalesce(j.cancel_requested_by, 'someone'),
                               'by', j.cancel_requested_by, 'attempt', j.attempts, 'at', now())""";

    /**
     * Hands a claimed job back, as SQL SET clauses over its row {@code j}: available again without charging the attempt
     * its claim took, or discarded if its cancel was asked for.
     */
    public static final String RELEASE = """
            state = CASE WHEN j.cancel_requested_at IS NULL THEN 'available' ELSE 'discarded' END,
            attempts = CASE WHEN j.cancel_requested_at IS NULL THEN j.attempts - 1 ELSE j.attempts END,
            finished_at = CASE WHEN j.cancel_requested_at IS NULL THEN NULL ELSE now() END,
            errors = CASE WHEN j.cancel_requested_at IS NULL THEN j.errors ELSE j.errors || jsonb_build_array(""" + CANCELLED_ERROR + """
            ) END,
            claimed_by = NULL""";

    private final QueueSchema schema;
    private final String claimOneQueueSql;
    private final String claimQueuesSql;
    private final String claimAnySql;
    private final String claimOpenQueuesSql;
    private final String anyPausedSql;
    /** The two statements of a limited claim, by [all queues][some queue paused]. */
    private final String[][] limitedKeysSql = new String[2][2];
    private final String[][] limitedClaimSql = new String[2][2];
    private final String limitedFreedSql;
    private final String outcomesSql;
    private final String checkpointSql;
    private final String promoteSql;
    private final java.util.Map<JobState, String> deleteFinishedSql = new java.util.EnumMap<>(JobState.class);
    private final String releaseUnheldSql;
    private final String cancelRequestsSql;

    public JobQueries(QueueSchema schema) {
        this.schema = schema;
        // Every claim stamps a new fencing token and copies the claimer's pruned-job policy onto the job, so
        // whoever settles the job if the process vanishes applies that policy.
        String update = """
                UPDATE {schema}.jobs j
                SET state = 'running', attempts = j.attempts + 1, claimed_by = me.id,
                    claim_token = nextval('{schema}.claim_tokens'), claimed_at = now(),
                    pruned_retry_limit = me.pruned_retry_limit, pruned_retry_backoff_ms = me.pruned_retry_backoff_ms
                FROM next, me WHERE j.id = next.id
                RETURNING j.id, j.queue, j.handler, j.args::text, j.attempts, j.max_attempts, j.prunes, j.timeout_ms,
                          j.checkpoint::text, j.claim_token, greatest(0, (extract(epoch FROM now() - j.run_at) * 1000)::bigint),
                          j.concurrency_key
                """;
        // Key-share lock on the process row: a prune of this process waits for the claim, then sees its jobs.
        String me = """
                WITH me AS (
                    SELECT id, pruned_retry_limit, pruned_retry_backoff_ms FROM {schema}.processes WHERE id = ? FOR KEY SHARE
                ),
                """;
        // The locking CTEs are MATERIALIZED so their rows are locked once: inlined, a nested loop could re-run them per row.
        String single = me + """
                next AS MATERIALIZED (
                    SELECT j.id FROM {schema}.jobs j
                    WHERE j.state = 'available' AND j.concurrency_key IS NULL {queueFilter} AND EXISTS (SELECT 1 FROM me)
                    ORDER BY {order}
                    LIMIT ?
                    FOR UPDATE SKIP LOCKED
                )
                """ + update;
        // A paused queue is skipped by the claim statements themselves, so a pause holds from its commit on, whatever a
        // worker has heard of it. One queue: an equality, so the (queue, priority, run_at, id) index gives the order
        // directly; the pause is read once (an InitPlan), not per row. Every queue: the order of the
        // jobs_claim_any_queue index, whose key is priority::integer so that it cannot serve the claims of named
        // queues (V3 says why); while any queue is paused this statement claims nothing (a filter per row would
        // walk a paused queue's whole backlog on every claim), and the worker uses claimOpenQueuesSql instead.
        this.claimOneQueueSql = schema.sql(single
                .replace("{queueFilter}", "AND j.queue = ? AND NOT EXISTS (SELECT 1 FROM {schema}.queue_pauses WHERE queue = ?)")
                .replace("{order}", "j.priority, j.run_at, j.id"));
        this.claimAnySql = schema.sql(single.replace("{queueFilter}", "AND NOT EXISTS (SELECT 1 FROM {schema}.queue_pauses)")
                .replace("{order}", "j.priority::integer, j.run_at, j.id"));
        // Several queues: `queue = ANY(...) ORDER BY priority` cannot use the per-queue index and would scan other
        // queues' backlog, so each open queue gets its own index range (the best `limit` of each), then the best of those.
        String byQueue = """
                candidates AS (
                    SELECT c.id, c.priority, c.run_at FROM open_queues AS q
                    CROSS JOIN LATERAL (
                        SELECT j.id, j.priority, j.run_at FROM {schema}.jobs j
                        WHERE j.state = 'available' AND j.concurrency_key IS NULL AND j.queue = q.name AND EXISTS (SELECT 1 FROM me)
                        ORDER BY j.priority, j.run_at, j.id
                        LIMIT ?
                        FOR UPDATE SKIP LOCKED
                    ) c
                ),
                next AS MATERIALIZED (
                    SELECT id FROM candidates ORDER BY priority, run_at, id LIMIT ?
                )
                """;
        this.claimQueuesSql = schema.sql(me + """
                open_queues AS MATERIALIZED (
                    SELECT u.name FROM unnest(?::text[]) AS u(name)
                    WHERE NOT EXISTS (SELECT 1 FROM {schema}.queue_pauses p WHERE p.queue = u.name)
                ),
                """ + byQueue + update);
        // Every queue while some are paused: the queues that have available jobs, found by a skip scan of
        // jobs_claim_by_queue (one index probe per queue), less the paused ones, then as for several queues.
        this.claimOpenQueuesSql = schema.sql(me + """
                open_queues AS MATERIALIZED (
                    WITH RECURSIVE waiting(name) AS (
                        (SELECT queue FROM {schema}.jobs WHERE state = 'available' AND concurrency_key IS NULL ORDER BY queue LIMIT 1)
                        UNION ALL
                        SELECT (SELECT j.queue FROM {schema}.jobs j WHERE j.state = 'available' AND j.concurrency_key IS NULL AND j.queue > w.name
                                ORDER BY j.queue LIMIT 1)
                        FROM waiting w WHERE w.name IS NOT NULL
                    )
                    SELECT w.name FROM waiting w
                    WHERE w.name IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {schema}.queue_pauses p WHERE p.queue = w.name)
                ),
                """ + byQueue + update);
        // Jobs with a concurrency key: a transaction of two statements. The first finds keys whose next job may start
        // (by its snapshot, a hint only) and try-locks each for the transaction; every claim of a key's jobs holds that
        // lock until it commits. The second statement's snapshot is taken after the locks, so it sees every claim of
        // those keys that committed, counts their running jobs, and claims only the room left under the limit: two
        // workers can never both fill the last slot. A key locked by another claim is skipped, not waited for.
        // The keys are visited in name order from a cursor the worker moves on (a skip scan of jobs_limited_by_key, one
        // probe per key, at most 500 keys a statement), not by walking jobs: a key whose backlog waits for its limit then
        // costs one probe, however long the backlog. Keys thus take turns; within a key, jobs go by priority.
        // While no queue is paused the pause check is read once per statement (an InitPlan), and the planner's estimates
        // lead it down the key's index in claim order. Checked per row, the check misled its estimates into reading and
        // sorting each key's whole backlog (35 ms against 0.8 ms for 3 keys of 6,500 jobs), so that form is used only while
        // some queue is paused; the worker knows within a second, and either form claims nothing from a paused queue.
        String openExact = "AND NOT EXISTS (SELECT 1 FROM {schema}.queue_pauses p WHERE p.queue = %1$s.queue)";
        String openFast = "AND NOT EXISTS (SELECT 1 FROM {schema}.queue_pauses)";
        String running = "(SELECT count(*) FROM {schema}.jobs r WHERE r.concurrency_key = %1$s AND r.state = 'running')";
        String limitedKeys = """
                WITH RECURSIVE keys(key, n) AS (
                    (SELECT concurrency_key, 1 FROM {schema}.jobs
                     WHERE state = 'available' AND concurrency_key IS NOT NULL AND concurrency_key > ?
                     ORDER BY concurrency_key LIMIT 1)
                    UNION ALL
                    SELECT (SELECT j.concurrency_key FROM {schema}.jobs j
                            WHERE j.state = 'available' AND j.concurrency_key IS NOT NULL AND j.concurrency_key > k.key
                            ORDER BY j.concurrency_key LIMIT 1), k.n + 1
                    FROM keys k WHERE k.key IS NOT NULL AND k.n < 500
                )
                SELECT k.key, pg_try_advisory_xact_lock(hashtext('{schema}.concurrency_key'), hashtext(k.key))
                FROM keys k
                CROSS JOIN LATERAL (
                    SELECT h.concurrency_limit FROM {schema}.jobs h
                    WHERE h.state = 'available' AND h.concurrency_key = k.key {queueFilter} %s
                    ORDER BY h.priority, h.run_at, h.id
                    LIMIT 1
                ) head
                WHERE k.key IS NOT NULL AND %s < head.concurrency_limit
                LIMIT ?
                """.formatted("{open:h}", running.formatted("k.key"));
        // The key's room is the limit of its next job less its running jobs.
        String limitedClaim = me + """
                keys AS (SELECT unnest(?::text[]) AS key),
                candidates AS (
                    SELECT c.id, c.priority, c.run_at FROM keys k
                    CROSS JOIN LATERAL (
                        SELECT greatest(0, h.concurrency_limit - %s) AS room FROM {schema}.jobs h
                        WHERE h.state = 'available' AND h.concurrency_key = k.key {queueFilter:h} %s
                        ORDER BY h.priority, h.run_at, h.id
                        LIMIT 1
                    ) head
                    CROSS JOIN LATERAL (
                        SELECT j.id, j.priority, j.run_at FROM {schema}.jobs j
                        WHERE j.state = 'available' AND j.concurrency_key = k.key {queueFilter:j} %s AND EXISTS (SELECT 1 FROM me)
                        ORDER BY j.priority, j.run_at, j.id
                        LIMIT head.room
                        FOR UPDATE SKIP LOCKED
                    ) c
                ),
                next AS MATERIALIZED (
                    SELECT id FROM candidates ORDER BY priority, run_at, id LIMIT ?
                )
                """.formatted(running.formatted("k.key"), "{open:h}", "{open:j}") + update;
        for (int all = 0; all < 2; all++) {
            for (int paused = 0; paused < 2; paused++) {
                String open = paused == 1 ? openExact : openFast;
                String keys = limitedKeys.replace("{queueFilter}", all == 1 ? "" : "AND h.queue = ANY(?::text[])")
                        .replace("{open:h}", open.formatted("h"));
                String claim = limitedClaim.replace("{queueFilter:h}", all == 1 ? "" : "AND h.queue = ANY(?::text[])")
                        .replace("{queueFilter:j}", all == 1 ? "" : "AND j.queue = ANY(?::text[])")
                        .replace("{open:h}", open.formatted("h")).replace("{open:j}", open.formatted("j"));
                limitedKeysSql[all][paused] = schema.sql(keys);
                limitedClaimSql[all][paused] = schema.sql(claim);
            }
        }
        this.limitedFreedSql = schema.sql("SELECT pg_notify(?, '" + NotificationListener.LIMITED + "' || q) FROM unnest(?::text[]) AS q");
        this.anyPausedSql = schema.sql("SELECT EXISTS (SELECT 1 FROM {schema}.queue_pauses)");
        // Completions and failures of a batch in one statement (autocommit), each fenced by its claim token. Each
        // job's row is found by primary key, one lookup per outcome, and written by ctid: a plan chosen from the
        // statistics could instead start from the jobs they say are running (few, at any instant) and compare each
        // with each outcome, and with the dead index entries recent claims left, that plan cost the drain most of
        // its speed. The lookup locks the row: a prune or release that commits first is seen there (the lock waits,
        // then rechecks token and state), and none can commit in between. The write by ctid alone must not meet a
        // newer version: PostgreSQL's recheck of a TID scan accepts any.
        String held = """
                ARRAY (
                    SELECT r.ctid FROM unnest(?::bigint[], ?::bigint[]) AS d(id, token)
                    CROSS JOIN LATERAL (
                        SELECT ctid FROM {schema}.jobs WHERE id = d.id AND claim_token = d.token AND state = 'running' LIMIT 1 FOR UPDATE
                    ) r
                )
                """;
        this.outcomesSql = schema.sql("""
                WITH completed AS (
                    UPDATE {schema}.jobs j SET state = 'completed', finished_at = now(), claimed_by = NULL
                    WHERE j.ctid = ANY (%s)
                    RETURNING j.id
                ),
                failed AS (
                    -- A job whose cancel was asked for is not retried: it ends discarded (its worker's JobCancelledError,
                    -- or the handler's own error and then the cancel's).
                    UPDATE {schema}.jobs j SET
                        state = CASE WHEN j.cancel_requested_at IS NOT NULL THEN 'discarded'
                                     WHEN d.delay_ms IS NULL THEN 'failed' ELSE 'scheduled' END,
                        run_at = CASE WHEN d.delay_ms IS NULL OR j.cancel_requested_at IS NOT NULL THEN j.run_at
                                      ELSE now() + d.delay_ms * interval '1 millisecond' END,
                        finished_at = CASE WHEN d.delay_ms IS NULL OR j.cancel_requested_at IS NOT NULL THEN now() END,
                        claimed_by = NULL,
                        errors = j.errors || jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
                            'class', d.error_class, 'message', d.message, 'backtrace', d.backtrace,
                            'process', j.claimed_by, 'attempt', j.attempts, 'at', now())))
                            || CASE WHEN j.cancel_requested_at IS NOT NULL AND d.error_class <> 'JobCancelledError'
                                    THEN jsonb_build_array(%s) ELSE '[]'::jsonb END
                    FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::bigint[])
                         AS d(id, error_class, message, backtrace, delay_ms)
                    WHERE j.ctid = ANY (%s) AND j.id = d.id
                    RETURNING j.id
                )
                SELECT true, id FROM completed UNION ALL SELECT false, id FROM failed
                """.formatted(held.strip(), CANCELLED_ERROR.strip(), held.strip()));
        this.checkpointSql = schema.sql("""
                UPDATE {schema}.jobs SET checkpoint = ?::jsonb
                WHERE id = ? AND claim_token = ? AND state = 'running'
                """);
        this.promoteSql = schema.sql("""
                WITH promoted AS (
                    -- By ctid, as retention deletes: the cost of the batch, whatever the statistics.
                    UPDATE {schema}.jobs SET state = 'available' WHERE ctid = ANY (ARRAY (
                        SELECT ctid FROM {schema}.jobs WHERE state = 'scheduled' AND run_at <= now()
                        ORDER BY run_at LIMIT 5000 FOR UPDATE SKIP LOCKED))
                    RETURNING queue, concurrency_key IS NOT NULL AS limited
                )
                SELECT q.queue, pg_notify(?, CASE WHEN q.limited THEN '%s' ELSE '' END || q.queue)
                FROM (SELECT DISTINCT queue, limited FROM promoted) q
                """.formatted(NotificationListener.LIMITED));
        // Jobs the database says this process holds but it is not running: a claim that committed while its
        // reply was lost. Back to available, the attempt of that claim not charged.
        this.releaseUnheldSql = schema.sql("""
                WITH released AS (
                    UPDATE {schema}.jobs j SET %s
                    WHERE j.claimed_by = ? AND j.state = 'running' AND NOT (j.claim_token = ANY(?::bigint[]))
                    RETURNING j.id, j.queue
                )
                SELECT r.id, pg_notify(?, r.queue) FROM released r
                """.formatted(RELEASE));
        // The running jobs of a process whose cancel was asked for (jobs_claimed_by: the jobs it holds).
        this.cancelRequestsSql = schema.sql("""
                SELECT claim_token, cancel_requested_by FROM {schema}.jobs
                WHERE claimed_by = ? AND claimed_by IS NOT NULL AND state = 'running' AND cancel_requested_at IS NOT NULL
                """);
        // One statement per state, with the state written in, so each uses its partial index: completed jobs
        // jobs_completed_at, failed and discarded ones jobs_failed_finished_at.
        for (JobState state : new JobState[] {JobState.COMPLETED, JobState.FAILED, JobState.DISCARDED}) {
            // The batch is locked and collected once (an InitPlan), then deleted by ctid: a TID scan costs the batch,
            // whatever the statistics say. As "id IN (locking subquery)", a join, or "id = ANY(...)", a table just
            // refilled (stale statistics) got a plan that compared every row of the table with every row of the
            // batch, or re-ran the locking subquery per row: one batch of 10,000 then took over a minute.
            deleteFinishedSql.put(state, schema.sql("""
                    DELETE FROM {schema}.jobs WHERE ctid = ANY (ARRAY (
                        SELECT ctid FROM {schema}.jobs WHERE state = '%s' AND finished_at < now() - ? * interval '1 millisecond'
                        LIMIT ? FOR UPDATE SKIP LOCKED))
                    """.formatted(state.dbName())));
        }
    }

    /** The statement {@link #writeOutcomes} runs. */
    public String outcomesSql() {
        return outcomesSql;
    }

    /**
     * The claim statement for these queues; its parameters are those {@link #claim} binds. {@code somePaused}: whether
     * the worker last saw any queue paused; it only chooses the statement of a worker of every queue.
     */
    public String claimSql(List<String> queues, boolean allQueues, boolean somePaused) {
        if (allQueues) {
            return somePaused ? claimOpenQueuesSql : claimAnySql;
        }
        return queues.size() == 1 ? claimOneQueueSql : claimQueuesSql;
    }

    public List<ClaimedJob> claim(Connection c, long processId, List<String> queues, boolean allQueues, boolean somePaused, int limit)
            throws SQLException {
        try (PreparedStatement ps = claimStatement(c, "", processId, queues, allQueues, somePaused, limit)) {
            return claimed(ps, limit);
        }
    }

    /**
     * What a claim of jobs with a concurrency key found: the jobs, whether any key had room (by its first look), and the
     * key to start from next time (the last one looked at; empty: from the first).
     */
    public record LimitedClaim(List<ClaimedJob> jobs, boolean keysWithRoom, String cursor) {}

    /**
     * Claims up to {@code limit} jobs with a concurrency key, never more per key than its limit allows across all workers,
     * looking at keys after {@code cursor} first (empty: from the first). {@code somePaused}: whether the worker last saw
     * any queue paused; it only chooses the form of the pause check. Must run in a transaction at READ COMMITTED
     * ({@link Sql#inTransaction(javax.sql.DataSource, int, Sql.Work)}): the key locks taken here hold until it commits.
     */
    public LimitedClaim claimLimited(Connection c, long processId, List<String> queues, boolean allQueues, boolean somePaused, int limit,
                                     String cursor) throws SQLException {
        int all = allQueues ? 1 : 0;
        int paused = somePaused ? 1 : 0;
        List<String> keys = new ArrayList<>();
        String last = null;
        boolean keysWithRoom = false;
        // From the cursor to the last key, then, if that found none, from the first.
        for (String from : cursor.isEmpty() ? List.of("") : List.of(cursor, "")) {
            try (PreparedStatement ps = c.prepareStatement(limitedKeysSql[all][paused])) {
                int i = 1;
                ps.setString(i++, from);
                if (!allQueues) {
                    ps.setArray(i++, Sql.texts(c, queues.toArray(String[]::new)));
                }
                ps.setInt(i, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        keysWithRoom = true;
                        String key = rs.getString(1);
                        last = last == null || key.compareTo(last) > 0 ? key : last;
                        if (rs.getBoolean(2)) {
                            keys.add(key);
                        }
                    }
                }
            }
            if (keysWithRoom) {
                break;
            }
        }
        if (keys.isEmpty()) {
            return new LimitedClaim(List.of(), keysWithRoom, last == null ? "" : last);
        }
        try (PreparedStatement ps = c.prepareStatement(limitedClaimSql[all][paused])) {
            int i = 1;
            ps.setLong(i++, processId);
            ps.setArray(i++, Sql.texts(c, keys.toArray(String[]::new)));
            if (!allQueues) {
                java.sql.Array names = Sql.texts(c, queues.toArray(String[]::new));
                ps.setArray(i++, names);
                ps.setArray(i++, names);
            }
            ps.setInt(i, limit);
            return new LimitedClaim(claimed(ps, limit), true, last);
        }
    }

    private static List<ClaimedJob> claimed(PreparedStatement ps, int limit) throws SQLException {
        List<ClaimedJob> jobs = new ArrayList<>(limit);
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                long timeoutMs = rs.getLong(8);
                Long timeout = rs.wasNull() ? null : timeoutMs;
                jobs.add(new ClaimedJob(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5),
                        rs.getInt(6), rs.getInt(7), timeout, rs.getString(9), rs.getLong(10), rs.getLong(11), rs.getString(12)));
            }
        }
        return jobs;
    }

    /** Wakes the workers of these queues to claim jobs with a concurrency key: running ones of theirs ended. */
    public void notifyLimitedFreed(Connection c, Set<String> queues) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(limitedFreedSql)) {
            ps.setString(1, schema.channel());
            ps.setArray(2, Sql.texts(c, queues.toArray(String[]::new)));
            ps.executeQuery().close();
        }
    }

    /**
     * Writes completions and failures (retry or final) in one statement; returns the ids written, completions
     * first, failures second (the rest were fenced out).
     */
    public Set<Long>[] writeOutcomes(Connection c, List<Outcome.Completed> done, List<Outcome.Failed> failed) throws SQLException {
        int n = done.size();
        long[] doneIds = new long[n];
        long[] doneTokens = new long[n];
        for (int i = 0; i < n; i++) {
            doneIds[i] = done.get(i).job().id();
            doneTokens[i] = done.get(i).job().claimToken();
        }
        int m = failed.size();
        long[] ids = new long[m];
        long[] tokens = new long[m];
        String[] classes = new String[m];
        String[] messages = new String[m];
        String[] backtraces = new String[m];
        Long[] delays = new Long[m];
        for (int i = 0; i < m; i++) {
            Outcome.Failed f = failed.get(i);
            ids[i] = f.job().id();
            tokens[i] = f.job().claimToken();
            classes[i] = f.errorClass();
            messages[i] = f.message();
            backtraces[i] = f.backtrace();
            delays[i] = f.retryDelayMs();
        }
        try (PreparedStatement ps = c.prepareStatement(outcomesSql)) {
            ps.setArray(1, Sql.longs(c, doneIds));
            ps.setArray(2, Sql.longs(c, doneTokens));
            ps.setArray(3, Sql.longs(c, ids));
            ps.setArray(4, Sql.texts(c, classes));
            ps.setArray(5, Sql.texts(c, messages));
            ps.setArray(6, Sql.texts(c, backtraces));
            ps.setArray(7, Sql.longs(c, delays));
            ps.setArray(8, Sql.longs(c, ids));
            ps.setArray(9, Sql.longs(c, tokens));
            Set<Long> completedIds = new HashSet<>();
            Set<Long> failedIds = new HashSet<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    (rs.getBoolean(1) ? completedIds : failedIds).add(rs.getLong(2));
                }
            }
            @SuppressWarnings("unchecked")
            Set<Long>[] written = new Set[] {completedIds, failedIds};
            return written;
        }
    }

    /** The claim statement with its parameters bound, after {@code prefix} (the tests' EXPLAIN). */
    public PreparedStatement claimStatement(Connection c, String prefix, long processId, List<String> queues, boolean allQueues,
                                            boolean somePaused, int limit) throws SQLException {
        String sql = claimSql(queues, allQueues, somePaused);
        PreparedStatement ps = c.prepareStatement(prefix + sql);
        int i = 1;
        ps.setLong(i++, processId);
        if (sql.equals(claimOneQueueSql)) {
            ps.setString(i++, queues.get(0));
            ps.setString(i++, queues.get(0));
        } else if (sql.equals(claimQueuesSql)) {
            ps.setArray(i++, Sql.texts(c, queues.toArray(String[]::new)));
        }
        ps.setInt(i++, limit);
        if (sql.equals(claimQueuesSql) || sql.equals(claimOpenQueuesSql)) {
            ps.setInt(i, limit);
        }
        return ps;
    }

    /** The claim tokens of this process's running jobs whose cancel was asked for, with who asked. */
    public java.util.Map<Long, String> cancelRequests(Connection c, long processId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(cancelRequestsSql)) {
            ps.setLong(1, processId);
            java.util.Map<Long, String> requests = new java.util.HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    requests.put(rs.getLong(1), rs.getString(2));
                }
            }
            return requests;
        }
    }

    /** Whether any queue is paused (a worker of every queue then claims with the statement that skips them). */
    public boolean anyQueuePaused(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(anyPausedSql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Saves a checkpoint; false when the claim no longer holds. */
    public boolean saveCheckpoint(Connection c, ClaimedJob job, String json) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(checkpointSql)) {
            ps.setString(1, json);
            ps.setLong(2, job.id());
            ps.setLong(3, job.claimToken());
            return ps.executeUpdate() == 1;
        }
    }

    /** Makes due scheduled jobs available and notifies their queues; returns the queues woken. */
    public List<String> promoteDue(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(promoteSql)) {
            ps.setString(1, schema.channel());
            List<String> queues = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    queues.add(rs.getString(1));
                }
            }
            return queues;
        }
    }

    /** Releases the jobs claimed by {@code processId} whose claim token is not in {@code heldTokens}; returns their ids. */
    public List<Long> releaseUnheld(Connection c, long processId, Long[] heldTokens) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(releaseUnheldSql)) {
            ps.setLong(1, processId);
            ps.setArray(2, Sql.longs(c, heldTokens));
            ps.setString(3, schema.channel());
            List<Long> ids = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
            return ids;
        }
    }

    /** The statement {@link #deleteFinishedBefore} runs for {@code state}; its parameters are the retention in ms and the batch size. */
    public String deleteFinishedSql(JobState state) {
        return deleteFinishedSql.get(state);
    }

    /** Deletes up to {@code batch} jobs in {@code state} (completed, failed or discarded) finished before the retention. */
    public int deleteFinishedBefore(Connection c, JobState state, long retentionMs, int batch) throws SQLException {
        String sql = deleteFinishedSql.get(state);
        if (sql == null) {
            throw new IllegalArgumentException("only finished jobs are deleted by retention, not " + state.dbName());
        }
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, retentionMs);
            ps.setInt(2, batch);
            return ps.executeUpdate();
        }
    }
}
