package dev.stevedore.queue.internal;

import dev.stevedore.queue.QueueSchema;
import dev.stevedore.queue.WorkerConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The worker's statements on the processes table: register, heartbeat, deregister. */
public final class ProcessQueries {

    private final QueueSchema schema;
    private final String registerSql;
    private final String heartbeatSql;
    private final String releaseSql;
    private final String deleteSql;

    public ProcessQueries(QueueSchema schema) {
        this.schema = schema;
        this.registerSql = schema.sql("""
                INSERT INTO {schema}.processes (pool, pod_name, pod_uid, node, host, pid, queues, slots, alive_threshold_ms,
                                                pruned_retry_limit, pruned_retry_backoff_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?::text[], ?, ?, ?, ?)
                RETURNING id
                """);
        this.heartbeatSql = schema.sql("UPDATE {schema}.processes SET last_heartbeat_at = now() WHERE id = ?");
        // Released jobs go back to available without charging the attempt their claim took (or, cancelled, are discarded).
        this.releaseSql = schema.sql("""
                UPDATE {schema}.jobs j SET %s
                WHERE j.claimed_by = ? AND j.state = 'running'
                RETURNING j.queue
                """.formatted(JobQueries.RELEASE));
        this.deleteSql = schema.sql("DELETE FROM {schema}.processes WHERE id = ?");
    }

    public long register(Connection c, WorkerConfig config) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(registerSql)) {
            var id = config.identity();
            ps.setString(1, id.pool());
            ps.setString(2, id.podName());
            ps.setString(3, id.podUid());
            ps.setString(4, id.node());
            ps.setString(5, id.host());
            ps.setLong(6, id.pid());
            ps.setArray(7, Sql.texts(c, config.queues().toArray(String[]::new)));
            ps.setInt(8, config.threads());
            ps.setLong(9, config.aliveThreshold().toMillis());
            ps.setInt(10, config.prunedJobPolicy().retryLimit());
            ps.setLong(11, config.prunedJobPolicy().backoff().toMillis());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Renews the heartbeat; false when the row is gone, i.e. this process was pruned. */
    public boolean heartbeat(Connection c, long processId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(heartbeatSql)) {
            ps.setLong(1, processId);
            return ps.executeUpdate() == 1;
        }
    }

    /**
     * In one transaction: deletes the process row, then hands every job still claimed by the process back to
     * available (attempt not charged) and notifies their queues. The row goes first, in the same lock order as
     * a prune, so the two cannot deadlock; if a prune got there first, its jobs are already settled and none
     * are released. Returns how many jobs were released.
     */
    public int releaseAndDelete(Connection c, long processId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(deleteSql)) {
            ps.setLong(1, processId);
            if (ps.executeUpdate() == 0) {
                return 0;
            }
        }
        List<String> queues = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(releaseSql)) {
            ps.setLong(1, processId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    queues.add(rs.getString(1));
                }
            }
        }
        if (!queues.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, q) FROM unnest(?::text[]) AS q")) {
                ps.setString(1, schema.channel());
                ps.setArray(2, Sql.texts(c, queues.stream().distinct().toArray(String[]::new)));
                ps.execute();
            }
        }
        return queues.size();
    }
}
