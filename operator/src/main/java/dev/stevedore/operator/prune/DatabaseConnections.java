package dev.stevedore.operator.prune;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.stevedore.operator.model.DatabaseSpec;
import dev.stevedore.operator.model.JobWorkerPool;
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

    private static final class Entry {
        final HikariDataSource dataSource;
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
    public DataSource forPool(JobWorkerPool pool, Secret secret) {
        DatabaseSpec db = pool.getSpec().getDatabase();
        if (secret == null) {
            throw new Unresolvable("Secret '" + db.getSecretName() + "' not found");
        }
        String url = value(secret, db.getUrlKey());
        if (url == null) {
            throw new Unresolvable("Secret '" + db.getSecretName() + "' has no key '" + db.getUrlKey() + "'");
        }
        String user = value(secret, db.getUsernameKey());
        String password = value(secret, db.getPasswordKey());
        Key key = new Key(url, user, digest(password));
        Entry entry = pools.computeIfAbsent(key, k -> new Entry(open(url, user, password)));
        entry.lastUsed = Instant.now();
        return entry.dataSource;
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
        config.addDataSourceProperty("ApplicationName", "stevedore-operator");
        return new HikariDataSource(config);
    }

    private void closeIdle() {
        Instant cutoff = Instant.now().minus(IDLE_CLOSE);
        pools.entrySet().removeIf(e -> {
            if (e.getValue().lastUsed.isBefore(cutoff)) {
                LOG.infof("closing the unused connection pool for %s", e.getKey().url());
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

    private static String value(Secret secret, String key) {
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
