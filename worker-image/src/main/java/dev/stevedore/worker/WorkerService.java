package dev.stevedore.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.stevedore.queue.HandlerRegistry;
import dev.stevedore.queue.ProcessIdentity;
import dev.stevedore.queue.Errors;
import dev.stevedore.queue.QueueException;
import dev.stevedore.queue.QueueMigrator;
import dev.stevedore.queue.SessionSettings;
import dev.stevedore.queue.Worker;
import dev.stevedore.queue.WorkerConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Runs one queue worker inside the Quarkus process: pool of connections, optional migration, handlers
 * (built-in and the application's {@link StevedoreHandler} beans), metrics, and the graceful stop on
 * shutdown. While the database cannot be reached at start it keeps trying, not ready, instead of exiting.
 */
@ApplicationScoped
public class WorkerService {

    private static final Logger LOG = Logger.getLogger(WorkerService.class);

    @Inject
    MeterRegistry metrics;

    @Inject
    ObjectMapper json;

    @Inject
    @Any
    Instance<StevedoreHandler> applicationHandlers;

    private volatile WorkerSettings settings;
    private volatile HikariDataSource dataSource;
    private volatile Worker worker;
    private volatile boolean shuttingDown;
    private volatile boolean drainRequested;
    private Thread starter;

    /** Starts in the background: the HTTP endpoints answer (not ready) while it connects. */
    synchronized void start(WorkerSettings settings) {
        this.settings = settings;
        LOG.infof("starting with %s", settings);
        HandlerRegistry handlers = handlers(settings);
        LOG.infof("handlers: %s", String.join(", ", handlers.names()));
        this.dataSource = dataSource(settings);
        Gauge.builder("stevedore.slots.busy", this, WorkerService::runningJobs).tag("pool", settings.pool()).description("jobs running now")
                .register(metrics);
        Gauge.builder("stevedore.slots", () -> settings.threads()).tag("pool", settings.pool()).description("execution slots").register(metrics);
        starter = new Thread(() -> connectAndRun(handlers), "stevedore-start");
        starter.setDaemon(true);
        starter.start();
    }

    private void connectAndRun(HandlerRegistry handlers) {
        long pauseMs = 500;
        while (!shuttingDown && !drainRequested) {
            try {
                if (settings.migrate()) {
                    int applied = QueueMigrator.migrate(dataSource, settings.schema());
                    LOG.infof("schema %s: %s", settings.schema(), applied == 0 ? "up to date" : "applied " + applied + (applied == 1 ? " migration" : " migrations"));
                }
                Worker started = Worker.start(dataSource, settings.schema(), workerConfig(settings), handlers, new QueueMetrics(metrics, settings.pool()));
                synchronized (this) {
                    if (shuttingDown) {
                        started.stop();
                    } else {
                        worker = started;
                    }
                }
                return;
            } catch (QueueException | org.flywaydb.core.api.FlywayException e) {
                String hint = String.valueOf(e.getMessage()).contains("does not exist")
                        ? " (the queue tables are missing: set STEVEDORE_MIGRATE=true or run `stevedore migrate`)" : "";
                LOG.warnf("cannot start yet, retrying in %d ms: %s%s", pauseMs, Errors.rootMessage(e), hint);
            }
            try {
                Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
                return;
            }
            pauseMs = Math.min(10_000, pauseMs * 2);
        }
    }

    /** Registered, heartbeating, claiming, and the database answers. */
    boolean ready() {
        Worker w = worker;
        return w != null && w.isReady() && databaseReachable();
    }

    boolean started() {
        return worker != null;
    }

    long processId() {
        Worker w = worker;
        return w == null ? -1 : w.processId();
    }

    int runningJobs() {
        Worker w = worker;
        return w == null ? 0 : w.runningJobs();
    }

    boolean databaseReachable() {
        HikariDataSource ds = dataSource;
        if (ds == null) {
            return false;
        }
        try (Connection c = ds.getConnection()) {
            return c.isValid(1);
        } catch (SQLException e) {
            return false;
        }
    }

    /** For the preStop hook: stop claiming and wait for running jobs, up to the drain timeout. */
    boolean drain() {
        drainRequested = true;
        Worker w = worker;
        return w == null || w.drain(settings.drainTimeout());
    }

    void onShutdown(@Observes ShutdownEvent event) {
        stop();
    }

    /** The graceful stop: drain for the shutdown timeout, release what is left, deregister. */
    void stop() {
        Worker w;
        synchronized (this) {
            shuttingDown = true;
            w = worker;
        }
        if (starter != null) {
            starter.interrupt();
        }
        if (w != null) {
            w.stop();
        }
        if (dataSource != null) {
            // With the database gone, closing the pool can wait for its connection attempts; the process is ending,
            // and the stop's budget (the operator's grace period) matters more.
            Thread closer = new Thread(dataSource::close, "stevedore-pool-close");
            closer.setDaemon(true);
            closer.start();
            try {
                closer.join(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private HandlerRegistry handlers(WorkerSettings settings) {
        HandlerRegistry.Builder registry = HandlerRegistry.builder();
        new BuiltInHandlers(json).registerInto(registry, settings.demoHandlers());
        for (StevedoreHandler handler : applicationHandlers) {
            registry.register(handler.name(), handler);
        }
        return registry.build();
    }

    private static WorkerConfig workerConfig(WorkerSettings s) {
        ProcessIdentity identity = ProcessIdentity.local(s.pool()).withPod(s.podName(), s.podUid(), s.nodeName());
        return WorkerConfig.builder(identity)
                .queues(s.queues())
                .threads(s.threads())
                .heartbeatInterval(s.heartbeatInterval())
                .aliveThreshold(s.aliveThreshold())
                .shutdownTimeout(s.shutdownTimeout())
                .prunedJobPolicy(s.prunedJobPolicy())
                .completedRetention(s.completedRetention())
                .failedRetention(s.failedRetention())
                .discardedRetention(s.discardedRetention())
                .build();
    }

    private static HikariDataSource dataSource(WorkerSettings s) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("stevedore");
        config.setJdbcUrl(s.dbUrl());
        if (s.dbUser() != null) {
            config.setUsername(s.dbUser());
        }
        if (s.dbPassword() != null) {
            config.setPassword(s.dbPassword());
        }
        // The runtime holds a few connections (listener, producer, completer, heartbeat, maintenance);
        // handlers that save checkpoints borrow the rest.
        config.setMaximumPoolSize(Math.min(s.threads(), 20) + 6);
        config.setConnectionTimeout(Duration.ofSeconds(5).toMillis());
        config.setInitializationFailTimeout(-1); // start even while the database is down
        config.setDataSourceProperties(SessionSettings.jdbcProperties()); // keepalives, socket and idle-in-transaction limits
        config.setValidationTimeout(Duration.ofSeconds(1).toMillis());
        config.addDataSourceProperty("ApplicationName", "stevedore-worker");
        return new HikariDataSource(config);
    }

}
