package dev.stevedore.worker;

import dev.stevedore.queue.QueueListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * Binds the queue's events to Micrometer, exported at /q/metrics:
 * stevedore_jobs_{claimed,completed,failed,retried,pruned}_total{queue,handler},
 * stevedore_job_execution_seconds (histogram), stevedore_job_pickup_seconds (histogram),
 * stevedore_late_writes_rejected_total{write}, stevedore_heartbeat_failures_total,
 * stevedore_jobs_released_total, and the gauges stevedore_slots_busy and stevedore_slots.
 */
final class QueueMetrics implements QueueListener {

    private final MeterRegistry registry;

    QueueMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void jobClaimed(String queue, String handler, Duration waited) {
        counter("stevedore.jobs.claimed", queue, handler).increment();
        Timer.builder("stevedore.job.pickup").description("time from a job being due to its claim")
                .tag("queue", queue).publishPercentileHistogram().register(registry).record(waited);
    }

    @Override
    public void jobCompleted(String queue, String handler, Duration runtime) {
        counter("stevedore.jobs.completed", queue, handler).increment();
        Timer.builder("stevedore.job.execution").description("handler run time of completed jobs")
                .tags("queue", queue, "handler", handler).publishPercentileHistogram().register(registry).record(runtime);
    }

    @Override
    public void jobFailed(String queue, String handler, String errorClass, boolean willRetry) {
        counter(willRetry ? "stevedore.jobs.retried" : "stevedore.jobs.failed", queue, handler).increment();
    }

    @Override
    public void jobPruned(String queue, String handler, String reason, boolean willRetry) {
        Counter.builder("stevedore.jobs.pruned").tags("queue", queue, "handler", handler, "reason", reason,
                "retried", Boolean.toString(willRetry)).register(registry).increment();
    }

    @Override
    public void lateWriteRejected(long jobId, String what) {
        Counter.builder("stevedore.late.writes.rejected").tag("write", what).register(registry).increment();
    }

    @Override
    public void heartbeatFailed(Exception cause) {
        Counter.builder("stevedore.heartbeat.failures").register(registry).increment();
    }

    @Override
    public void jobsReleased(int count) {
        Counter.builder("stevedore.jobs.released").register(registry).increment(count);
    }

    private Counter counter(String name, String queue, String handler) {
        return Counter.builder(name).tags("queue", queue, "handler", handler).register(registry);
    }
}
