package dev.stevedore.worker;

import dev.stevedore.queue.QueueListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;

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

    QueueMetrics(MeterRegistry registry, String pool) {
        this.registry = registry;
        this.pool = pool;
        // Counters a healthy worker never moves start at 0, so rates and alerts see them from the first scrape.
        for (String write : LATE_WRITES) {
            Counter.builder("stevedore.late.writes.rejected").tags("pool", pool, "write", write).register(registry);
        }
        Counter.builder("stevedore.heartbeat.failures").tag("pool", pool).register(registry);
        Counter.builder("stevedore.jobs.released").tag("pool", pool).register(registry);
    }

    @Override
    public void jobClaimed(String queue, String handler, Duration waited) {
        counter("stevedore.jobs.claimed", queue, handler).increment();
        // Buckets up to an hour: Micrometer's default stops at 30 s, where a waiting queue's alert would never fire.
        Timer.builder("stevedore.job.pickup").description("time from a job being due to its claim")
                .tags("pool", pool, "queue", queue).publishPercentileHistogram().maximumExpectedValue(Duration.ofHours(1))
                .register(registry).record(waited);
    }

    @Override
    public void jobCompleted(String queue, String handler, Duration runtime) {
        counter("stevedore.jobs.completed", queue, handler).increment();
        Timer.builder("stevedore.job.execution").description("handler run time of completed jobs")
                .tags("pool", pool, "queue", queue, "handler", handler).publishPercentileHistogram().maximumExpectedValue(Duration.ofHours(1))
                .register(registry).record(runtime);
    }

    @Override
    public void jobFailed(String queue, String handler, String errorClass, boolean willRetry) {
        Counter.builder(willRetry ? "stevedore.jobs.retried" : "stevedore.jobs.failed")
                .tags("pool", pool, "queue", queue, "handler", handler, "error", errorClass == null ? "unknown" : errorClass)
                .register(registry).increment();
    }

    @Override
    public void jobPruned(String queue, String handler, String reason, boolean willRetry) {
        Counter.builder("stevedore.jobs.pruned").tags("pool", pool, "queue", queue, "handler", handler, "reason", reason,
                "retried", Boolean.toString(willRetry)).register(registry).increment();
    }

    @Override
    public void lateWriteRejected(long jobId, String what) {
        Counter.builder("stevedore.late.writes.rejected").tags("pool", pool, "write", what).register(registry).increment();
    }

    @Override
    public void heartbeatFailed(Exception cause) {
        Counter.builder("stevedore.heartbeat.failures").tag("pool", pool).register(registry).increment();
    }

    @Override
    public void jobsReleased(int count) {
        Counter.builder("stevedore.jobs.released").tag("pool", pool).register(registry).increment(count);
    }

    private Counter counter(String name, String queue, String handler) {
        return Counter.builder(name).tags("pool", pool, "queue", queue, "handler", handler).register(registry);
    }
}
