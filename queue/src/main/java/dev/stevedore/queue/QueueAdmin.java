package dev.stevedore.queue;

import dev.stevedore.queue.internal.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongConsumer;
import javax.sql.DataSource;

/**
 * Operating the queue: list and inspect jobs, retry or discard them one by one or by filter, stats, and
 * the process list. Bulk changes run in batches of {@value #BATCH} rows, each its own transaction, and
 * report progress, so a large retry neither holds long locks nor loses its work when interrupted.
 */
public final class QueueAdmin {

    public static final int BATCH = 1000;
    /** The payload that tells workers a cancel of running jobs was asked for. */
    private static final String CANCEL_NOTIFICATION = dev.stevedore.queue.internal.NotificationListener.CANCEL;
    /** States a retry applies to: finished without success, or waiting. */
    public static final Set<JobState> RETRYABLE = Set.of(JobState.FAILED, JobState.DISCARDED, JobState.SCHEDULED);
    /** States a cancel applies to: anything not finished. */
    public static final Set<JobState> CANCELLABLE = Set.of(JobState.SCHEDULED, JobState.AVAILABLE, JobState.RUNNING);
    /** States a discard applies to: anything not running and not finished successfully. */
    public static final Set<JobState> DISCARDABLE = Set.of(JobState.FAILED, JobState.SCHEDULED, JobState.AVAILABLE);

    private static final String COLUMNS = """
            j.id, j.queue, j.handler, j.state, j.priority, j.attempts, j.max_attempts, j.prunes, j.args::text AS args,
            j.checkpoint::text AS checkpoint, j.unique_key, j.concurrency_key, j.concurrency_limit, j.claimed_by, j.run_at, j.created_at, j.claimed_at, j.finished_at,
            j.errors::text AS errors, e.class AS e_class, e.message AS e_message, e.at AS e_at, e.attempt AS e_attempt,
            e.reason AS e_reason, e.process AS e_process, e.pod AS e_pod, e.node AS e_node, e.host AS e_host, e.pid AS e_pid,
            e."exitCode" AS e_exit_code, e.signal AS e_signal, e."lastHeartbeatAt" AS e_last_heartbeat_at, e."prunedAt" AS e_pruned_at""";
    private static final String LAST_ERROR = """
            LEFT JOIN LATERAL jsonb_to_record(j.errors -> -1) AS e(class text, message text, at timestamptz, attempt integer,
                reason text, process bigint, pod text, node text, host text, pid bigint, "exitCode" integer, signal text,
                "lastHeartbeatAt" timestamptz, "prunedAt" timestamptz) ON true""";
    private static final String FILTER = """
            (cardinality(?::text[]) = 0 OR j.state = ANY(?::text[]))
            AND (?::text IS NULL OR j.queue = ?::text)
            AND (?::text IS NULL OR j.handler = ?::text)
            AND (?::text IS NULL OR j.errors -> -1 ->> 'class' = ?::text)
            AND (?::timestamptz IS NULL OR j.finished_at >= ?::timestamptz OR (j.finished_at IS NULL AND j.created_at >= ?::timestamptz))
            AND (?::timestamptz IS NULL OR j.finished_at < ?::timestamptz OR (j.finished_at IS NULL AND j.created_at < ?::timestamptz))
            AND (?::bigint IS NULL OR j.id < ?::bigint)""";

    private final DataSource dataSource;
    private final QueueSchema schema;
    private final String listSql;
    private final String showSql;
    private final String missingSql;
    private final String retrySql;
    private final String discardSql;
    private final String selectForChangeSql;
    private final String countSql;
    private final String stateCountsSql;
    private final String processCountsSql;
    private final String queueDepthSql;
    private final String processesSql;
    private final String pauseSql;
    private final String cancelSql;
    private final String resumeSql;
    private final String pausesSql;

