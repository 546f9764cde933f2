package dev.stevedore.worker;

import dev.stevedore.queue.Durations;
import dev.stevedore.queue.PrunedJobPolicy;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.queue.Secrets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The worker's configuration, read from the environment: the contract the operator (and anyone running a
 * worker by hand) relies on. Every problem is reported as one line naming the variable and what it expects.
 * {@link #toString()} never shows the password.
 */
public record WorkerSettings(String dbUrl, String dbUser, String dbPassword, QueueSchema schema, String pool, List<String> queues,
                             int threads, Duration heartbeatInterval, Duration aliveThreshold, Duration shutdownTimeout,
                             Duration drainTimeout, PrunedJobPolicy prunedJobPolicy, Duration completedRetention,
                             Duration failedRetention, Duration discardedRetention, boolean migrate, boolean demoHandlers,
                             String podName, String podUid, String podNamespace, String nodeName) {

    /** Raised for a missing or malformed variable; its message is the whole story. */
    public static final class InvalidSetting extends RuntimeException {
        InvalidSetting(String message) {
            super(message, null, false, false);
        }
    }

    public static WorkerSettings fromEnvironment(Map<String, String> env) {
        Reader r = new Reader(env);
        String url = r.required("STEVEDORE_DB_URL", "a JDBC URL such as jdbc:postgresql://db:5432/app");
        if (!url.startsWith("jdbc:postgresql://")) {
            throw new InvalidSetting("STEVEDORE_DB_URL must be a PostgreSQL JDBC URL starting with jdbc:postgresql://, got '" + Secrets.mask(url, r.optional("STEVEDORE_DB_PASSWORD", null)) + "'");
        }
        String schemaName = r.optional("STEVEDORE_SCHEMA", QueueSchema.DEFAULT.name());
        QueueSchema schema;
        try {
            schema = new QueueSchema(schemaName);
        } catch (IllegalArgumentException e) {
            throw new InvalidSetting("STEVEDORE_SCHEMA: " + e.getMessage());
        }
        String pool = r.optional("STEVEDORE_POOL", "default");
        if (!pool.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?(/[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?")) {
            throw new InvalidSetting("STEVEDORE_POOL must be namespace/name (lower-case Kubernetes names), got '" + pool + "'");
        }
        List<String> queues = Arrays.stream(r.optional("STEVEDORE_QUEUES", "*").split(",")).map(String::trim).filter(q -> !q.isEmpty()).toList();
        if (queues.isEmpty()) {
            throw new InvalidSetting("STEVEDORE_QUEUES must list queue names separated by commas, or be * for all queues");
        }
        int threads = r.integer("STEVEDORE_THREADS", 10, 1, 1000);
        Duration heartbeat = r.duration("STEVEDORE_HEARTBEAT_INTERVAL", "2s", false);
        Duration alive = r.duration("STEVEDORE_ALIVE_THRESHOLD", "10s", false);
        if (alive.compareTo(heartbeat.multipliedBy(2)) < 0) {
            throw new InvalidSetting("STEVEDORE_ALIVE_THRESHOLD (" + Durations.format(alive) + ") must be at least twice STEVEDORE_HEARTBEAT_INTERVAL ("
                    + Durations.format(heartbeat) + ")");
        }
        Duration shutdown = r.duration("STEVEDORE_SHUTDOWN_TIMEOUT", "25s", true);
        Duration drain = r.duration("STEVEDORE_DRAIN_TIMEOUT", "30s", true);
        int prunedRetryLimit = r.integer("STEVEDORE_PRUNED_RETRY_LIMIT", 0, 0, 100);
        Duration prunedRetryBackoff = r.duration("STEVEDORE_PRUNED_RETRY_BACKOFF", "30s", true);
        Duration completedRetention = r.duration("STEVEDORE_COMPLETED_RETENTION", "1d", false);
        // Unset: failed and discarded jobs are kept until someone retries or discards them.
        Duration failedRetention = r.optionalDuration("STEVEDORE_FAILED_RETENTION");
        Duration discardedRetention = r.optionalDuration("STEVEDORE_DISCARDED_RETENTION");
        return new WorkerSettings(url, r.optional("STEVEDORE_DB_USER", null), r.optional("STEVEDORE_DB_PASSWORD", null), schema, pool, queues,
                threads, heartbeat, alive, shutdown, drain, new PrunedJobPolicy(prunedRetryLimit, prunedRetryBackoff),
                completedRetention, failedRetention, discardedRetention,
                r.bool("STEVEDORE_MIGRATE", false), r.bool("STEVEDORE_DEMO_HANDLERS", false),
                r.optional("POD_NAME", null), r.optional("POD_UID", null), r.optional("POD_NAMESPACE", null), r.optional("NODE_NAME", null));
    }

    @Override
    public String toString() {
        return "WorkerSettings[db=" + Secrets.mask(dbUrl, dbPassword) + (dbUser == null ? "" : " as " + dbUser) + ", schema=" + schema + ", pool=" + pool + ", queues=" + queues
                + ", threads=" + threads + ", heartbeat=" + Durations.format(heartbeatInterval) + ", alive=" + Durations.format(aliveThreshold)
                + ", shutdown=" + Durations.format(shutdownTimeout) + ", drain=" + Durations.format(drainTimeout) + ", prunedRetry="
                + prunedJobPolicy.retryLimit() + " after " + Durations.format(prunedJobPolicy.backoff()) + ", retention=completed "
                + Durations.format(completedRetention) + ", failed " + (failedRetention == null ? "kept" : Durations.format(failedRetention))
                + ", discarded " + (discardedRetention == null ? "kept" : Durations.format(discardedRetention)) + ", pod=" + podName + ", node=" + nodeName + "]";
    }

    private record Reader(Map<String, String> env) {

        String optional(String name, String fallback) {
            String value = env.get(name);
            return value == null || value.isBlank() ? fallback : value.trim();
        }

        String required(String name, String expected) {
            String value = optional(name, null);
            if (value == null) {
                throw new InvalidSetting(name + " is not set: it must be " + expected);
            }
            return value;
        }

        int integer(String name, int fallback, int min, int max) {
            String value = optional(name, null);
            if (value == null) {
                return fallback;
            }
            try {
                int n = Integer.parseInt(value);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new InvalidSetting(name + " must be a whole number from " + min + " to " + max + ", got '" + value + "'");
        }

        Duration duration(String name, String fallback, boolean zeroAllowed) {
            String value = optional(name, fallback);
            Duration d;
            try {
                d = Durations.parse(value, name);
            } catch (IllegalArgumentException e) {
                throw new InvalidSetting(e.getMessage());
            }
            if (d.isZero() && !zeroAllowed) {
                throw new InvalidSetting(name + " must be longer than 0, got '" + value + "'");
            }
            return d;
        }

        /** A duration longer than 0, or null when the variable is unset. */
        Duration optionalDuration(String name) {
            return optional(name, null) == null ? null : duration(name, null, false);
        }

        boolean bool(String name, boolean fallback) {
            String value = optional(name, null);
            if (value == null) {
                return fallback;
            }
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new InvalidSetting(name + " must be true or false, got '" + value + "'");
            };
        }
    }
}
