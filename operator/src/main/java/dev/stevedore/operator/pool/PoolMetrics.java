package dev.stevedore.operator.pool;

import dev.stevedore.queue.QueueStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The gauges of each pool, set by the reconciler and exported at /q/metrics with the tag {@code pool}
 * ({@code namespace/name}, the name workers tag their own metrics with): {@code stevedore_pool_replicas},
 * {@code stevedore_pool_ready_replicas}, {@code stevedore_pool_alive_processes}, {@code stevedore_pool_database_reachable}
 * (1 or 0), and per queue of the pool {@code stevedore_queue_available_jobs} and
 * {@code stevedore_queue_oldest_available_age_seconds}. Only the leading operator reconciles, so only it exports
 * them, once per pool. A deleted pool's gauges go with it, and its {@code stevedore_operator_database_errors_total}.
 */
@Singleton
public class PoolMetrics {

    /** Queue depth costs a scan of the backlog's index: read it at most this often per pool. */
    static final Duration DEPTH_INTERVAL = Duration.ofSeconds(15);

    @Inject
    MeterRegistry registry;

    private static final Duration SWEEP_INTERVAL = Duration.ofSeconds(5);
    private static final Logger LOG = Logger.getLogger(PoolMetrics.class);

    private final Map<String, Gauges> pools = new ConcurrentHashMap<>();
    private ScheduledExecutorService sweeper;

    /** Whether the pool's queue depth is due for a new read. */
    public boolean depthDue(String pool) {
        Instant last = gauges(pool).depthReadAt;
        return last == null || Duration.between(last, Instant.now()).compareTo(DEPTH_INTERVAL) >= 0;
    }

    /** What the reconcile learned; {@code alive} is null when the database could not be read (the last value stays). */
    public void record(String pool, Integer replicas, Integer readyReplicas, Integer alive, boolean databaseReachable) {
        Gauges g = gauges(pool);
        g.replicas.set(replicas == null ? 0 : replicas);
        g.readyReplicas.set(readyReplicas == null ? 0 : readyReplicas);
        if (alive != null) {
            g.alive.set(alive);
        }
        g.databaseReachable.set(databaseReachable ? 1 : 0);
    }

    /**
     * The depth of the pool's queues: {@code queues} names them, or is {@code ["*"]} for every queue with jobs. A queue
     * seen before and now empty reads 0.
     */
    public void recordDepths(String pool, List<String> queues, Map<String, QueueStats.QueueDepth> depths) {
        Gauges g = gauges(pool);
        boolean all = queues.contains("*");
        List<String> shown = new ArrayList<>(all ? depths.keySet() : queues);
        shown.addAll(g.queues.keySet());
        for (String queue : Set.copyOf(shown)) {
            if (!all && !queues.contains(queue)) {
                continue;
            }
            QueueStats.QueueDepth depth = depths.get(queue);
            QueueGauges q = g.queues.computeIfAbsent(queue, name -> new QueueGauges(registry, pool, name));
            q.available.set(depth == null ? 0 : depth.available());
            q.oldestAgeMs.set(depth == null ? 0 : depth.oldestAvailableAgeMs());
        }
        g.depthReadAt = Instant.now();
    }

    /** From now on, every few seconds, drops the gauges of pools that {@code existingPools} no longer names. */
    public synchronized void keepOnly(Supplier<Set<String>> existingPools) {
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        sweeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "stevedore-pool-metrics");
            thread.setDaemon(true);
            return thread;
        });
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                forgetAllBut(existingPools.get());
            } catch (RuntimeException e) {
                LOG.debugf("pool metrics sweep: %s", e);
            }
        }, SWEEP_INTERVAL.toMillis(), SWEEP_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    synchronized void stop() {
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
    }

    void forgetAllBut(Set<String> existingPools) {
        for (String pool : Set.copyOf(pools.keySet())) {
            if (!existingPools.contains(pool)) {
                Gauges g = pools.remove(pool);
                if (g != null) {
                    g.meters.forEach(registry::remove);
                    g.queues.values().forEach(q -> q.meters.forEach(registry::remove));
                }
            }
        }
    }

    private Gauges gauges(String pool) {
        return pools.computeIfAbsent(pool, name -> new Gauges(registry, name));
    }

    private static final class Gauges {
        final AtomicLong replicas = new AtomicLong();
        final AtomicLong readyReplicas = new AtomicLong();
        final AtomicLong alive = new AtomicLong();
        final AtomicLong databaseReachable = new AtomicLong();
        final Map<String, QueueGauges> queues = new ConcurrentHashMap<>();
        final List<Meter> meters;
        volatile Instant depthReadAt;

        Gauges(MeterRegistry registry, String pool) {
            meters = List.of(
                    gauge(registry, "stevedore.pool.replicas", "worker Pods the pool asks for", pool, replicas),
                    gauge(registry, "stevedore.pool.ready.replicas", "worker Pods Ready", pool, readyReplicas),
                    gauge(registry, "stevedore.pool.alive.processes", "worker processes with a fresh heartbeat", pool, alive),
                    gauge(registry, "stevedore.pool.database.reachable", "1 while the operator can read the pool's queue database", pool,
                            databaseReachable),
                    // The reconciler counts failed reads; at 0 from the start, so a rate sees the first one.
                    Counter.builder("stevedore.operator.database.errors").description("failed reads of the pool's queue database")
                            .tag("pool", pool).register(registry));
        }
    }

    private static final class QueueGauges {
        final AtomicLong available = new AtomicLong();
        final AtomicLong oldestAgeMs = new AtomicLong();
        final List<Meter> meters;

        QueueGauges(MeterRegistry registry, String pool, String queue) {
            meters = List.of(
                    Gauge.builder("stevedore.queue.available.jobs", available, AtomicLong::get).description("jobs waiting to be claimed")
                            .tags("pool", pool, "queue", queue).register(registry),
                    Gauge.builder("stevedore.queue.oldest.available.age.seconds", oldestAgeMs, ms -> ms.get() / 1000.0)
                            .description("how long the oldest available job has waited").tags("pool", pool, "queue", queue).register(registry));
        }
    }

    private static Meter gauge(MeterRegistry registry, String name, String description, String pool, AtomicLong value) {
        return Gauge.builder(name, value, AtomicLong::get).description(description).tag("pool", pool).register(registry);
    }
}