    public QueueAdmin(DataSource dataSource, QueueSchema schema) {
        this.dataSource = dataSource;
        this.schema = schema;
        this.listSql = schema.sql("SELECT " + COLUMNS + " FROM {schema}.jobs j " + LAST_ERROR + " WHERE " + FILTER
                + " ORDER BY j.id DESC LIMIT ?");
        this.showSql = schema.sql("SELECT " + COLUMNS + " FROM {schema}.jobs j " + LAST_ERROR + " WHERE j.id = ?");
        this.missingSql = schema.sql("""
                SELECT DISTINCT i.id FROM unnest(?::bigint[]) AS i(id)
                WHERE NOT EXISTS (SELECT 1 FROM {schema}.jobs j WHERE j.id = i.id)
                """);
        // A retry gives at least one more attempt, and skips jobs whose unique key an unfinished job now holds.
        // Of several candidates sharing a unique key only the newest is retried, so the batch cannot trip the index.
        this.retrySql = schema.sql("""
                WITH candidates AS (
                    SELECT DISTINCT ON (coalesce(j.unique_key, j.id::text)) j.id
                    FROM {schema}.jobs j
                    WHERE j.id = ANY(?::bigint[]) AND j.state IN ('failed', 'discarded', 'scheduled')
                      AND (j.unique_key IS NULL OR NOT EXISTS (
                          SELECT 1 FROM {schema}.jobs o WHERE o.unique_key = j.unique_key AND o.id <> j.id
                            AND o.state IN ('scheduled', 'available', 'running')))
                    ORDER BY coalesce(j.unique_key, j.id::text), j.id DESC
                ),
                changed AS (
                    UPDATE {schema}.jobs j SET state = 'available', run_at = now(), finished_at = NULL,
                        max_attempts = greatest(j.max_attempts, j.attempts + 1)
                    FROM candidates c
                    WHERE j.id = c.id AND j.state IN ('failed', 'discarded', 'scheduled')
                    RETURNING j.id, j.queue
                )
                SELECT c.id, pg_notify(?, c.queue) FROM changed c
                """);
        this.discardSql = schema.sql("""
                UPDATE {schema}.jobs SET state = 'discarded', finished_at = now()
                WHERE id = ANY(?::bigint[]) AND state IN ('failed', 'scheduled', 'available')
                RETURNING id
                """);
        this.selectForChangeSql = schema.sql("SELECT j.id FROM {schema}.jobs j WHERE " + FILTER
                + " AND j.state = ANY(?::text[]) AND j.id > ? ORDER BY j.id LIMIT ? FOR UPDATE SKIP LOCKED");
        this.countSql = schema.sql("SELECT count(*) FROM {schema}.jobs j WHERE " + FILTER + " AND j.state = ANY(?::text[])");
        this.stateCountsSql = schema.sql("SELECT state, count(*) FROM {schema}.jobs GROUP BY state");
        this.processCountsSql = schema.sql("""
                SELECT count(*) FILTER (WHERE last_heartbeat_at >= now() - alive_threshold_ms * interval '1 millisecond'), count(*)
                FROM {schema}.processes
                """);
        // Each half reads its own partial index: jobs with a concurrency key are in neither claim index of the others.
        this.queueDepthSql = schema.sql("""
                SELECT queue, sum(n)::bigint, (extract(epoch FROM now() - min(oldest)) * 1000)::bigint FROM (
                    SELECT queue, count(*) AS n, min(run_at) AS oldest FROM {schema}.jobs
                    WHERE state = 'available' AND concurrency_key IS NULL GROUP BY queue
                    UNION ALL
                    SELECT queue, count(*), min(run_at) FROM {schema}.jobs
                    WHERE state = 'available' AND concurrency_key IS NOT NULL GROUP BY queue
                ) d GROUP BY queue ORDER BY queue
                """);
        // Scheduled and available jobs are discarded here; a running job gets the request, which its worker (told by
        // NOTIFY, and checking every heartbeat interval) or whoever settles it (a failure, a prune, a release) carries out.
        this.cancelSql = schema.sql("""
                WITH who AS (SELECT ?::text AS name),
                target AS (
                    SELECT id, state FROM {schema}.jobs WHERE id = ANY(?::bigint[]) AND state IN ('scheduled', 'available', 'running')
                    ORDER BY id FOR UPDATE
                ),
                discarded AS (
                    UPDATE {schema}.jobs j SET state = 'discarded', finished_at = now(), cancel_requested_at = now(), cancel_requested_by = w.name,
                        errors = j.errors || jsonb_build_array(jsonb_build_object('class', 'JobCancelledError',
                            'message', 'cancelled by ' || w.name, 'by', w.name, 'attempt', j.attempts, 'at', now()))
                    FROM target t, who w WHERE j.id = t.id AND t.state IN ('scheduled', 'available')
                    RETURNING j.id
                ),
                requested AS (
                    UPDATE {schema}.jobs j SET cancel_requested_at = coalesce(j.cancel_requested_at, now()),
                        cancel_requested_by = coalesce(j.cancel_requested_by, w.name)
                    FROM target t, who w WHERE j.id = t.id AND t.state = 'running'
                    RETURNING j.id
                )
                SELECT true, id FROM discarded UNION ALL SELECT false, id FROM requested
                """);
        this.pauseSql = schema.sql("""
                INSERT INTO {schema}.queue_pauses (queue, paused_by, reason) VALUES (?, ?, ?) ON CONFLICT (queue) DO NOTHING
                """);
        // Resumed, the queue's idle workers are woken at once, as by new jobs.
        this.resumeSql = schema.sql("""
                WITH resumed AS (DELETE FROM {schema}.queue_pauses WHERE queue = ? RETURNING queue)
                SELECT pg_notify(?, queue) FROM resumed
                """);
        this.pausesSql = schema.sql("SELECT queue, paused_at, paused_by, reason FROM {schema}.queue_pauses ORDER BY queue");
        this.processesSql = schema.sql("""
                SELECT id, pool, pod_name, pod_uid, node, host, pid, queues, slots, started_at, last_heartbeat_at,
                       last_heartbeat_at >= now() - alive_threshold_ms * interval '1 millisecond' AS alive,
                       alive_threshold_ms, now() AS observed_at
                FROM {schema}.processes WHERE (?::text IS NULL OR pool = ?::text) ORDER BY pool, id
                """);
    }

