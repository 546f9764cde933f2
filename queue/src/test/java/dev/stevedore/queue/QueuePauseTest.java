package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class QueuePauseTest {

    private QueueFixture queue;
    private QueueAdmin admin;

    @BeforeEach
    void setUp(TestDatabase db) {
        queue = new QueueFixture(db);
        admin = new QueueAdmin(queue.dataSource, queue.schema);
    }

    @AfterEach
    void tearDown() {
        queue.close();
    }

    /** Each shape of claim (one queue, several, every queue) skips the paused queue; resumed, its jobs run. */
    @Test
    void aPausedQueueKeepsAndAcceptsJobsAndNoWorkerClaimsThemUntilItIsResumed() {
        assertThat(admin.pause("mail", "ops@desk", "the mail relay is down")).isTrue();
        assertThat(admin.pause("mail", "someone else", null)).as("paused already").isFalse();
        List<Long> mail = enqueue("mail", 20);
        List<Long> others = new ArrayList<>(enqueue("sms", 20));
        others.addAll(enqueue("push", 20));
        HandlerRegistry handlers = HandlerRegistry.builder().register("noop", job -> {}).build();
        queue.worker(c -> c.queues(List.of("mail")), handlers);
        queue.worker(c -> c.queues(List.of("mail", "sms")), handlers);
        queue.worker(c -> c.queues(List.of("*")), handlers);

        // Only the worker of every queue takes push: it claims while a queue is paused.
        await().atMost(Duration.ofSeconds(20)).until(() -> others.stream().allMatch(id -> "completed".equals(queue.job(id).get("state"))));
        // Another round of claims by every worker, then the paused queue is still untouched.
        long late = queue.enqueue(NewJob.of("sms", "noop"));
        await().atMost(Duration.ofSeconds(20)).until(() -> "completed".equals(queue.job(late).get("state")));
        assertThat(mail).allSatisfy(id -> assertThat(queue.job(id)).containsEntry("state", "available").containsEntry("attempts", 0));

        QueueStats stats = admin.stats();
        assertThat(stats.queues().get("mail").available()).isEqualTo(20);
        assertThat(stats.pausedQueues()).singleElement().satisfies(p -> {
            assertThat(p.queue()).isEqualTo("mail");
            assertThat(p.pausedBy()).isEqualTo("ops@desk");
            assertThat(p.reason()).isEqualTo("the mail relay is down");
        });

        assertThat(admin.resume("mail")).isTrue();
        assertThat(admin.resume("mail")).as("not paused any more").isFalse();
        await().atMost(Duration.ofSeconds(20)).until(() -> mail.stream().allMatch(id -> "completed".equals(queue.job(id).get("state"))));
        assertThat(admin.pausedQueues()).isEmpty();
    }

    @Test
    void jobsAlreadyRunningWhenTheirQueueIsPausedFinish() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HandlerRegistry handlers = HandlerRegistry.builder().register("hold", job -> {
            started.countDown();
            release.await(30, TimeUnit.SECONDS);
        }).register("noop", job -> {}).build();
        queue.worker(c -> c.queues(List.of("reports", "other")).threads(2), handlers);
        long running = queue.enqueue(NewJob.of("reports", "hold"));
        assertThat(started.await(20, TimeUnit.SECONDS)).isTrue();

        admin.pause("reports", "test", null);
        long waiting = queue.enqueue(NewJob.of("reports", "hold"));
        release.countDown();
        await().atMost(Duration.ofSeconds(20)).until(() -> "completed".equals(queue.job(running).get("state")));
        // The worker claims again (the other queue's job runs), and still leaves the paused queue's job.
        long other = queue.enqueue(NewJob.of("other", "noop"));
        await().atMost(Duration.ofSeconds(20)).until(() -> "completed".equals(queue.job(other).get("state")));
        assertThat(queue.job(waiting)).containsEntry("state", "available").containsEntry("attempts", 0);
    }

    @Test
    void aQueueNameTheJobsTableWouldRefuseIsRefusedWithWhatANameMayHold() {
        assertThatThrownBy(() -> admin.pause("no spaces", "test", null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("queue 'no spaces' is invalid").hasMessageContaining("letters, digits");
        assertThatThrownBy(() -> admin.resume("")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("queue '' is invalid");
        assertThatThrownBy(() -> admin.pause("mail", " ", null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pausedBy");
        assertThat(admin.pausedQueues()).isEmpty();
    }

    private List<Long> enqueue(String queueName, int n) {
        List<NewJob> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            jobs.add(NewJob.of(queueName, "noop").build());
        }
        return queue.client.enqueueAll(jobs);
    }
}
