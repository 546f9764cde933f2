package dev.stevedore.queue.internal;

import dev.stevedore.queue.CronExpression;
import dev.stevedore.queue.JobState;
import dev.stevedore.queue.QueueException;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.queue.Schedule;
import dev.stevedore.queue.ScheduleView;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The statements on the schedules table, and the insert of the jobs their runs enqueue. */
public final class ScheduleQueries {

    /** A due schedule as the scheduler reads it, locked for its transaction; {@code now} is the database's clock. */
    public record Due(String name, String cron, String timeZone, String missed, Instant nextRunAt, Instant now) {}

    /** What a tick decided for one schedule: the runs to enqueue (the times they are for) and the next time to look. */
    public record Advance(String name, List<Instant> runs, Instant next) {}

    private static final String COLUMNS = """
            s.name, s.cron, s.time_zone, s.queue, s.handler, s.args::text AS args, s.priority, s.max_attempts, s.timeout_ms, s.missed,
            s.pool, s.next_run_at, s.last_run_at, s.last_job_id, j.state AS last_job_state, s.updated_at""";

    private final QueueSchema schema;
    private final String dueSql;
    private final String enqueueRunsSql;
    private final String advanceSql;
    private final String lockSql;
    private final String insertSql;
    private final String updateSql;
    private final String listSql;
    private final String deleteSql;
    private final String deleteOthersOfPoolSql;
    private final String runNowSql;
    private final String poolsSql;

    public ScheduleQueries(QueueSchema schema) {
        this.schema = schema;
        // Locked rows are skipped: another worker is enqueueing them. A row it moved on meanwhile is re-read by the lock
        // and, no longer due, left out.
        this.dueSql = schema.sql("""
                SELECT name, cron, time_zone, missed, next_run_at, now() FROM {schema}.schedules
                WHERE next_run_at <= now() AND NOT (name = ANY (?::text[])) ORDER BY next_run_at LIMIT 100 FOR UPDATE SKIP LOCKED
                """);
        String enqueue = """
                INSERT INTO {schema}.jobs (queue, handler, args, priority, state, run_at, max_attempts, timeout_ms, schedule_name, scheduled_for)
                SELECT s.queue, s.handler, s.args, s.priority, 'available', now(), s.max_attempts, s.timeout_ms, s.name, t.at
                FROM unnest(?::text[], ?::text[]) AS r(name, at_text) CROSS JOIN LATERAL (SELECT r.at_text::timestamptz AS at) t
                JOIN {schema}.schedules s ON s.name = r.name
                ON CONFLICT DO NOTHING
                RETURNING id, schedule_name
                """;
        this.enqueueRunsSql = schema.sql(enqueue);
        this.advanceSql = schema.sql("""
                UPDATE {schema}.schedules s
                SET next_run_at = u.next::timestamptz, last_run_at = coalesce(u.run::timestamptz, s.last_run_at),
                    last_job_id = coalesce(u.job, s.last_job_id)
                FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[]) AS u(name, next, run, job)
                WHERE s.name = u.name
                """);
        this.lockSql = schema.sql("SELECT pool, cron, time_zone, next_run_at, now() FROM {schema}.schedules WHERE name = ? FOR UPDATE");
        this.insertSql = schema.sql("""
                INSERT INTO {schema}.schedules (queue, handler, args, priority, max_attempts, timeout_ms, missed, cron, time_zone, pool,
                                                next_run_at, name)
                VALUES (?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """);
        // Unchanged, the row is not written: the operator sets every schedule of a pool at each reconcile.
        this.updateSql = schema.sql("""
                UPDATE {schema}.schedules
                SET queue = ?, handler = ?, args = ?::jsonb, priority = ?, max_attempts = ?, timeout_ms = ?, missed = ?, cron = ?,
                    time_zone = ?, pool = ?, next_run_at = ?, updated_at = now()
                WHERE name = ? AND (queue, handler, args, priority, max_attempts, timeout_ms, missed, cron, time_zone, pool, next_run_at)
                      IS DISTINCT FROM (?, ?, ?::jsonb, ?::smallint, ?, ?::bigint, ?, ?, ?, ?, ?::timestamptz)
                """);
        this.listSql = schema.sql("SELECT " + COLUMNS + " FROM {schema}.schedules s LEFT JOIN {schema}.jobs j ON j.id = s.last_job_id");
        this.deleteSql = schema.sql("DELETE FROM {schema}.schedules WHERE name = ?");
        this.poolsSql = schema.sql("SELECT DISTINCT pool FROM {schema}.schedules WHERE pool IS NOT NULL");
        this.deleteOthersOfPoolSql = schema.sql("DELETE FROM {schema}.schedules WHERE pool = ? AND NOT (name = ANY (?::text[])) RETURNING name");
        // A run asked for by hand is a run of its own, at the database's now; the schedule's times go on as they were.
        this.runNowSql = schema.sql("""
                WITH run AS (
                    """ + enqueue.replace("FROM unnest(?::text[], ?::text[]) AS r(name, at_text) CROSS JOIN LATERAL (SELECT r.at_text::timestamptz AS at) t",
                        "FROM (SELECT ?::text, now()) AS t(name, at) CROSS JOIN LATERAL (SELECT t.name) r(name)") + """
                )
                UPDATE {schema}.schedules s SET last_run_at = now(), last_job_id = run.id FROM run WHERE s.name = run.schedule_name
                RETURNING run.id
                """);
    }

