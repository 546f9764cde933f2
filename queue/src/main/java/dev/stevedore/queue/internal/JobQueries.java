package dev.stevedore.queue.internal;

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

    private final QueueSchema schema;
    private final String claimOneQueueSql;
    private final String claimQueuesSql;
    private final String claimAnySql;
    private final String completeSql;
    private final String failSql;
    private final String checkpointSql;
    private final String promoteSql;
    private final String deleteCompletedSql;

    public JobQueries(QueueSchema schema) {
        this.schema = schema;
        String claim = """
                WITH me AS (
                    -- Key-share lock: a prune of this process waits for the claim, then sees its jobs.
                    SELECT id FROM {schema}.processes WHERE id = ? FOR KEY SHARE
                ),
                next AS (
                    SELECT j.id FROM {schema}.jobs j
                    WHERE j.state = 'available' {queueFilter} AND EXISTS (SELECT 1 FROM me)
                    ORDER BY j.priority, j.run_at, j.id
                    LIMIT ?
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE {schema}.jobs j
                SET state = 'running', attempts = j.attempts + 1, claimed_by = (SELECT id FROM me),
                    claim_token = nextval('{schema}.claim_tokens'), claimed_at = now()
                FROM next WHERE j.id = next.id
                RETURNING j.id, j.queue, j.handler, j.args::text, j.attempts, j.max_attempts, j.prunes, j.timeout_ms,
                          j.checkpoint::text, j.claim_token, greatest(0, (extract(epoch FROM now() - j.run_at) * 1000)::bigint)
                """;
        // One queue: an equality, so the (queue, priority, run_at, id) index gives the order directly.
        this.claimOneQueueSql = schema.sql(claim.replace("{queueFilter}", "AND j.queue = ?"));
        this.claimQueuesSql = schema.sql(claim.replace("{queueFilter}", "AND j.queue = ANY(?::text[])"));
        this.claimAnySql = schema.sql(claim.replace("{queueFilter}", ""));
        this.completeSql = schema.sql("""
                UPDATE {schema}.jobs j SET state = 'completed', finished_at = now(), claimed_by = NULL
                FROM unnest(?::bigint[], ?::bigint[]) AS d(id, token)
                WHERE j.id = d.id AND j.claim_token = d.token AND j.state = 'running'
                RETURNING j.id
                """);
        this.failSql = schema.sql("""
                UPDATE {schema}.jobs j SET
                    state = CASE WHEN d.delay_ms IS NULL THEN 'failed' ELSE 'scheduled' END,
                    run_at = CASE WHEN d.delay_ms IS NULL THEN j.run_at ELSE now() + d.delay_ms * interval '1 millisecond' END,
                    finished_at = CASE WHEN d.delay_ms IS NULL THEN now() END,
                    claimed_by = NULL,
                    errors = j.errors || jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
                        'class', d.error_class, 'message', d.message, 'backtrace', d.backtrace,
                        'process', j.claimed_by, 'attempt', j.attempts, 'at', now())))
                FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::bigint[])
                     AS d(id, token, error_class, message, backtrace, delay_ms)
                WHERE j.id = d.id AND j.claim_token = d.token AND j.state = 'running'
                RETURNING j.id
                """);
        this.checkpointSql = schema.sql("""
                UPDATE {schema}.jobs SET checkpoint = ?::jsonb
                WHERE id = ? AND claim_token = ? AND state = 'running'
                """);
        this.promoteSql = schema.sql("""
                WITH due AS (
                    SELECT id FROM {schema}.jobs WHERE state = 'scheduled' AND run_at <= now()
                    ORDER BY run_at LIMIT 5000 FOR UPDATE SKIP LOCKED
                ),
                promoted AS (
                    UPDATE {schema}.jobs j SET state = 'available' FROM due WHERE j.id = due.id RETURNING j.queue
                )
                SELECT q.queue, pg_notify(?, q.queue) FROM (SELECT DISTINCT queue FROM promoted) q
                """);
        this.deleteCompletedSql = schema.sql("""
                DELETE FROM {schema}.jobs WHERE id IN (
                    SELECT id FROM {schema}.jobs WHERE state = 'completed' AND finished_at < now() - ? * interval '1 millisecond'
                    LIMIT 5000 FOR UPDATE SKIP LOCKED)
                """);
    }

    public List<ClaimedJob> claim(Connection c, long processId, List<String> queues, boolean allQueues, int limit) throws SQLException {
        String sql = allQueues ? claimAnySql : queues.size() == 1 ? claimOneQueueSql : claimQueuesSql;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            ps.setLong(i++, processId);
            if (!allQueues && queues.size() == 1) {
                ps.setString(i++, queues.get(0));
            } else if (!allQueues) {
                ps.setArray(i++, Sql.texts(c, queues.toArray(String[]::new)));
            }
            ps.setInt(i, limit);
            List<ClaimedJob> jobs = new ArrayList<>(limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long timeoutMs = rs.getLong(8);
                    Long timeout = rs.wasNull() ? null : timeoutMs;
                    jobs.add(new ClaimedJob(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5),
                            rs.getInt(6), rs.getInt(7), timeout, rs.getString(9), rs.getLong(10), rs.getLong(11)));
                }
            }
            return jobs;
        }
    }

    /** Writes completions; returns the ids that were written (the rest were fenced out). */
    public Set<Long> complete(Connection c, List<Outcome.Completed> done) throws SQLException {
        int n = done.size();
        long[] ids = new long[n];
        long[] tokens = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = done.get(i).job().id();
            tokens[i] = done.get(i).job().claimToken();
        }
        try (PreparedStatement ps = c.prepareStatement(completeSql)) {
            ps.setArray(1, Sql.longs(c, ids));
            ps.setArray(2, Sql.longs(c, tokens));
            return readIds(ps);
        }
    }

    /** Writes failures (retry or final); returns the ids that were written. */
    public Set<Long> fail(Connection c, List<Outcome.Failed> failed) throws SQLException {
        int n = failed.size();
        long[] ids = new long[n];
        long[] tokens = new long[n];
        String[] classes = new String[n];
        String[] messages = new String[n];
        String[] backtraces = new String[n];
        Long[] delays = new Long[n];
        for (int i = 0; i < n; i++) {
            Outcome.Failed f = failed.get(i);
            ids[i] = f.job().id();
            tokens[i] = f.job().claimToken();
            classes[i] = f.errorClass();
            messages[i] = f.message();
            backtraces[i] = f.backtrace();
            delays[i] = f.retryDelayMs();
        }
        try (PreparedStatement ps = c.prepareStatement(failSql)) {
            ps.setArray(1, Sql.longs(c, ids));
            ps.setArray(2, Sql.longs(c, tokens));
            ps.setArray(3, Sql.texts(c, classes));
            ps.setArray(4, Sql.texts(c, messages));
            ps.setArray(5, Sql.texts(c, backtraces));
            ps.setArray(6, Sql.longs(c, delays));
            return readIds(ps);
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

    /** Deletes up to one batch of completed jobs older than the retention; returns how many. */
    public int deleteCompletedBefore(Connection c, long retentionMs) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(deleteCompletedSql)) {
            ps.setLong(1, retentionMs);
            return ps.executeUpdate();
        }
    }

    private static Set<Long> readIds(PreparedStatement ps) throws SQLException {
        Set<Long> ids = new HashSet<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }
}
