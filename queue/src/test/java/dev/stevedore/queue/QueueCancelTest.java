package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class QueueCancelTest {

    private static final String POOL = "test/cancel";
    private TestDatabase db;
    private QueueFixture queue;
    private QueueAdmin admin;

    @BeforeEach
    void setUp(TestDatabase db) {
        this.db = db;
        queue = new QueueFixture(db);
        admin = new QueueAdmin(queue.dataSource, queue.schema);
    }

    @AfterEach
    void tearDown() {
        queue.close();
    }

    @Test
    void scheduledAndAvailableJobsAreDiscardedAtOnceAndFinishedOnesAreLeftAsTheyAre() {
        long available = queue.enqueue(NewJob.of("mail", "send"));
        long scheduled = queue.enqueue(NewJob.of("mail", "send").runAt(Instant.now().plusSeconds(3600)));
        long completed = queue.enqueue(NewJob.of("mail", "send"));
        queue.sql("UPDATE stevedore.jobs SET state = 'completed', finished_at = now() WHERE id = " + completed);

        QueueAdmin.Cancellation done = admin.cancel(List.of(available, scheduled, completed), "ops@desk");

        assertThat(done.discarded()).containsExactlyInAnyOrder(available, scheduled);
        assertThat(done.requested()).isEmpty();
        for (long id : List.of(available, scheduled)) {
            Map<String, Object> job = queue.job(id);
            assertThat(job).containsEntry("state", "discarded").containsEntry("last_error_class", "JobCancelledError");
            assertThat(job.get("last_error").toString()).contains("\"by\": \"ops@desk\"", "cancelled by ops@desk");
        }
        assertThat(queue.job(completed)).containsEntry("state", "completed").containsEntry("error_count", 0);
        assertThatThrownBy(() -> admin.cancel(List.of(available), " ")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("by:");
    }

    @Test
    void aRunningJobsHandlerIsInterruptedAndTheJobEndsDiscardedNotRetried() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        HandlerRegistry handlers = HandlerRegistry.builder().register("hold", job -> {
            started.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                interrupted.set(true);
                throw e;
            }
        }).register("ok", job -> {}).build();
        queue.worker(c -> c.queues(List.of("reports")).threads(1), handlers);
        long id = queue.enqueue(NewJob.of("reports", "hold").maxAttempts(5));
        assertThat(started.await(20, TimeUnit.SECONDS)).isTrue();

        QueueAdmin.Cancellation done = admin.cancel(List.of(id), "ops@desk");

        assertThat(done.requested()).containsExactly(id);
        await().atMost(Duration.ofSeconds(10)).until(() -> "discarded".equals(queue.state(id)));
        Map<String, Object> job = queue.job(id);
        assertThat(job).containsEntry("last_error_class", "JobCancelledError").containsEntry("attempts", 1).containsEntry("error_count", 1);
        assertThat(job.get("last_error").toString()).contains("cancelled by ops@desk while running");
        assertThat(interrupted).isTrue();
        // Its one thread is free again.
        long next = queue.enqueue(NewJob.of("reports", "ok"));
        await().atMost(Duration.ofSeconds(10)).until(() -> "completed".equals(queue.state(next)));
    }

    @Test
    void aCancelWhoseNotificationWasMissedIsFoundByTheWorkersOwnCheck() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        HandlerRegistry handlers = HandlerRegistry.builder().register("hold", job -> {
            started.countDown();
            Thread.sleep(60_000);
        }).build();
        queue.worker(c -> c.queues(List.of("reports")).threads(1), handlers);
        long id = queue.enqueue(NewJob.of("reports", "hold"));
        assertThat(started.await(20, TimeUnit.SECONDS)).isTrue();

        // The request without its NOTIFY, as if the worker's listener had been reconnecting.
        queue.sql("UPDATE stevedore.jobs SET cancel_requested_at = now(), cancel_requested_by = 'ops' WHERE id = " + id);

        await().atMost(Duration.ofSeconds(10)).until(() -> "discarded".equals(queue.state(id)));
        assertThat(queue.job(id)).containsEntry("last_error_class", "JobCancelledError");
    }

    /** The worker is SIGKILLed holding the job, and the cancel comes before its prune: the prune discards it, never retries it. */
    @Test
    void aCancelOfAJobWhoseWorkerWasKilledIsCarriedOutByItsPrune() throws Exception {
        long id = queue.enqueue(NewJob.of("doomed", "sleep"));
        try (ChildProcess child = ChildProcess.start(db, POOL, "doomed", Map.of("PRUNED_RETRY_LIMIT", "3"))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> "running".equals(queue.state(id)));
            assertThat(child.signal("KILL")).isEqualTo(137);
        }
        assertThat(admin.cancel(List.of(id), "ops@desk").requested()).containsExactly(id);

        // A peer of the pool prunes the dead process once its heartbeat is stale.
        queue.worker(c -> c.identity(ProcessIdentity.local(POOL)).queues(List.of("elsewhere")), HandlerRegistry.builder().build());
        await().atMost(Duration.ofSeconds(15)).until(() -> "discarded".equals(queue.state(id)));
        Map<String, Object> job = queue.job(id);
        assertThat(job).containsEntry("prunes", 1).containsEntry("error_count", 2).containsEntry("last_error_class", "JobCancelledError");
        assertThat(job.get("errors").toString()).contains("ProcessPrunedError");
    }
}