    /** Jobs matching the filter, newest first, at most {@code filter.limit()}. */
    public List<JobView> list(JobFilter filter) {
        return query("list jobs", c -> {
            try (PreparedStatement ps = c.prepareStatement(listSql)) {
                int next = bindFilter(c, ps, 1, filter);
                ps.setInt(next, filter.limit());
                return readJobs(ps);
            }
        });
    }

    /** EXPLAIN (ANALYZE, BUFFERS) of {@link #list}: how a listing reads the table, for tests of its indexes. */
    String explainList(JobFilter filter) {
        return query("explain a job listing", c -> {
            try (PreparedStatement ps = c.prepareStatement("EXPLAIN (ANALYZE, BUFFERS) " + listSql)) {
                int next = bindFilter(c, ps, 1, filter);
                ps.setInt(next, filter.limit());
                StringBuilder plan = new StringBuilder();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        plan.append(rs.getString(1)).append('\n');
                    }
                }
                return plan.toString();
            }
        });
    }

    /** Those of {@code ids} that name no job, in one query. */
    public List<Long> missing(List<Long> ids) {
        return query("look up jobs", c -> {
            try (PreparedStatement ps = c.prepareStatement(missingSql)) {
                ps.setArray(1, Sql.longs(c, ids.toArray(Long[]::new)));
                return readIds(ps);
            }
        });
    }

    public Optional<JobView> show(long id) {
        return query("show job " + id, c -> {
            try (PreparedStatement ps = c.prepareStatement(showSql)) {
                ps.setLong(1, id);
                return readJobs(ps).stream().findFirst();
            }
        });
    }

    /**
     * Makes the given failed, discarded or scheduled jobs available now; returns the ids changed. A job whose
     * unique key an unfinished job holds is skipped.
     */
    public List<Long> retry(List<Long> ids) {
        return query("retry jobs", c -> {
            try {
                return retryBatch(c, ids);
            } catch (SQLException e) {
                if (!Sql.isUniqueViolation(e)) {
                    throw e;
                }
                // A job with the same key was enqueued meanwhile: go one by one, skipping the ones it blocks.
                List<Long> changed = new ArrayList<>();
                for (Long id : ids) {
                    try {
                        changed.addAll(retryBatch(c, List.of(id)));
                    } catch (SQLException single) {
                        if (!Sql.isUniqueViolation(single)) {
                            throw single;
                        }
                    }
                }
                return changed;
            }
        });
    }

    private List<Long> retryBatch(Connection c, List<Long> ids) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(retrySql)) {
            ps.setArray(1, Sql.longs(c, ids.toArray(Long[]::new)));
            ps.setString(2, schema.channel());
            return readIds(ps);
        }
    }

    /** Discards the given failed, scheduled or available jobs; returns the ids changed. */
    public List<Long> discard(List<Long> ids) {
        return query("discard jobs", c -> {
            try (PreparedStatement ps = c.prepareStatement(discardSql)) {
                ps.setArray(1, Sql.longs(c, ids.toArray(Long[]::new)));
                return readIds(ps);
            }
        });
    }

    /** What a cancel did: jobs discarded at once (scheduled, available), and running jobs whose worker was told. */
    public record Cancellation(List<Long> discarded, List<Long> requested) {

        /** Every job the cancel applied to. */
        public List<Long> all() {
            List<Long> all = new ArrayList<>(discarded);
            all.addAll(requested);
            return all;
        }
    }

    /**
     * Cancels jobs: scheduled and available ones are discarded at once, with a JobCancelledError in their history; for a
     * running one its worker is told, interrupts the handler and writes it discarded the same way (a handler that still
     * completes leaves it completed). If the worker dies first, whoever settles the job discards it. Finished jobs are left
     * as they are. {@code by} says who cancels.
     */
    public Cancellation cancel(List<Long> ids, String by) {
        requireWho("by", by, "cancels");
        try {
            return Sql.inTransaction(dataSource, c -> cancel(c, ids, by));
        } catch (SQLException e) {
            throw new QueueException("could not cancel jobs: " + e.getMessage(), e);
        }
    }

    private Cancellation cancel(Connection c, List<Long> ids, String by) throws SQLException {
        List<Long> discarded = new ArrayList<>();
        List<Long> requested = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(cancelSql)) {
            ps.setString(1, by);
            ps.setArray(2, Sql.longs(c, ids.toArray(Long[]::new)));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    (rs.getBoolean(1) ? discarded : requested).add(rs.getLong(2));
                }
            }
        }
        if (!requested.isEmpty()) {
            // Delivered at commit; each worker looks up which of its jobs it concerns.
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
                ps.setString(1, schema.channel());
                ps.setString(2, CANCEL_NOTIFICATION);
                ps.execute();
            }
        }
        return new Cancellation(discarded, requested);
    }

    /** Cancels every job matching the filter (its limit is ignored); {@code progress} gets the running total after each batch. */
    public long cancel(JobFilter filter, String by, LongConsumer progress) {
        return bulk(filter, CANCELLABLE, progress, ids -> cancel(ids, by).all());
    }

    /** Retries every job matching the filter (its limit is ignored); {@code progress} gets the running total after each batch. */
    public long retry(JobFilter filter, LongConsumer progress) {
        return bulk(filter, RETRYABLE, progress, this::retry);
    }

    /** Discards every job matching the filter (its limit is ignored); {@code progress} gets the running total after each batch. */
    public long discard(JobFilter filter, LongConsumer progress) {
        return bulk(filter, DISCARDABLE, progress, this::discard);
    }

    /**
     * How many jobs {@link #retry(JobFilter, LongConsumer)} would change now: what a confirmation shows. An exact count
     * over the filter's rows (not the table), read once per confirmation.
     */
    public long countRetryable(JobFilter filter) {
        return count(filter, RETRYABLE);
    }

    /** How many jobs {@link #discard(JobFilter, LongConsumer)} would change now. */
    public long countDiscardable(JobFilter filter) {
        return count(filter, DISCARDABLE);
    }

    private long count(JobFilter filter, Set<JobState> applicable) {
        List<String> eligible = eligibleStateNames(filter, applicable);
        if (eligible.isEmpty()) {
            return 0;
        }
        return query("count jobs", c -> {
            try (PreparedStatement ps = c.prepareStatement(countSql)) {
                int next = bindFilter(c, ps, 1, filter);
                ps.setArray(next, Sql.texts(c, eligible.toArray(String[]::new)));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    public QueueStats stats() {
        return query("read stats", c -> {
            Map<JobState, Long> jobs = new EnumMap<>(JobState.class);
            for (JobState s : JobState.values()) {
                jobs.put(s, 0L);
            }
            long alive;
            long total;
            try (PreparedStatement ps = c.prepareStatement(stateCountsSql); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    jobs.put(JobState.fromDb(rs.getString(1)), rs.getLong(2));
                }
            }
            try (PreparedStatement ps = c.prepareStatement(processCountsSql); ResultSet rs = ps.executeQuery()) {
                rs.next();
                alive = rs.getLong(1);
                total = rs.getLong(2);
            }
            return new QueueStats(jobs, queueDepths(c), alive, total, pausedQueues(c));
        });
    }

    /**
     * Per queue with available jobs: how many, and the age of the oldest (on the database's clock). Reads only the
     * partial indexes of available jobs, so it costs the backlog, not the table's history: the operator exports it as
     * metrics.
     */
    public Map<String, QueueStats.QueueDepth> queueDepths() {
        return query("read queue depths", this::queueDepths);
    }

    private Map<String, QueueStats.QueueDepth> queueDepths(Connection c) throws SQLException {
        Map<String, QueueStats.QueueDepth> queues = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(queueDepthSql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                queues.put(rs.getString(1), new QueueStats.QueueDepth(rs.getLong(2), Math.max(0, rs.getLong(3))));
            }
        }
        return queues;
    }

    /**
     * Pauses a queue: it keeps its jobs and accepts new ones, no worker claims from it until {@link #resume}, and
     * jobs already running finish. {@code pausedBy} says who (a user, a tool); {@code reason} may be null. False when
     * the queue was paused already (the first pause stays as it was).
     */
    public boolean pause(String queue, String pausedBy, String reason) {
        NewJob.checkQueueName(queue);
        requireWho("pausedBy", pausedBy, "pauses the queue");
        if (reason != null && reason.length() > 1000) {
            throw new IllegalArgumentException("reason: at most 1000 characters");
        }
        return query("pause queue " + queue, c -> {
            try (PreparedStatement ps = c.prepareStatement(pauseSql)) {
                ps.setString(1, queue);
                ps.setString(2, pausedBy);
                ps.setString(3, reason);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** Resumes a paused queue and wakes its idle workers; false when it was not paused. */
    public boolean resume(String queue) {
        NewJob.checkQueueName(queue);
        return query("resume queue " + queue, c -> {
            try (PreparedStatement ps = c.prepareStatement(resumeSql)) {
                ps.setString(1, queue);
                ps.setString(2, schema.channel());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** The paused queues, by name. */
    public List<QueuePause> pausedQueues() {
        return query("list paused queues", this::pausedQueues);
    }

    private List<QueuePause> pausedQueues(Connection c) throws SQLException {
        List<QueuePause> pauses = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(pausesSql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                pauses.add(new QueuePause(rs.getString(1), rs.getTimestamp(2).toInstant(), rs.getString(3), rs.getString(4)));
            }
        }
        return pauses;
    }

    public List<ProcessView> processes() {
        return processes(null);
    }

    /** The processes of one pool ({@code namespace/name}), or of all pools when {@code pool} is null. */
    public List<ProcessView> processes(String pool) {
        return query("list processes", c -> {
            List<ProcessView> list = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(processesSql)) {
                ps.setString(1, pool);
                ps.setString(2, pool);
                try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    list.add(new ProcessView(rs.getLong("id"), rs.getString("pool"), rs.getString("pod_name"), rs.getString("pod_uid"),
                            rs.getString("node"), rs.getString("host"), rs.getLong("pid"), Arrays.asList((String[]) rs.getArray("queues").getArray()),
                            rs.getInt("slots"), Sql.instant(rs, "started_at"), Sql.instant(rs, "last_heartbeat_at"), rs.getBoolean("alive"),
                            java.time.Duration.ofMillis(rs.getLong("alive_threshold_ms")), Sql.instant(rs, "observed_at")));
                }
                }
            }
            return list;
        });
    }

    // --- internals -------------------------------------------------------------------------------

    private long bulk(JobFilter filter, Set<JobState> applicable, LongConsumer progress, java.util.function.Function<List<Long>, List<Long>> change) {
        List<String> eligible = eligibleStateNames(filter, applicable);
        if (eligible.isEmpty()) {
            return 0;
        }
        long total = 0;
        long after = 0;
        while (true) {
            long cursor = after;
            List<Long> ids = query("select jobs", c -> {
                try (PreparedStatement ps = c.prepareStatement(selectForChangeSql)) {
                    int next = bindFilter(c, ps, 1, filter);
                    ps.setArray(next++, Sql.texts(c, eligible.toArray(String[]::new)));
                    ps.setLong(next++, cursor);
                    ps.setInt(next, BATCH);
                    return readIds(ps);
                }
            });
            if (ids.isEmpty()) {
                return total;
            }
            total += change.apply(ids).size();
            progress.accept(total);
            after = ids.get(ids.size() - 1);
        }
    }

    /**
     * The states of {@code filter} a change of {@code applicable} states ({@link #RETRYABLE}, {@link #DISCARDABLE},
     * {@link #CANCELLABLE}) touches, in order; a filter that narrows nothing is refused, to prevent accidents.
     */
    public static List<JobState> eligibleStates(JobFilter filter, Set<JobState> applicable) {
        if (filter.isUnbounded()) {
            throw new IllegalArgumentException("a bulk change needs a filter (state, queue, handler, error class or time range); pass job ids to change single jobs");
        }
        Set<JobState> states = filter.states().isEmpty() ? applicable : filter.states();
        return states.stream().filter(applicable::contains).sorted().toList();
    }

    private static List<String> eligibleStateNames(JobFilter filter, Set<JobState> applicable) {
        return eligibleStates(filter, applicable).stream().map(JobState::dbName).toList();
    }

    private static int bindFilter(Connection c, PreparedStatement ps, int i, JobFilter f) throws SQLException {
        java.sql.Array states = Sql.texts(c, f.states().stream().map(JobState::dbName).toArray(String[]::new));
        ps.setArray(i++, states);
        ps.setArray(i++, states);
        for (String value : new String[] {f.queue(), f.handler(), f.errorClass()}) {
            ps.setString(i++, value);
            ps.setString(i++, value);
        }
        // "Finished at, else created at", written so that the planner sees the finished_at column and its indexes.
        for (Instant value : new Instant[] {f.since(), f.until()}) {
            Timestamp ts = value == null ? null : Timestamp.from(value);
            ps.setTimestamp(i++, ts);
            ps.setTimestamp(i++, ts);
            ps.setTimestamp(i++, ts);
        }
        for (int twice = 0; twice < 2; twice++) {
            if (f.beforeId() == null) {
                ps.setNull(i++, java.sql.Types.BIGINT);
            } else {
                ps.setLong(i++, f.beforeId());
            }
        }
        return i;
    }

    private List<JobView> readJobs(PreparedStatement ps) throws SQLException {
        List<JobView> jobs = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String errorClass = rs.getString("e_class");
                JobView.JobError last = errorClass == null ? null : new JobView.JobError(errorClass, rs.getString("e_message"),
                        Sql.instant(rs, "e_at"), Sql.integer(rs, "e_attempt"), rs.getString("e_reason"), Sql.longOrNull(rs, "e_process"),
                        rs.getString("e_pod"), rs.getString("e_node"), rs.getString("e_host"), Sql.longOrNull(rs, "e_pid"),
                        Sql.integer(rs, "e_exit_code"), rs.getString("e_signal"), Sql.instant(rs, "e_last_heartbeat_at"), Sql.instant(rs, "e_pruned_at"));
                jobs.add(new JobView(rs.getLong("id"), rs.getString("queue"), rs.getString("handler"), JobState.fromDb(rs.getString("state")),
                        rs.getInt("priority"), rs.getInt("attempts"), rs.getInt("max_attempts"), rs.getInt("prunes"), rs.getString("args"),
                        rs.getString("checkpoint"), rs.getString("unique_key"), rs.getString("concurrency_key"), Sql.integer(rs, "concurrency_limit"),
                        Sql.longOrNull(rs, "claimed_by"), Sql.instant(rs, "run_at"),
                        Sql.instant(rs, "created_at"), Sql.instant(rs, "claimed_at"), Sql.instant(rs, "finished_at"), last, rs.getString("errors")));
            }
        }
        return jobs;
    }

    private static List<Long> readIds(PreparedStatement ps) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        ids.sort(null);
        return ids;
    }

    /** Who did something, recorded with it (a pause, a cancel): present, and short enough for its column. */
    private static void requireWho(String field, String who, String did) {
        if (who == null || who.isBlank() || who.length() > 200) {
            throw new IllegalArgumentException(field + ": say who " + did + ", in at most 200 characters");
        }
    }

    private <T> T query(String what, Sql.Work<T> work) {
        try {
            return Sql.withConnection(dataSource, work);
        } catch (SQLException e) {
            throw new QueueException("could not " + what + ": " + e.getMessage(), e);
        }
    }
}
