package dev.stevedore.queue;

import dev.stevedore.queue.internal.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * What a dashboard shows about the queue over time, read so that its cost follows what is shown, not the size of
 * the jobs table: counts per state are exact up to {@value #EXACT_COUNT_LIMIT} and the planner's estimate beyond;
 * throughput reads the finished-at indexes over the window only; pickup latency samples the newest completed jobs;
 * prunes read the jobs that were ever pruned (a partial index), not the others.
 */
public final class QueueInsights {

    /** Up to this many jobs in a state are counted exactly; beyond, the count is the planner's estimate. */
    public static final int EXACT_COUNT_LIMIT = 10_000;

    /** A number of jobs, and whether it was counted or estimated. */
    public record Count(long value, boolean exact) {}

    /** Jobs that finished in one interval of a series: {@code start} inclusive, the next interval's start exclusive. */
    public record FinishedInterval(Instant start, long completed, long failed, long discarded) {}

    /** Time from due ({@code run_at}) to claimed over the newest {@code sample} completed jobs of a queue, in ms. */
    public record PickupLatency(int sample, long p50Ms, long p95Ms, long maxMs) {}

    /** One prune of one job: its ProcessPrunedError entry, with the job it struck. */
    public record Prune(long jobId, String queue, String handler, JobState jobState, String reason, String message, String pool, String pod,
                        String node, String host, Long pid, Integer exitCode, String signal, Instant lastHeartbeatAt, Instant prunedAt) {}

    /** How many prunes in one interval had this reason, pool and node. */
    public record PruneCount(Instant start, String reason, String pool, String node, long count) {}

    private static final Pattern PLAN_ROWS = Pattern.compile("rows=(\\d+)");
    private static final String PRUNES = """
            FROM {schema}.jobs j CROSS JOIN LATERAL jsonb_to_recordset(j.errors) AS e(class text, message text, reason text, pool text,
                pod text, node text, host text, pid bigint, "exitCode" integer, signal text, "lastHeartbeatAt" timestamptz,
                "prunedAt" timestamptz, at timestamptz)
            WHERE j.prunes > 0 AND e.class = 'ProcessPrunedError' AND coalesce(e."prunedAt", e.at) >= ?""";

    private final DataSource dataSource;
    private final QueueSchema schema;
    private final String boundedCountsSql;
    private final String finishedSql;
    private final String pickupSql;
    private final String prunesSql;
    private final String pruneCountsSql;

    public QueueInsights(DataSource dataSource, QueueSchema schema) {
        this.dataSource = dataSource;
        this.schema = schema;
        // One index-only count per state, each stopping at the limit plus one.
        List<String> counts = new ArrayList<>();
        for (JobState state : JobState.values()) {
            counts.add("SELECT '" + state.dbName() + "', count(*) FROM (SELECT 1 FROM {schema}.jobs WHERE state = '" + state.dbName()
                    + "' LIMIT " + (EXACT_COUNT_LIMIT + 1) + ") " + state.dbName());
        }
        this.boundedCountsSql = schema.sql(String.join(" UNION ALL ", counts));
        // Each half is a range scan of its own finished-at index (V1 jobs_completed_at, V2 jobs_failed_finished_at).
        this.finishedSql = schema.sql("""
                SELECT bucket, sum(completed)::bigint, sum(failed)::bigint, sum(discarded)::bigint FROM (
                    SELECT floor(extract(epoch FROM finished_at) / ?)::bigint AS bucket, count(*) AS completed, 0 AS failed, 0 AS discarded
                    FROM {schema}.jobs WHERE state = 'completed' AND finished_at >= ? GROUP BY 1
                    UNION ALL
                    SELECT floor(extract(epoch FROM finished_at) / ?)::bigint, 0, count(*) FILTER (WHERE state = 'failed'),
                        count(*) FILTER (WHERE state = 'discarded')
                    FROM {schema}.jobs WHERE state IN ('failed', 'discarded') AND finished_at >= ? GROUP BY 1
                ) f GROUP BY bucket ORDER BY bucket
                """);
        this.pickupSql = schema.sql("""
                SELECT queue, count(*)::integer, percentile_disc(0.5) WITHIN GROUP (ORDER BY ms), percentile_disc(0.95) WITHIN GROUP (ORDER BY ms), max(ms)
                FROM (
                    SELECT queue, greatest(0, (extract(epoch FROM claimed_at - run_at) * 1000)::bigint) AS ms FROM {schema}.jobs
                    WHERE state = 'completed' AND claimed_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?
                ) newest GROUP BY queue ORDER BY queue
                """);
        this.prunesSql = schema.sql("""
                SELECT j.id, j.queue, j.handler, j.state, e.reason, e.message, e.pool, e.pod, e.node, e.host, e.pid, e."exitCode" AS exit_code,
                    e.signal, e."lastHeartbeatAt" AS last_heartbeat_at, coalesce(e."prunedAt", e.at) AS pruned_at
                """ + PRUNES + " ORDER BY pruned_at DESC, j.id DESC LIMIT ?");
        this.pruneCountsSql = schema.sql("""
                SELECT floor(extract(epoch FROM coalesce(e."prunedAt", e.at)) / ?)::bigint AS bucket, coalesce(e.reason, 'Unknown'),
                    coalesce(e.pool, ''), coalesce(e.node, ''), count(*)
                """ + PRUNES + " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4");
    }

    /**
     * Jobs per state, every state present. A state with at most {@value #EXACT_COUNT_LIMIT} jobs is counted (from the
     * state index, stopping at the limit); a larger one is estimated from the planner's statistics, and never shown
     * below the limit.
     */
    public Map<JobState, Count> stateCounts() {
        return query("count jobs by state", c -> {
            Map<JobState, Count> counts = new EnumMap<>(JobState.class);
            try (PreparedStatement ps = c.prepareStatement(boundedCountsSql); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.put(JobState.fromDb(rs.getString(1)), new Count(rs.getLong(2), true));
                }
            }
            for (Map.Entry<JobState, Count> entry : counts.entrySet()) {
                if (entry.getValue().value() > EXACT_COUNT_LIMIT) {
                    entry.setValue(new Count(Math.max(EXACT_COUNT_LIMIT + 1, estimate(c, entry.getKey())), false));
                }
            }
            return counts;
        });
    }

    private long estimate(Connection c, JobState state) throws SQLException {
        String sql = schema.sql("EXPLAIN SELECT 1 FROM {schema}.jobs WHERE state = '" + state.dbName() + "'");
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
                Matcher rows = PLAN_ROWS.matcher(rs.getString(1));
                if (rows.find()) {
                    return Long.parseLong(rows.group(1));
                }
            }
        }
        return 0;
    }

    /**
     * Jobs finished per interval of {@code step} over the last {@code window}, oldest first, every interval present (zero
     * when nothing finished). Intervals are aligned to the epoch, so two readers get the same ones.
     */
    public List<FinishedInterval> finished(Duration window, Duration step) {
        long stepSeconds = step.toSeconds();
        if (stepSeconds < 1 || window.compareTo(step) < 0 || window.toSeconds() / stepSeconds > 10_000) {
            throw new IllegalArgumentException("step must be at least 1s and window at least one step and at most 10000 steps, got window "
                    + Durations.format(window) + ", step " + Durations.format(step));
        }
        return query("read finished jobs over time", c -> {
            Instant now = now(c);
            long last = Math.floorDiv(now.getEpochSecond(), stepSeconds);
            long first = last - window.toSeconds() / stepSeconds + 1;
            Timestamp from = Timestamp.from(Instant.ofEpochSecond(first * stepSeconds));
            Map<Long, FinishedInterval> found = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement(finishedSql)) {
                ps.setLong(1, stepSeconds);
                ps.setTimestamp(2, from);
                ps.setLong(3, stepSeconds);
                ps.setTimestamp(4, from);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long bucket = rs.getLong(1);
                        found.put(bucket, new FinishedInterval(Instant.ofEpochSecond(bucket * stepSeconds), rs.getLong(2), rs.getLong(3), rs.getLong(4)));
                    }
                }
            }
            List<FinishedInterval> series = new ArrayList<>();
            for (long bucket = first; bucket <= last; bucket++) {
                series.add(found.getOrDefault(bucket, new FinishedInterval(Instant.ofEpochSecond(bucket * stepSeconds), 0, 0, 0)));
            }
            return series;
        });
    }

    /** Pickup latency per queue, over the newest {@code sample} completed jobs of all queues (read backwards from an index). */
    public Map<String, PickupLatency> pickupLatency(int sample) {
        if (sample < 1 || sample > 100_000) {
            throw new IllegalArgumentException("sample must be between 1 and 100000, got " + sample);
        }
        return query("read pickup latency", c -> {
            Map<String, PickupLatency> latencies = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement(pickupSql)) {
                ps.setInt(1, sample);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        latencies.put(rs.getString(1), new PickupLatency(rs.getInt(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)));
                    }
                }
            }
            return latencies;
        });
    }

    /** The prunes since {@code since}, newest first, at most {@code limit}: which jobs a dead worker took down, and why. */
    public List<Prune> prunes(Instant since, int limit) {
        return query("list prunes", c -> {
            List<Prune> prunes = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(prunesSql)) {
                ps.setTimestamp(1, Timestamp.from(since));
                ps.setInt(2, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        prunes.add(new Prune(rs.getLong("id"), rs.getString("queue"), rs.getString("handler"), JobState.fromDb(rs.getString("state")),
                                rs.getString("reason"), rs.getString("message"), rs.getString("pool"), rs.getString("pod"), rs.getString("node"),
                                rs.getString("host"), Sql.longOrNull(rs, "pid"), Sql.integer(rs, "exit_code"), rs.getString("signal"),
                                Sql.instant(rs, "last_heartbeat_at"), Sql.instant(rs, "pruned_at")));
                    }
                }
            }
            return prunes;
        });
    }

    /**
     * Prunes since {@code since} counted per interval of {@code step} (aligned to the epoch), reason, pool and node:
     * where workers die, and why. Pool and node are empty text where the prune did not know them.
     */
    public List<PruneCount> pruneCounts(Instant since, Duration step) {
        long stepSeconds = step.toSeconds();
        if (stepSeconds < 1) {
            throw new IllegalArgumentException("step must be at least 1s, got " + Durations.format(step));
        }
        return query("count prunes", c -> {
            List<PruneCount> counts = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(pruneCountsSql)) {
                ps.setLong(1, stepSeconds);
                ps.setTimestamp(2, Timestamp.from(since));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        counts.add(new PruneCount(Instant.ofEpochSecond(rs.getLong(1) * stepSeconds), rs.getString(2), rs.getString(3),
                                rs.getString(4), rs.getLong(5)));
                    }
                }
            }
            return counts;
        });
    }

    /** The database's clock: what every age and window here is measured by. */
    public Instant now() {
        return query("read the database clock", QueueInsights::now);
    }

    private static Instant now(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT now()"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getTimestamp(1).toInstant();
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
