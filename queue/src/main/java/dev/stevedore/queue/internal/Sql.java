package dev.stevedore.queue.internal;

import java.sql.Array;
import dev.stevedore.queue.SessionSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;

/** Small JDBC helpers shared by the query classes. */
public final class Sql {

    private Sql() {}

    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Runs {@code work} on a connection in autocommit mode. */
    public static <T> T withConnection(DataSource dataSource, Work<T> work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return work.run(c);
        }
    }

    /**
     * Runs {@code work} in one transaction, rolled back on any failure. The transaction is bounded: the server
     * ends it if this client goes silent inside it, and no statement waits long for a lock (SessionSettings).
     */
    public static <T> T inTransaction(DataSource dataSource, Work<T> work) throws SQLException {
        return inTransaction(dataSource, -1, work);
    }

    /**
     * As {@link #inTransaction(DataSource, Work)}, at this isolation level ({@link Connection#TRANSACTION_READ_COMMITTED}...),
     * whatever the database's or the pool's default: for work whose correctness rests on it.
     */
    public static <T> T inTransaction(DataSource dataSource, int isolation, Work<T> work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            int defaultIsolation = c.getTransactionIsolation();
            if (isolation != -1 && isolation != defaultIsolation) {
                c.setTransactionIsolation(isolation);
            }
            c.setAutoCommit(false);
            try {
                try (PreparedStatement limits = c.prepareStatement(
                        "SELECT set_config('idle_in_transaction_session_timeout', ?, true), set_config('lock_timeout', ?, true)")) {
                    limits.setString(1, SessionSettings.IDLE_IN_TRANSACTION.toMillis() + "ms");
                    limits.setString(2, SessionSettings.LOCK_TIMEOUT.toMillis() + "ms");
                    limits.execute();
                }
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException rollbackFailure) {
                    e.addSuppressed(rollbackFailure);
                }
                throw e;
            } finally {
                try {
                    c.setAutoCommit(autoCommit);
                    if (c.getTransactionIsolation() != defaultIsolation) {
                        c.setTransactionIsolation(defaultIsolation);
                    }
                } catch (SQLException ignored) {
                    // The connection is broken; the pool will discard it.
                }
            }
        }
    }

    public static Array longs(Connection c, long[] values) throws SQLException {
        Long[] boxed = new Long[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return c.createArrayOf("bigint", boxed);
    }

    public static Array longs(Connection c, Long[] values) throws SQLException {
        return c.createArrayOf("bigint", values);
    }

    public static Array ints(Connection c, Integer[] values) throws SQLException {
        return c.createArrayOf("integer", values);
    }

    public static Array texts(Connection c, String[] values) throws SQLException {
        return c.createArrayOf("text", values);
    }

    /** SQLState 23505: a unique index refused the row. */
    public static boolean isUniqueViolation(SQLException e) {
        return "23505".equals(e.getSQLState());
    }

    /** A nullable timestamp column as an instant. */
    public static java.time.Instant instant(java.sql.ResultSet rs, String column) throws SQLException {
        java.sql.Timestamp ts = rs.getTimestamp(column);
        return ts == null ? null : ts.toInstant();
    }

    /** A nullable integer column. */
    public static Integer integer(java.sql.ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }

    /** A nullable bigint column. */
    public static Long longOrNull(java.sql.ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }
}
