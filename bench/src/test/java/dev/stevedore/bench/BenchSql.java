package dev.stevedore.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/** The plain SQL the harness and the adapters run around the systems under test: counts and DDL. */
public final class BenchSql {

    private BenchSql() {}

    /** Runs one statement in autocommit. */
    public static void execute(DataSource dataSource, String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** The single number a query returns, such as a count. */
    public static long number(DataSource dataSource, String query) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** A worker handle whose close never throws a checked exception. */
    public interface Handle extends AutoCloseable {
        @Override
        void close();
    }

    /** A worker handle whose close runs {@code stop} once, however often it is called. */
    public static Handle stopOnce(Runnable stop) {
        return new Handle() {
            private boolean stopped;

            @Override
            public synchronized void close() {
                if (!stopped) {
                    stopped = true;
                    stop.run();
                }
            }
        };
    }
}
