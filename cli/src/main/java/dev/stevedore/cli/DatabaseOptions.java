package dev.stevedore.cli;

import dev.stevedore.queue.QueueSchema;
import dev.stevedore.queue.Secrets;
import dev.stevedore.queue.SessionSettings;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine.Option;

/** Where the queue is: options, falling back to STEVEDORE_DB_URL, STEVEDORE_DB_USER, STEVEDORE_DB_PASSWORD, STEVEDORE_SCHEMA. */
final class DatabaseOptions {

    Map<String, String> environment = System.getenv();

    @Option(names = "--db-url", paramLabel = "JDBC_URL", description = "JDBC URL of the database (default: $STEVEDORE_DB_URL)")
    String url;

    @Option(names = "--db-user", paramLabel = "USER", description = "database user (default: $STEVEDORE_DB_USER)")
    String user;

    @Option(names = "--db-password", paramLabel = "PASSWORD", description = "database password (default: $STEVEDORE_DB_PASSWORD)")
    String password;

    @Option(names = "--schema", paramLabel = "SCHEMA", description = "schema of the queue tables (default: $STEVEDORE_SCHEMA or stevedore)")
    String schema;

    QueueSchema schema() {
        String name = schema != null ? schema : environment.getOrDefault("STEVEDORE_SCHEMA", QueueSchema.DEFAULT.name());
        return new QueueSchema(name);
    }

    /** A data source that has been checked to connect, or a one-line failure naming the URL and user (never the password). */
    DataSource dataSource() {
        String jdbcUrl = url != null ? url : environment.get("STEVEDORE_DB_URL");
        if (jdbcUrl == null || jdbcUrl.isBlank()) {
            throw new IllegalArgumentException("no database given: pass --db-url or set STEVEDORE_DB_URL to a JDBC URL such as jdbc:postgresql://localhost:5432/app");
        }
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("--db-url / STEVEDORE_DB_URL must be a PostgreSQL JDBC URL starting with jdbc:postgresql://, got '" + Secrets.mask(jdbcUrl) + "'");
        }
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(jdbcUrl);
        String dbUser = user != null ? user : environment.get("STEVEDORE_DB_USER");
        String dbPassword = password != null ? password : environment.get("STEVEDORE_DB_PASSWORD");
        if (dbUser != null && !dbUser.isBlank()) {
            ds.setUser(dbUser);
        }
        if (dbPassword != null) {
            ds.setPassword(dbPassword);
        }
        ds.setConnectTimeout(10);
        // Keepalives and the server-side idle-in-transaction limit; no socket timeout, since `migrate` may build an
        // index on a large table and a person at the terminal can interrupt.
        ds.setTcpKeepAlive(true);
        ds.setOptions(SessionSettings.jdbcProperties().getProperty("options"));
        ds.setApplicationName("stevedore-cli");
        try (Connection ignored = ds.getConnection()) {
            return ds;
        } catch (SQLException e) {
            String who = dbUser == null || dbUser.isBlank() ? "" : " as " + dbUser;
            throw new CliFailure("cannot connect to the database at " + Secrets.mask(jdbcUrl) + who + ": " + Secrets.mask(firstLine(e.getMessage()), dbPassword));
        }
    }

    private static String firstLine(String message) {
        return message == null ? "unknown error" : message.lines().findFirst().orElse(message);
    }
}
