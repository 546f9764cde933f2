package dev.stevedore.dashboard;

import dev.stevedore.queue.Durations;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.queue.Secrets;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * The dashboard's configuration, from the environment. The database variables are the worker's; the token is the
 * dashboard's own. Without a token the dashboard is read-only. {@link #toString()} and {@link #databaseLabel()} never
 * show the password or the token.
 */
public record DashboardSettings(String dbUrl, String dbUser, String dbPassword, QueueSchema schema, String adminToken, Duration refresh) {

    /** Shorter tokens are refused: the token is all that stands between a network peer and a bulk discard. */
    static final int MIN_TOKEN_LENGTH = 16;

    /** Raised for a missing or malformed variable; its message is the whole story. */
    public static final class InvalidSetting extends RuntimeException {
        InvalidSetting(String message) {
            super(message, null, false, false);
        }
    }

    public static DashboardSettings fromEnvironment(Map<String, String> env) {
        String password = value(env, "STEVEDORE_DB_PASSWORD");
        String url = value(env, "STEVEDORE_DB_URL");
        if (url == null) {
            throw new InvalidSetting("STEVEDORE_DB_URL is not set: it must be the JDBC URL of the Stevedore database, such as jdbc:postgresql://db:5432/app");
        }
        if (!url.startsWith("jdbc:postgresql://")) {
            throw new InvalidSetting("STEVEDORE_DB_URL must be a PostgreSQL JDBC URL starting with jdbc:postgresql://, got '" + Secrets.mask(url, password) + "'");
        }
        QueueSchema schema;
        try {
            schema = new QueueSchema(env.getOrDefault("STEVEDORE_SCHEMA", QueueSchema.DEFAULT.name()).trim());
        } catch (IllegalArgumentException e) {
            throw new InvalidSetting("STEVEDORE_SCHEMA: " + e.getMessage());
        }
        String token = value(env, "STEVEDORE_DASHBOARD_TOKEN");
        if (token != null && token.length() < MIN_TOKEN_LENGTH) {
            throw new InvalidSetting("STEVEDORE_DASHBOARD_TOKEN must be at least " + MIN_TOKEN_LENGTH
                    + " characters; make one with `openssl rand -hex 32` (unset it for a read-only dashboard)");
        }
        String refreshText = value(env, "STEVEDORE_DASHBOARD_REFRESH");
        Duration refresh;
        try {
            refresh = refreshText == null ? Duration.ofSeconds(5) : Durations.parse(refreshText, "STEVEDORE_DASHBOARD_REFRESH");
        } catch (IllegalArgumentException e) {
            throw new InvalidSetting(e.getMessage());
        }
        if (!refresh.isZero() && refresh.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new InvalidSetting("STEVEDORE_DASHBOARD_REFRESH must be 0s (no refresh) or at least 1s, got '" + refreshText + "'");
        }
        return new DashboardSettings(url, value(env, "STEVEDORE_DB_USER"), password, schema, token, refresh);
    }

    private static String value(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    public boolean changesEnabled() {
        return adminToken != null;
    }

    /** Which database the pages show: host, port and database name from the URL, nothing of its parameters. */
    public String databaseLabel() {
        try {
            URI uri = URI.create(dbUrl.substring("jdbc:".length()));
            String host = uri.getHost() == null ? "?" : uri.getHost();
            String port = uri.getPort() < 0 ? "" : ":" + uri.getPort();
            String path = uri.getPath() == null ? "" : uri.getPath();
            return host + port + path + " · schema " + schema.name();
        } catch (IllegalArgumentException e) {
            return "schema " + schema.name();
        }
    }

    @Override
    public String toString() {
        return "DashboardSettings[db=" + Secrets.mask(dbUrl, dbPassword) + (dbUser == null ? "" : " as " + dbUser) + ", schema=" + schema.name()
                + ", changes=" + (changesEnabled() ? "enabled (token set)" : "disabled (no STEVEDORE_DASHBOARD_TOKEN)") + ", refresh="
                + Durations.format(refresh) + "]";
    }
}
