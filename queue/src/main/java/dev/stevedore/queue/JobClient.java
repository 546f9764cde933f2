package dev.stevedore.queue;

import dev.stevedore.queue.internal.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import javax.sql.DataSource;

/**
 * Enqueues jobs. A batch of any size is one statement (arrays bound as parameters), so 10k jobs cost one
 * round trip; inserting sends a NOTIFY per queue that wakes idle workers. Jobs whose unique key is held by
 * an unfinished job are skipped, not failed.
 *
 * <p>The methods that take a {@link Connection} enqueue in the caller's transaction: the job exists exactly
 * when the data it refers to does (a rollback leaves no job), and workers are woken at commit, since
 * PostgreSQL delivers a NOTIFY only then.
 */
public final class JobClient {

    private final DataSource dataSource;
    private final String insertSql;

    public JobClient(DataSource dataSource, QueueSchema schema) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.insertSql = schema.sql("""
                INSERT INTO {schema}.jobs (queue, handler, args, priority, state, run_at, max_attempts, unique_key, timeout_ms,
                                           concurrency_key, concurrency_limit)
                SELECT x.queue, x.handler, x.args::jsonb, x.priority::smallint,
                       CASE WHEN x.due > now() THEN 'scheduled' ELSE 'available' END,
                       x.due, x.max_attempts, x.unique_key, x.timeout_ms, x.concurrency_key, x.concurrency_limit
                FROM (
                    SELECT u.queue, u.handler, u.args, u.priority, u.max_attempts, u.unique_key, u.timeout_ms, u.ord,
                           u.concurrency_key, u.concurrency_limit,
                           CASE WHEN u.delay_ms IS NOT NULL THEN now() + u.delay_ms * interval '1 millisecond'
                                ELSE coalesce(u.run_at::timestamptz, now()) END AS due
                    FROM unnest(?::text[], ?::text[], ?::text[], ?::integer[], ?::text[], ?::bigint[], ?::integer[], ?::text[], ?::bigint[],
                                ?::text[], ?::integer[])
                         WITH ORDINALITY AS u(queue, handler, args, priority, run_at, delay_ms, max_attempts, unique_key, timeout_ms,
                                              concurrency_key, concurrency_limit, ord)
                ) x
                ORDER BY x.ord
                ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running') DO NOTHING
                RETURNING id, unique_key
                """);
    }

    /** Enqueues one job; empty when its unique key is already held by an unfinished job. */
    public OptionalLong enqueue(NewJob job) {
        List<Long> ids = enqueueAll(List.of(job));
        return ids.isEmpty() ? OptionalLong.empty() : OptionalLong.of(ids.get(0));
    }

    /**
     * Enqueues all jobs in one statement and one transaction: all are written, or none. Returns the ids of
     * the jobs created in input order; jobs skipped for a taken unique key are left out.
     */
    public List<Long> enqueueAll(List<NewJob> jobs) {
        if (jobs.isEmpty()) {
            return List.of();
        }
        try (Connection c = dataSource.getConnection()) {
            return insert(c, jobs);
        } catch (SQLException e) {
            throw failure(jobs.size(), e);
        }
    }

    /**
     * Enqueues one job on the caller's connection, inside whatever transaction it has open; the caller
     * commits or rolls back. Empty when the unique key is taken.
     */
    public OptionalLong enqueue(Connection connection, NewJob job) {
        List<Long> ids = enqueueAll(connection, List.of(job));
        return ids.isEmpty() ? OptionalLong.empty() : OptionalLong.of(ids.get(0));
    }

    /** As {@link #enqueueAll(List)}, on the caller's connection and in its transaction. */
    public List<Long> enqueueAll(Connection connection, List<NewJob> jobs) {
        Objects.requireNonNull(connection, "connection");
        if (jobs.isEmpty()) {
            return List.of();
        }
        try {
            return insert(connection, jobs);
        } catch (SQLException e) {
            throw failure(jobs.size(), e);
        }
    }

    private static QueueException failure(int n, SQLException e) {
        return new QueueException("could not enqueue " + n + (n == 1 ? " job" : " jobs") + ": " + e.getMessage(), e);
    }

    private List<Long> insert(Connection c, List<NewJob> jobs) throws SQLException {
        int n = jobs.size();
        String[] queues = new String[n];
        String[] handlers = new String[n];
        String[] args = new String[n];
        Integer[] priorities = new Integer[n];
        String[] runAts = new String[n];
        Long[] delays = new Long[n];
        Integer[] maxAttempts = new Integer[n];
        String[] uniqueKeys = new String[n];
        Long[] timeouts = new Long[n];
        String[] concurrencyKeys = new String[n];
        Integer[] concurrencyLimits = new Integer[n];
        for (int i = 0; i < n; i++) {
            NewJob job = jobs.get(i);
            queues[i] = job.queue();
            handlers[i] = job.handler();
            args[i] = job.args();
            priorities[i] = job.priority();
            runAts[i] = job.runAt() == null ? null : job.runAt().toString();
            delays[i] = job.delay() == null ? null : job.delay().toMillis();
            maxAttempts[i] = job.maxAttempts();
            uniqueKeys[i] = job.uniqueKey();
            timeouts[i] = job.timeout() == null ? null : millis(job.timeout());
            concurrencyKeys[i] = job.concurrencyKey();
            concurrencyLimits[i] = job.concurrencyLimit();
        }
        try (PreparedStatement ps = c.prepareStatement(insertSql)) {
            ps.setArray(1, Sql.texts(c, queues));
            ps.setArray(2, Sql.texts(c, handlers));
            ps.setArray(3, Sql.texts(c, args));
            ps.setArray(4, Sql.ints(c, priorities));
            ps.setArray(5, Sql.texts(c, runAts));
            ps.setArray(6, Sql.longs(c, delays));
            ps.setArray(7, Sql.ints(c, maxAttempts));
            ps.setArray(8, Sql.texts(c, uniqueKeys));
            ps.setArray(9, Sql.longs(c, timeouts));
            ps.setArray(10, Sql.texts(c, concurrencyKeys));
            ps.setArray(11, Sql.ints(c, concurrencyLimits));
            List<Long> ids = new ArrayList<>(n);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
            ids.sort(null); // identities follow input order within the statement
            return ids;
        }
    }

    private static long millis(Duration d) {
        return Math.max(1, d.toMillis());
    }
}
