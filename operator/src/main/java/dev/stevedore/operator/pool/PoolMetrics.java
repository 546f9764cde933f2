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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The metrics of each pool, set by the reconciler and exported at /q/metrics with the tag {@code pool}
 * ({@code namespace/name}, the name workers tag their own metrics with): the gauges {@code stevedore_pool_replicas}
 * (asked for), {@code stevedore_pool_ready_replicas}, {@code stevedore_pool_alive_processes},
 * {@code stevedore_pool_database_reachable} (1 or 0, once the database was read), and per queue of the pool
 * {@code stevedore_queue_available_jobs}, {@code stevedore_queue_oldest_available_age_seconds} and
 * {@code stevedore_queue_paused} (1 or 0); the counters
 * {@code stevedore_operator_prunes_total}, {@code stevedore_operator_pruned_jobs_total} and
 * {@code stevedore_operator_database_errors_total}. Only the leading operator reconciles, so only it exports them, once
 * per pool. A deleted pool's metrics go with it, and a queue the pool no longer serves.
 */
@Singleton
public class PoolMetrics {

    /** Queue depth costs a scan of the backlog's index: read it at most this often per pool. */
    static final Duration DEPTH_INTERVAL = Duration.ofSeconds(15);
    private static final Duration SWEEP_INTERVAL = Duration.ofSeconds(5);
    private static final Logger LOG = Logger.getLogger(PoolMetrics.class);

    @Inject
    MeterRegistry registry;

    // Every method is synchronized: a pool's entry and its meters in the registry change together.
    private final Map<String, PoolMeters> pools = new HashMap<>();
    private ScheduledExecutorService sweeper;

    /** Whether the pool's queue depth is due for a read; if so, the read counts as made now, whether it succeeds or not. */
    public synchronized boolean takeDepthRead(String pool) {
        PoolMeters m = meters(pool);
        Instant now = Instant.now();
        if (m.depthReadAt != null && Duration.between(m.depthReadAt, now).compareTo(DEPTH_INTERVAL) < 0) {
            return false;
        }
        m.depthReadAt = now;
        return true;
    }

    /**
     * What the reconcile learned. {@code alive} is null when the database could not be read, and {@code databaseReachable}
     * when it was not tried (an invalid spec): the last values stay.
     */
    public synchronized void record(String pool, int desiredReplicas, Integer readyReplicas, Integer alive, Boolean databaseReachable) {
        PoolMeters m = meters(pool);
        m.replicas.set(desiredReplicas);
        m.readyReplicas.set(readyReplicas == null ? 0 : readyReplicas);
        if (alive != null) {
            m.alive.set(alive);
        }
        if (databaseReachable != null) {
            m.databaseReachable.set(databaseReachable ? 1 : 0);
        }
    }

    public synchronized void databaseError(String pool) {
        meters(pool).databaseErrors.increment();
    }

    /** A pruned process of the pool, and its jobs: failed, or retried under the pool's policy. */
    public synchronized void pruned(String pool, String reason, int failedJobs, int retriedJobs) {
        PoolMeters m = meters(pool);
        m.counter("stevedore.operator.prunes", "dead worker processes pruned", "reason", reason).increment();
        m.counter("stevedore.operator.pruned.jobs", "jobs of dead workers, failed or retried", "reason", reason, "retried", "false")
                .increment(failedJobs);
        m.counter("stevedore.operator.pruned.jobs", "jobs of dead workers, failed or retried", "reason", reason, "retried", "true")
                .increment(retriedJobs);
    }

