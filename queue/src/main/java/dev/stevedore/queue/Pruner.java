package dev.stevedore.queue;

import dev.stevedore.queue.internal.JobQueries;
import dev.stevedore.queue.internal.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Carries out the death of worker processes. All the SQL that fails a dead process's jobs lives here.
 *
 * <p>A prune runs in one transaction: it locks the process rows ({@code FOR UPDATE SKIP LOCKED}, so racing
 * pruners split the work and never double-count), marks every job they had claimed with a
 * {@code ProcessPrunedError} record (reason, process, pod, node, host, pid, exit code, signal, last
 * heartbeat, pruned-at), applies the process's pruned-job policy (retry a bounded number of times per job,
 * else {@code failed}), and deletes the process rows. Pruning a process that is already gone does nothing.
 *
 * <p>Who decides a process is dead is not this class's business: {@link #pruneExpired} uses only the
 * heartbeat, {@link #prune} takes the operator's word together with its evidence.
 */
public final class Pruner {

    /** Reason recorded when only the heartbeat tells. */
    public static final String HEARTBEAT_EXPIRED = "HeartbeatExpired";
    /**
     * A process whose heartbeat is this many alive thresholds old is pruned by any worker of any pool: its own
     * pool may be gone (deleted, renamed), so nobody else would.
     */
    public static final int ABANDONED_AFTER_THRESHOLDS = 10;
    private static final int EXPIRED_BATCH = 100;

    /** Evidence for a prune: reason (e.g. OOMKilled, PodDeleted, NodeLost), and what else is known. */
    public record Cause(String reason, String message, String pod, String node, Integer exitCode, String signal) {
        public Cause {
            if (reason == null || reason.isBlank()) {
                throw new IllegalArgumentException("a prune needs a reason, e.g. OOMKilled or PodDeleted");
            }
        }

        public static Cause of(String reason) {
            return new Cause(reason, null, null, null, null, null);
        }
    }

    /**
     * A prune of one process. {@code onlyIfStale}: the verdict rests on the heartbeat alone, so the prune happens
     * only if the heartbeat is still older than the alive threshold when the row is locked; a heartbeat that
     * landed since the verdict saves the process.
     */
    public record Request(long processId, Cause cause, boolean onlyIfStale) {
        public Request {
            Objects.requireNonNull(cause, "cause");
        }

        /** A prune on evidence other than the heartbeat (the Pod is gone, the container ended). */
        public Request(long processId, Cause cause) {
            this(processId, cause, false);
        }
    }

    /** One pruned process and what became of its jobs. */
    public record PrunedProcess(long processId, String pool, String pod, String node, String host, long pid, String reason,
                                Instant lastHeartbeatAt, List<PrunedJob> jobs) {

        public List<Long> failedJobIds() {
            return jobs.stream().filter(j -> !j.retried()).map(PrunedJob::id).toList();
        }

        public List<Long> retriedJobIds() {
            return jobs.stream().filter(PrunedJob::retried).map(PrunedJob::id).toList();
        }
    }

    /** A job of a pruned process: failed for good, or {@code retried} under the pool's policy. */
    public record PrunedJob(long id, String queue, String handler, boolean retried) {}

    // A pruned job is retried while it has prunes and attempts left; {retry} is that test. The policy is the one
    // its process claimed it under.
    private static final String RETRY = "(j.prunes < j.pruned_retry_limit AND j.attempts < j.max_attempts)";
    private static final String STALE = "last_heartbeat_at < now() - %s * interval '1 millisecond'";
    // What a prune does to each job of a dead process, whoever finds it (a prune, or the orphan sweep).
    // A job whose cancel was asked for is never retried: it ends discarded, its history closed by a JobCancelledError
    // (CANCELLED appends it after the prune's own error).
    private static final String SETTLE = """
                    prunes = j.prunes + 1,
                    state = CASE WHEN j.cancel_requested_at IS NOT NULL THEN 'discarded'
                                 WHEN {retry} THEN (CASE WHEN j.pruned_retry_backoff_ms > 0 THEN 'scheduled' ELSE 'available' END)
                                 ELSE 'failed' END,
                    run_at = CASE WHEN {retry} AND j.cancel_requested_at IS NULL THEN now() + j.pruned_retry_backoff_ms * interval '1 millisecond'
                                  ELSE j.run_at END,
                    finished_at = CASE WHEN {retry} AND j.cancel_requested_at IS NULL THEN NULL ELSE now() END,
                    claimed_by = NULL,
            """.replace("{retry}", RETRY);
    private static final String CANCELLED = """
             || CASE WHEN j.cancel_requested_at IS NOT NULL THEN jsonb_build_array(""" + JobQueries.CANCELLED_ERROR + """
            ) ELSE '[]'::jsonb END""";

    private static final String PRUNE_TAIL = """
            touched AS (
                UPDATE {schema}.jobs j SET
            """ + SETTLE + """
                    errors = j.errors || jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
                        'class', 'ProcessPrunedError',
                        'message', d.message,
                        'reason', d.reason,
                        'process', d.id, 'pool', d.pool, 'pod', d.pod, 'node', d.node, 'host', d.host, 'pid', d.pid,
                        'exitCode', d.exit_code, 'signal', d.signal,
                        'lastHeartbeatAt', d.last_heartbeat_at, 'prunedAt', now(),
                        'attempt', j.attempts, 'at', now())))
            """ + CANCELLED + """
                FROM dead d
                WHERE j.claimed_by = d.id AND j.state = 'running'
                RETURNING j.id, d.id AS process_id, j.state, j.queue, j.handler
            ),
            removed AS (
                DELETE FROM {schema}.processes p USING dead d WHERE p.id = d.id RETURNING p.id
            )
            SELECT d.id, d.pool, d.pod, d.node, d.host, d.pid, d.reason, d.last_heartbeat_at,
                   coalesce(array_agg(t.id ORDER BY t.id) FILTER (WHERE t.id IS NOT NULL), '{}') AS job_ids,
                   coalesce(array_agg(t.queue ORDER BY t.id) FILTER (WHERE t.id IS NOT NULL), '{}') AS job_queues,
                   coalesce(array_agg(t.handler ORDER BY t.id) FILTER (WHERE t.id IS NOT NULL), '{}') AS job_handlers,
                   coalesce(array_agg(t.state IN ('available', 'scheduled') ORDER BY t.id) FILTER (WHERE t.id IS NOT NULL), '{}') AS job_retried,
                   coalesce(array_agg(DISTINCT t.queue) FILTER (WHERE t.state = 'available'), '{}') AS wake
            FROM dead d LEFT JOIN touched t ON t.process_id = d.id
            GROUP BY d.id, d.pool, d.pod, d.node, d.host, d.pid, d.reason, d.last_heartbeat_at
            ORDER BY d.id
            """;

    private final DataSource dataSource;
    private final QueueSchema schema;
    private final String lockRequestedSql;
    private final String lockExpiredSql;
    private final String pruneLockedSql;
    private final String sweepOrphansSql;

    public Pruner(DataSource dataSource, QueueSchema schema) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.schema = schema;
        // Step 1 locks the rows. A claim in flight holds a key-share lock, so SKIP LOCKED passes that process
        // over until the next round; a claim that comes later waits for the prune and then finds no row.
        // A heartbeat-only request is re-checked here, on the row as locked: FOR UPDATE evaluates the condition
        // again on a row version committed after the statement's snapshot, so a heartbeat that landed after the
        // verdict (or is landing now, holding the row) saves the process.
        this.lockRequestedSql = schema.sql("""
                SELECT id FROM {schema}.processes
                WHERE id = ANY(?::bigint[]) AND (NOT id = ANY(?::bigint[]) OR %s)
                ORDER BY id FOR UPDATE SKIP LOCKED
                """.formatted(STALE.formatted("alive_threshold_ms")));
        this.lockExpiredSql = schema.sql("""
                SELECT id FROM {schema}.processes
                WHERE %s
                  AND (?::text IS NULL OR pool = ?::text) AND id <> ?
                ORDER BY id LIMIT %d
                FOR UPDATE SKIP LOCKED
                """.formatted(STALE.formatted("greatest(alive_threshold_ms * ?::integer, ?::bigint)"), EXPIRED_BATCH));
        // Step 2, a new statement and so a new snapshot: it sees every claim committed before step 1 took its locks.
        this.pruneLockedSql = schema.sql("""
                WITH req AS (
                    SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::integer[], ?::text[])
                        AS r(process_id, reason, message, pod, node, exit_code, signal)
                ),
                dead AS (
                    SELECT p.id, p.pool, p.host, p.pid, p.last_heartbeat_at, p.pruned_retry_limit, p.pruned_retry_backoff_ms,
                           coalesce(r.pod, p.pod_name) AS pod, coalesce(r.node, p.node) AS node, r.reason, r.exit_code, r.signal,
                           coalesce(r.message, format('Process %s (%s) was found dead and pruned: %s', p.id,
                               coalesce(r.pod, p.pod_name, p.host || ' pid ' || p.pid),
                               CASE WHEN r.reason = '""" + HEARTBEAT_EXPIRED + """
                ' THEN format('no heartbeat since %s (alive threshold %s ms)', p.last_heartbeat_at, p.alive_threshold_ms)
                                        || coalesce('; ' || ?::text, '')
                                    WHEN r.exit_code IS NOT NULL THEN format('%s (exit code %s)', r.reason, r.exit_code)
                                    ELSE r.reason END)) AS message
                    FROM {schema}.processes p JOIN req r ON r.process_id = p.id
                ),
                """ + PRUNE_TAIL);
        // An orphan counts as a prune and gets the policy its process claimed it under, like any pruned job.
        this.sweepOrphansSql = schema.sql("""
                WITH swept AS (
                    UPDATE {schema}.jobs j SET
                """ + SETTLE + """
                        errors = j.errors || jsonb_build_array(jsonb_build_object(
                            'class', 'ProcessMissingError',
                            'message', format('The process %s that claimed this job no longer exists', j.claimed_by),
                            'process', j.claimed_by, 'attempt', j.attempts, 'at', now()))
                """ + CANCELLED + """
                    WHERE j.state = 'running'
                      AND NOT EXISTS (SELECT 1 FROM {schema}.processes p WHERE p.id = j.claimed_by)
                    RETURNING j.id, j.queue, j.state
                )
                SELECT s.id, CASE WHEN s.state = 'available' THEN pg_notify(?, s.queue) END FROM swept s
                """);
    }

    /** Prunes the given processes for the given causes (the operator's entry point). */
    public List<PrunedProcess> prune(List<Request> requests) {
        if (requests.isEmpty()) {
            return List.of();
        }
        try {
            return Sql.inTransaction(dataSource, c -> {
                Long[] ids = requests.stream().map(Request::processId).toArray(Long[]::new);
                Long[] staleOnly = requests.stream().filter(Request::onlyIfStale).map(Request::processId).toArray(Long[]::new);
                List<Long> locked;
                try (PreparedStatement ps = c.prepareStatement(lockRequestedSql)) {
                    ps.setArray(1, Sql.longs(c, ids));
                    ps.setArray(2, Sql.longs(c, staleOnly));
                    locked = readIds(ps);
                }
                List<Request> mine = requests.stream().filter(r -> locked.contains(r.processId())).toList();
                return pruneLocked(c, mine, null);
            });
        } catch (SQLException e) {
            throw new QueueException("could not prune processes " + requests.stream().map(Request::processId).toList() + ": " + e.getMessage(), e);
        }
    }

    /** Prunes every process whose heartbeat is older than its alive threshold, in {@code pool} or in all pools. */
    public List<PrunedProcess> pruneExpired(Optional<String> pool) {
        return pruneExpired(pool, 0);
    }

    /**
     * As {@link #pruneExpired(Optional)}, never pruning {@code excludedProcessId}: a worker does not prune
     * itself, since a stale heartbeat of its own (a long GC pause) stops its claiming anyway.
     */
    public List<PrunedProcess> pruneExpired(Optional<String> pool, long excludedProcessId) {
        return pruneStale(pool, 1, Duration.ZERO, excludedProcessId, null);
    }

    /**
     * Prunes processes of every pool whose heartbeat is {@value #ABANDONED_AFTER_THRESHOLDS} times their alive
     * threshold old: what is left of a pool that was deleted or renamed, which no worker of its own will prune.
     */
    public List<PrunedProcess> pruneAbandoned(long excludedProcessId) {
        return pruneStale(Optional.empty(), ABANDONED_AFTER_THRESHOLDS, Duration.ZERO, excludedProcessId,
                "no heartbeat for " + ABANDONED_AFTER_THRESHOLDS + " times its alive threshold; pruned as abandoned");
    }

    /**
     * Prunes processes (of {@code pool}, or of every pool) whose heartbeat is older than {@code staleFor} and
     * than their own alive threshold: {@code stevedore processes prune}.
     */
    public List<PrunedProcess> pruneStale(Optional<String> pool, Duration staleFor) {
        return pruneStale(pool, 1, staleFor, 0, null);
    }

    private List<PrunedProcess> pruneStale(Optional<String> pool, int thresholds, Duration staleFor, long excludedProcessId, String note) {
        List<PrunedProcess> all = new ArrayList<>();
        try {
            while (true) {
                int[] lockedCount = new int[1];
                List<PrunedProcess> batch = Sql.inTransaction(dataSource, c -> {
                    List<Long> locked;
                    try (PreparedStatement ps = c.prepareStatement(lockExpiredSql)) {
                        ps.setInt(1, thresholds);
                        ps.setLong(2, staleFor.toMillis());
                        ps.setString(3, pool.orElse(null));
                        ps.setString(4, pool.orElse(null));
                        ps.setLong(5, excludedProcessId);
                        locked = readIds(ps);
                    }
                    lockedCount[0] = locked.size();
                    Cause cause = new Cause(HEARTBEAT_EXPIRED, null, null, null, null, null);
                    return pruneLocked(c, locked.stream().map(id -> new Request(id, cause)).toList(), note);
                });
                all.addAll(batch);
                if (lockedCount[0] < EXPIRED_BATCH) {
                    return all;
                }
            }
        } catch (SQLException e) {
            throw new QueueException("could not prune expired processes: " + e.getMessage(), e);
        }
    }

    private List<PrunedProcess> pruneLocked(Connection c, List<Request> requests, String note) throws SQLException {
        if (requests.isEmpty()) {
            return List.of();
        }
        int n = requests.size();
        Long[] ids = new Long[n];
        String[] reasons = new String[n];
        String[] messages = new String[n];
        String[] pods = new String[n];
        String[] nodes = new String[n];
        Integer[] exitCodes = new Integer[n];
        String[] signals = new String[n];
        for (int i = 0; i < n; i++) {
            Request r = requests.get(i);
            ids[i] = r.processId();
            reasons[i] = r.cause().reason();
            messages[i] = r.cause().message();
            pods[i] = r.cause().pod();
            nodes[i] = r.cause().node();
            exitCodes[i] = r.cause().exitCode();
            signals[i] = r.cause().signal();
        }
        try (PreparedStatement ps = c.prepareStatement(pruneLockedSql)) {
            ps.setArray(1, Sql.longs(c, ids));
            ps.setArray(2, Sql.texts(c, reasons));
            ps.setArray(3, Sql.texts(c, messages));
            ps.setArray(4, Sql.texts(c, pods));
            ps.setArray(5, Sql.texts(c, nodes));
            ps.setArray(6, Sql.ints(c, exitCodes));
            ps.setArray(7, Sql.texts(c, signals));
            ps.setString(8, note);
            return readPruned(c, ps);
        }
    }

    private static List<Long> readIds(PreparedStatement ps) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    /**
     * Settles jobs still claimed by a process that has no row (ProcessMissingError), as a prune would: the prune
     * counter goes up and the policy the process claimed them under decides between retry and failed. Returns
     * their ids.
     */
    public List<Long> sweepOrphans() {
        try {
            return Sql.withConnection(dataSource, c -> {
                List<Long> ids = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement(sweepOrphansSql)) {
                    ps.setString(1, schema.channel());
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getLong(1));
                        }
                    }
                }
                ids.sort(null);
                return ids;
            });
        } catch (SQLException e) {
            throw new QueueException("could not sweep orphaned jobs: " + e.getMessage(), e);
        }
    }

    private List<PrunedProcess> readPruned(Connection c, PreparedStatement ps) throws SQLException {
        List<PrunedProcess> pruned = new ArrayList<>();
        List<String> wake = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Long[] ids = (Long[]) rs.getArray("job_ids").getArray();
                String[] queues = (String[]) rs.getArray("job_queues").getArray();
                String[] handlers = (String[]) rs.getArray("job_handlers").getArray();
                Boolean[] retried = (Boolean[]) rs.getArray("job_retried").getArray();
                List<PrunedJob> jobs = new ArrayList<>(ids.length);
                for (int i = 0; i < ids.length; i++) {
                    jobs.add(new PrunedJob(ids[i], queues[i], handlers[i], retried[i]));
                }
                pruned.add(new PrunedProcess(rs.getLong("id"), rs.getString("pool"), rs.getString("pod"), rs.getString("node"),
                        rs.getString("host"), rs.getLong("pid"), rs.getString("reason"), rs.getTimestamp("last_heartbeat_at").toInstant(), jobs));
                wake.addAll(Arrays.asList((String[]) rs.getArray("wake").getArray()));
            }
        }
        if (!wake.isEmpty()) {
            try (PreparedStatement notify = c.prepareStatement("SELECT pg_notify(?, q) FROM unnest(?::text[]) AS q")) {
                notify.setString(1, schema.channel());
                notify.setArray(2, Sql.texts(c, wake.stream().distinct().toArray(String[]::new)));
                notify.execute();
            }
        }
        return pruned;
    }

}
