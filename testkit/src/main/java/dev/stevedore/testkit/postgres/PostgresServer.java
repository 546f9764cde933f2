package dev.stevedore.testkit.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PostgreSQL server that tests may create databases on. {@link #adminUrl()} points at a database the
 * credentials can connect to (normally {@code postgres}); {@link #urlFor(String)} swaps in another database.
 */
public final class PostgresServer {

    private static final Pattern URL = Pattern.compile("^(jdbc:postgresql://[^/?]+/)([^?]*)(\\?.*)?$");
    private static final Pattern DATABASE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final String adminUrl;
    private final String user;
    private final String password;
    private final String description;
    private final Runnable onStop;

    PostgresServer(String adminUrl, String user, String password, String description, Runnable onStop) {
        if (!URL.matcher(adminUrl).matches()) {
            throw new IllegalArgumentException("not a PostgreSQL JDBC URL (jdbc:postgresql://host:port/database): " + adminUrl);
        }
        this.adminUrl = adminUrl;
        this.user = user;
        this.password = password;
        this.description = description;
        this.onStop = onStop;
    }

    public String adminUrl() {
        return adminUrl;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /** Where the server comes from, for messages: "STEVEDORE_TEST_DB_URL", "Testcontainers", "local cluster in ...". */
    public String description() {
        return description;
    }

    /** The JDBC URL of {@code database} on this server, keeping the admin URL's parameters. */
    public String urlFor(String database) {
        Matcher m = URL.matcher(adminUrl);
        if (!m.matches()) {
            throw new IllegalStateException("unreachable: URL validated in constructor");
        }
        return m.group(1) + database + (m.group(3) == null ? "" : m.group(3));
    }

    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(urlFor(database), credentials());
    }

    private Properties credentials() {
        Properties props = new Properties();
        if (user != null) {
            props.setProperty("user", user);
        }
        if (password != null) {
            props.setProperty("password", password);
        }
        return props;
    }

    public Connection connectAdmin() throws SQLException {
        return DriverManager.getConnection(adminUrl, credentials());
    }

    public TestDatabase createDatabase(String name) {
        requireValidName(name);
        try (Connection c = connectAdmin(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create test database " + name + " on " + description + ": " + e.getMessage(), e);
        }
        return new TestDatabase(name, urlFor(name), user, password, this);
    }

    public void dropDatabase(String name) {
        requireValidName(name);
        try (Connection c = connectAdmin(); Statement s = c.createStatement()) {
            // FORCE ends sessions a test left open (PostgreSQL 13+).
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop test database " + name + " on " + description + ": " + e.getMessage(), e);
        }
    }

    void stop() {
        onStop.run();
    }

    private static void requireValidName(String name) {
        if (!DATABASE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("test database names are lower-case identifiers of at most 63 characters: " + name);
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