    /**
     * The depth of the pool's queues and whether each is paused: {@code queues} names them, or is {@code ["*"]} for every
     * queue with jobs or paused. A queue seen before and now empty reads 0; a queue the pool no longer names is dropped.
     */
    public synchronized void recordDepths(String pool, List<String> queues, Map<String, QueueStats.QueueDepth> depths, Set<String> paused) {
        PoolMeters m = meters(pool);
        boolean all = queues.contains("*");
        for (String gone : List.copyOf(m.queues.keySet())) {
            if (!all && !queues.contains(gone)) {
                m.queues.remove(gone).meters.forEach(registry::remove);
            }
        }
        Set<String> shown = new TreeSet<>(all ? depths.keySet() : queues);
        if (all) {
            shown.addAll(paused);
        }
        shown.addAll(m.queues.keySet());
        for (String queue : shown) {
            QueueStats.QueueDepth depth = depths.get(queue);
            QueueGauges q = m.queues.computeIfAbsent(queue, name -> new QueueGauges(registry, pool, name));
            q.available.set(depth == null ? 0 : depth.available());
            q.oldestAgeMs.set(depth == null ? 0 : depth.oldestAvailableAgeMs());
            q.paused.set(paused.contains(queue) ? 1 : 0);
        }
    }

    /** From now on, every few seconds, drops the metrics of pools that {@code existingPools} no longer names. */
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

    synchronized void forgetAllBut(Set<String> existingPools) {
        for (String pool : List.copyOf(pools.keySet())) {
            if (!existingPools.contains(pool)) {
                PoolMeters m = pools.get(pool);
                // Out of the registry first: a pool created again under this name then registers fresh meters.
                m.all().forEach(registry::remove);
                pools.remove(pool);
            }
        }
    }

    private PoolMeters meters(String pool) {
        return pools.computeIfAbsent(pool, name -> new PoolMeters(registry, name));
    }

    private static final class PoolMeters {
        final MeterRegistry registry;
        final String pool;
        final AtomicLong replicas = new AtomicLong();
        final AtomicLong readyReplicas = new AtomicLong();
        final AtomicLong alive = new AtomicLong();
        final AtomicLong databaseReachable = new AtomicLong();
        final Counter databaseErrors;
        final Map<String, QueueGauges> queues = new HashMap<>();
        final List<Meter> meters = new ArrayList<>();
        Instant depthReadAt;

        PoolMeters(MeterRegistry registry, String pool) {
            this.registry = registry;
            this.pool = pool;
            meters.add(gauge("stevedore.pool.replicas", "worker Pods the pool asks for (spec.replicas)", replicas));
            meters.add(gauge("stevedore.pool.ready.replicas", "worker Pods Ready", readyReplicas));
            meters.add(gauge("stevedore.pool.alive.processes", "worker processes with a fresh heartbeat", alive));
            meters.add(gauge("stevedore.pool.database.reachable", "1 while the operator can read the pool's queue database", databaseReachable));
            // At 0 from the start, so a rate sees the first failed read.
            databaseErrors = Counter.builder("stevedore.operator.database.errors").description("failed reads of the pool's queue database")
                    .tag("pool", pool).register(registry);
            meters.add(databaseErrors);
        }

        Counter counter(String name, String description, String... tags) {
            Counter counter = Counter.builder(name).description(description).tag("pool", pool).tags(tags).register(registry);
            if (!meters.contains(counter)) {
                meters.add(counter);
            }
            return counter;
        }

        List<Meter> all() {
            List<Meter> all = new ArrayList<>(meters);
            queues.values().forEach(q -> all.addAll(q.meters));
            return all;
        }

        private Meter gauge(String name, String description, AtomicLong value) {
            return Gauge.builder(name, value, AtomicLong::get).description(description).tag("pool", pool).register(registry);
        }
    }

    private static final class QueueGauges {
        final AtomicLong available = new AtomicLong();
        final AtomicLong oldestAgeMs = new AtomicLong();
        final AtomicLong paused = new AtomicLong();
        final List<Meter> meters;

        QueueGauges(MeterRegistry registry, String pool, String queue) {
            meters = List.of(
                    Gauge.builder("stevedore.queue.available.jobs", available, AtomicLong::get).description("jobs waiting to be claimed")
                            .tags("pool", pool, "queue", queue).register(registry),
                    Gauge.builder("stevedore.queue.oldest.available.age.seconds", oldestAgeMs, ms -> ms.get() / 1000.0)
                            .description("how long the oldest available job has waited").tags("pool", pool, "queue", queue).register(registry),
                    Gauge.builder("stevedore.queue.paused", paused, AtomicLong::get).description("1 while the queue is paused")
                            .tags("pool", pool, "queue", queue).register(registry));
        }
    }
}
