package dev.stevedore.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class QueueMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final QueueMetrics metrics = new QueueMetrics(registry, "team/pool");

    @Test
    void eachQueueAndHandlerCountsApartUnderThePoolsTag() {
        metrics.jobClaimed("mail", "send", Duration.ofMillis(3));
        metrics.jobClaimed("mail", "send", Duration.ofMillis(5));
        metrics.jobClaimed("sms", "send", Duration.ofMillis(7));
        metrics.jobCompleted("mail", "send", Duration.ofMillis(40));

        assertThat(registry.get("stevedore.jobs.claimed").tags("pool", "team/pool", "queue", "mail", "handler", "send").counter().count()).isEqualTo(2);
        assertThat(registry.get("stevedore.jobs.claimed").tags("queue", "sms").counter().count()).isEqualTo(1);
        assertThat(registry.get("stevedore.job.pickup").tags("pool", "team/pool", "queue", "mail").timer().count()).isEqualTo(2);
        assertThat(registry.get("stevedore.job.pickup").tags("queue", "mail").timer().max(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(5);
        assertThat(registry.get("stevedore.job.execution").tags("queue", "mail", "handler", "send").timer().count()).isEqualTo(1);
        assertThat(registry.find("stevedore.jobs.completed").tags("queue", "sms").counter()).isNull();
    }

    @Test
    void theCountersAHealthyWorkerNeverMovesAreThereAtZeroAndMoveWhenItHappens() {
        assertThat(registry.get("stevedore.late.writes.rejected").counters()).hasSize(3).allMatch(c -> c.count() == 0);
        assertThat(registry.get("stevedore.heartbeat.failures").counter().count()).isZero();

        metrics.lateWriteRejected(42, "completion");
        metrics.jobsReleased(3);
        metrics.jobFailed("mail", "send", null, true);

        assertThat(registry.get("stevedore.late.writes.rejected").tags("write", "completion").counter().count()).isEqualTo(1);
        assertThat(registry.get("stevedore.late.writes.rejected").tags("write", "failure").counter().count()).isZero();
        assertThat(registry.get("stevedore.jobs.released").counter().count()).isEqualTo(3);
        assertThat(registry.get("stevedore.jobs.retried").tags("error", "unknown").counter().count()).isEqualTo(1);
    }
}