    /** Locks up to 100 due schedules for this transaction, skipping those another one holds and those named in {@code skip}. */
    public List<Due> lockDue(Connection c, java.util.Collection<String> skip) throws SQLException {
        List<Due> due = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(dueSql)) {
            ps.setArray(1, Sql.texts(c, skip.toArray(String[]::new)));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    due.add(new Due(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getTimestamp(5).toInstant(),
                            rs.getTimestamp(6).toInstant()));
                }
            }
        }
        return due;
    }

    /** Enqueues the runs decided and moves each schedule on; returns the ids of the jobs enqueued. */
    public List<Long> enqueueAndAdvance(Connection c, List<Advance> advances) throws SQLException {
        List<String> runNames = new ArrayList<>();
        // Times travel as ISO-8601 text with its offset ('Z'): an array of Timestamps is sent as local time without one,
        // which PostgreSQL reads in the session's zone, and an hour repeated by a daylight-saving change is then misread.
        List<String> runTimes = new ArrayList<>();
        for (Advance a : advances) {
            for (Instant run : a.runs()) {
                runNames.add(a.name());
                runTimes.add(run.toString());
            }
        }
        java.util.Map<String, Long> lastJobs = new java.util.HashMap<>();
        List<Long> enqueued = new ArrayList<>();
        if (!runNames.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement(enqueueRunsSql)) {
                ps.setArray(1, Sql.texts(c, runNames.toArray(String[]::new)));
                ps.setArray(2, Sql.texts(c, runTimes.toArray(String[]::new)));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        enqueued.add(rs.getLong(1));
                        lastJobs.merge(rs.getString(2), rs.getLong(1), Math::max);
                    }
                }
            }
        }
        int n = advances.size();
        String[] names = new String[n];
        String[] nexts = new String[n];
        String[] runs = new String[n];
        Long[] ids = new Long[n];
        for (int i = 0; i < n; i++) {
            Advance a = advances.get(i);
            names[i] = a.name();
            nexts[i] = a.next().toString();
            runs[i] = a.runs().isEmpty() ? null : a.runs().get(a.runs().size() - 1).toString();
            ids[i] = lastJobs.get(a.name());
        }
        try (PreparedStatement ps = c.prepareStatement(advanceSql)) {
            ps.setArray(1, Sql.texts(c, names));
            ps.setArray(2, Sql.texts(c, nexts));
            ps.setArray(3, Sql.texts(c, runs));
            ps.setArray(4, Sql.longs(c, ids));
            ps.executeUpdate();
        }
        return enqueued;
    }

    /** The stored row of a schedule, locked for this transaction: who declares it, its timing, and the database's now. */
    public record Stored(boolean exists, String pool, String cron, String timeZone, Instant nextRunAt, Instant now) {}

    public Stored lock(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(lockSql)) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return new Stored(true, rs.getString(1), rs.getString(2), rs.getString(3), rs.getTimestamp(4).toInstant(),
                            rs.getTimestamp(5).toInstant());
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT now()"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return new Stored(false, null, null, null, null, rs.getTimestamp(1).toInstant());
        }
    }

    /** Inserts the schedule, or updates it if it exists and differs; returns whether a row was written. */
    public boolean write(Connection c, Schedule s, String pool, Instant nextRunAt, boolean exists) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(exists ? updateSql : insertSql)) {
            int i = bind(ps, 1, s, pool, nextRunAt);
            ps.setString(i++, s.name());
            if (exists) {
                bind(ps, i, s, pool, nextRunAt);
            }
            return ps.executeUpdate() == 1;
        }
    }

    private static int bind(PreparedStatement ps, int i, Schedule s, String pool, Instant nextRunAt) throws SQLException {
        ps.setString(i++, s.queue());
        ps.setString(i++, s.handler());
        ps.setString(i++, s.args());
        ps.setInt(i++, s.priority());
        ps.setInt(i++, s.maxAttempts());
        if (s.timeout() == null) {
            ps.setNull(i++, Types.BIGINT);
        } else {
            ps.setLong(i++, Math.max(1, s.timeout().toMillis()));
        }
        ps.setString(i++, s.missed().dbName());
        ps.setString(i++, s.cron().expression());
        ps.setString(i++, s.timeZone().getId());
        ps.setString(i++, pool);
        ps.setTimestamp(i++, Timestamp.from(nextRunAt));
        return i;
    }

    /** Every schedule, or the one of this name, by name. */
    public List<ScheduleView> list(Connection c, Optional<String> name) throws SQLException {
        return list(c, name.isPresent() ? " WHERE s.name = ?" : "", name.orElse(null));
    }

    /** The schedules a pool declares, by name. */
    public List<ScheduleView> listOfPool(Connection c, String pool) throws SQLException {
        return list(c, " WHERE s.pool = ?", pool);
    }

    private List<ScheduleView> list(Connection c, String where, String parameter) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(listSql + where + " ORDER BY s.name")) {
            if (parameter != null) {
                ps.setString(1, parameter);
            }
            List<ScheduleView> views = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long timeoutMs = rs.getLong("timeout_ms");
                    Duration timeout = rs.wasNull() ? null : Duration.ofMillis(timeoutMs);
                    String stateName = rs.getString("last_job_state");
                    long lastJob = rs.getLong("last_job_id");
                    Long lastJobId = rs.wasNull() ? null : lastJob;
                    Schedule schedule;
                    try {
                        schedule = new Schedule(rs.getString("name"), CronExpression.parse(rs.getString("cron")),
                                Schedule.zone(rs.getString("time_zone")), rs.getString("queue"), rs.getString("handler"), rs.getString("args"),
                                rs.getInt("priority"), rs.getInt("max_attempts"), timeout, Schedule.Missed.fromDb(rs.getString("missed")));
                    } catch (IllegalArgumentException e) {
                        // A row this version cannot read (edited by hand, or a zone its time-zone data lacks).
                        throw new QueueException("schedule '" + rs.getString("name") + "' in the database cannot be read: " + e.getMessage()
                                + "; set it again (stevedore schedules set) or delete it");
                    }
                    views.add(new ScheduleView(schedule, rs.getString("pool"), instant(rs, "next_run_at"), instant(rs, "last_run_at"), lastJobId,
                            stateName == null ? null : JobState.fromDb(stateName), instant(rs, "updated_at")));
                }
            }
            return views;
        }
    }

    public boolean delete(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(deleteSql)) {
            ps.setString(1, name);
            return ps.executeUpdate() == 1;
        }
    }

    /** Deletes the schedules of {@code pool} not named in {@code keep}; returns the names deleted. */
    public List<String> deleteOthersOfPool(Connection c, String pool, List<String> keep) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(deleteOthersOfPoolSql)) {
            ps.setString(1, pool);
            ps.setArray(2, Sql.texts(c, keep.toArray(String[]::new)));
            List<String> deleted = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    deleted.add(rs.getString(1));
                }
            }
            return deleted;
        }
    }

    /** The pools that declare schedules. */
    public List<String> pools(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(poolsSql); ResultSet rs = ps.executeQuery()) {
            List<String> pools = new ArrayList<>();
            while (rs.next()) {
                pools.add(rs.getString(1));
            }
            return pools;
        }
    }

    /** Enqueues a run of the schedule now; empty if there is no such schedule. */
    public Optional<Long> runNow(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(runNowSql)) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
            }
        }
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    @Override
    public String toString() {
        return "ScheduleQueries[" + schema + "]";
    }
}
