package dev.stevedore.testkit.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/** A database of its own for one test class, on the shared test server. */
public record TestDatabase(String name, String jdbcUrl, String user, String password, PostgresServer server) {

    public Connection connect() throws SQLException {
        return server.connect(name);
    }

    /** A plain, unpooled DataSource; code under test may wrap it in a pool. */
    public DataSource dataSource() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(jdbcUrl);
        if (user != null) {
            ds.setUser(user);
        }
        if (password != null) {
            ds.setPassword(password);
        }
        return ds;
    }
}
