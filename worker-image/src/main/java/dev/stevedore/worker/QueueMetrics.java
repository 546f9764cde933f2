package dev.stevedore.worker;

import dev.stevedore.queue.QueueListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Binds the queue's events to Micrometer, exported at /q/metrics, every one with the tag {@code pool}
 * ({@code namespace/name}, as the operator's metrics name pools):
 * stevedore_jobs_{claimed,completed}_total{queue,handler}, stevedore_jobs_{failed,retried}_total{queue,handler,error},
 * stevedore_jobs_pruned_total{queue,handler,reason,retried}, stevedore_job_execution_seconds (histogram),
 * stevedore_job_pickup_seconds (histogram), stevedore_late_writes_rejected_total{write},
 * stevedore_heartbeat_failures_total and stevedore_jobs_released_total. The slot gauges are the service's.
 */
final class QueueMetrics implements QueueListener {

    /** The writes a worker can be refused, as the queue reports them. */
    private static final List<String> LATE_WRITES = List.of("completion", "failure", "checkpoint");

    private final MeterRegistry registry;
    private final String pool;
    private final Map<List<String>, Counter> counters = new ConcurrentHashMap<>();
    private final Map<List<String>, Timer> timers = new ConcurrentHashMap<>();

    QueueMetrics(MeterRegistry registry, String pool) {
        this.registry = registry;
        this.pool = pool;
        // Counters a healthy worker never moves start at 0, so rates and alerts see them from the first scrape.
        for (String write : LATE_WRITES) {
            counter("stevedore.late.writes.rejected", "write", write);
        }
        counter("stevedore.heartbeat.failures");
        counter("stevedore.jobs.released");
    }

    @Override
    public void jobClaimed(String queue, String handler, Duration waited) {
        counter("stevedore.jobs.claimed", "queue", queue, "handler", handler).increment();
        // Buckets up to an hour: Micrometer's default stops at 30 s, where a waiting queue's alert would never fire.
        timer("stevedore.job.pickup", "time from a job being due to its claim", "queue", queue).record(waited);
    }

    @Override
    public void jobCompleted(String queue, String handler, Duration runtime) {
        counter("stevedore.jobs.completed", "queue", queue, "handler", handler).increment();
        timer("stevedore.job.execution", "handler run time of completed jobs", "queue", queue, "handler", handler).record(runtime);
    }

    @Override
    public void jobFailed(String queue, String handler, String errorClass, boolean willRetry) {
        counter(willRetry ? "stevedore.jobs.retried" : "stevedore.jobs.failed", "queue", queue, "handler", handler,
                "error", errorClass == null ? "unknown" : errorClass).increment();
    }

    @Override
    public void jobPruned(String queue, String handler, String reason, boolean willRetry) {
        counter("stevedore.jobs.pruned", "queue", queue, "handler", handler, "reason", reason, "retried", Boolean.toString(willRetry)).increment();
    }

    @Override
    public void lateWriteRejected(long jobId, String what) {
        counter("stevedore.late.writes.rejected", "write", what).increment();
    }

    @Override
    public void heartbeatFailed(Exception cause) {
        counter("stevedore.heartbeat.failures").increment();
    }

    @Override
    public void jobsReleased(int count) {
        counter("stevedore.jobs.released").increment(count);
    }

    /**
     * The pool's counter of this name and further tags (key, value, ...). Meters are kept here, by name and tags:
     * claims and completions come thousands a second, and Micrometer's registration path (building and sorting the
     * tags, then looking the meter up) cost more than the increment itself.
     */
    private Counter counter(String name, String... tags) {
        return counters.computeIfAbsent(meterKey(name, tags), k -> Counter.builder(name).tags("pool", pool).tags(tags).register(registry));
    }

    private Timer timer(String name, String description, String... tags) {
        return timers.computeIfAbsent(meterKey(name, tags), k -> Timer.builder(name).description(description).tags("pool", pool).tags(tags)
                .publishPercentileHistogram().maximumExpectedValue(Duration.ofHours(1)).register(registry));
    }

    private static List<String> meterKey(String name, String... tags) {
        List<String> key = new ArrayList<>(tags.length + 1);
        key.add(name);
        key.addAll(Arrays.asList(tags));
        return key;
    }
}
