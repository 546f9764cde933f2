package dev.stevedore.operator.prune;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.stevedore.operator.model.DatabaseSpec;
import dev.stevedore.operator.model.JobWorkerPool;
import dev.stevedore.queue.Secrets;
import dev.stevedore.queue.SessionSettings;
import io.fabric8.kubernetes.api.model.Secret;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * One small connection pool per distinct database (URL, user, password) that pools point at, read from
 * their Secrets. Pools share a connection pool when they share a database; one unused for 10 minutes is
 * closed. A changed Secret simply yields a new key.
 */
@ApplicationScoped
public class DatabaseConnections {

    private static final Logger LOG = Logger.getLogger(DatabaseConnections.class);
    private static final Duration IDLE_CLOSE = Duration.ofMinutes(10);

    private record Key(String url, String user, String passwordDigest) {}

    /** A queue database as a pool sees it: its connections, and how it has been answering. */
    public record PoolDatabase(DataSource dataSource, DatabaseHealth health) {}

    private static final class Entry {
        final HikariDataSource dataSource;
        final DatabaseHealth health = new DatabaseHealth();
        volatile Instant lastUsed = Instant.now();

        Entry(HikariDataSource dataSource) {
            this.dataSource = dataSource;
        }
    }

    /** The pool's database cannot be resolved from its Secret; the message says which field. */
    public static final class Unresolvable extends RuntimeException {
        Unresolvable(String message) {
            super(message, null, false, false);
        }
    }

    private final Map<Key, Entry> pools = new ConcurrentHashMap<>();
    private final ScheduledExecutorService janitor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "stevedore-db-pool-janitor");
        t.setDaemon(true);
        return t;
    });

    public DatabaseConnections() {
        janitor.scheduleWithFixedDelay(this::closeIdle, 1, 1, TimeUnit.MINUTES);
    }

    /** The connection pool for the database the pool's (already read) Secret names. */
    public PoolDatabase forPool(JobWorkerPool pool, Secret secret) {
        DatabaseSpec db = pool.getSpec().getDatabase();
        if (secret == null) {
            throw new Unresolvable("Secret '" + db.getSecretName() + "' not found");
        }
        String url = secretValue(secret, db.getUrlKey());
        if (url == null) {
            throw new Unresolvable("Secret '" + db.getSecretName() + "' has no key '" + db.getUrlKey() + "'");
        }
        String user = secretValue(secret, db.getUsernameKey());
        String password = secretValue(secret, db.getPasswordKey());
        Key key = new Key(url, user, digest(password));
        Entry entry = pools.computeIfAbsent(key, k -> new Entry(open(url, user, password)));
        entry.lastUsed = Instant.now();
        return new PoolDatabase(entry.dataSource, entry.health);
    }

    private static HikariDataSource open(String url, String user, String password) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("stevedore-operator-" + Math.abs(url.hashCode()));
        config.setJdbcUrl(url);
        if (user != null) {
            config.setUsername(user);
        }
        if (password != null) {
            config.setPassword(password);
        }
        config.setMaximumPoolSize(3);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(3_000);
        config.setInitializationFailTimeout(-1);
        config.setDataSourceProperties(SessionSettings.jdbcProperties()); // keepalives, socket and idle-in-transaction limits
        config.setValidationTimeout(1_000);
        config.addDataSourceProperty("ApplicationName", "stevedore-operator");
        try {
            return new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new Unresolvable("cannot open a connection pool: " + Secrets.mask(e.getMessage(), password));
        }
    }

    private void closeIdle() {
        Instant cutoff = Instant.now().minus(IDLE_CLOSE);
        pools.entrySet().removeIf(e -> {
            if (e.getValue().lastUsed.isBefore(cutoff)) {
                LOG.infof("closing the unused connection pool for %s", Secrets.mask(e.getKey().url()));
                e.getValue().dataSource.close();
                return true;
            }
            return false;
        });
    }

    @PreDestroy
    void closeAll() {
        janitor.shutdownNow();
        pools.values().forEach(e -> e.dataSource.close());
        pools.clear();
    }

    /** The decoded value of {@code key} in the Secret, or null. */
    public static String secretValue(Secret secret, String key) {
        if (secret.getData() != null && secret.getData().containsKey(key)) {
            return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
        }
        return secret.getStringData() == null ? null : secret.getStringData().get(key);
    }

    private static String digest(String password) {
        if (password == null) {
            return "";
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
