package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class WorkerTest {

    private final TestDatabase db;
    private QueueFixture queue;

    WorkerTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeEach
    void setUp() {
        queue = new QueueFixture(db);
    }

    @AfterEach
    void tearDown() {
        queue.close();
    }

    @Test
    void fourWorkersRunTenThousandJobsExactlyOnce() {
        int jobs = 10_000;
        Map<Long, AtomicInteger> runs = new ConcurrentHashMap<>();
        Map<Long, Long> runningAt = new ConcurrentHashMap<>();
        AtomicInteger overlaps = new AtomicInteger();
        HandlerRegistry handlers = HandlerRegistry.builder().register("count", job -> {
            if (runningAt.putIfAbsent(job.id(), Thread.currentThread().getId()) != null) {
                overlaps.incrementAndGet();
            }
            runs.computeIfAbsent(job.id(), id -> new AtomicInteger()).incrementAndGet();
            runningAt.remove(job.id());
        }).build();
        List<NewJob> batch = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
            batch.add(NewJob.of(i % 2 == 0 ? "even" : "odd", "count").args("{\"n\": " + i + "}").build());
        }
        List<Long> ids = queue.client.enqueueAll(batch);
        assertThat(ids).hasSize(jobs);

        for (int w = 0; w < 4; w++) {
            queue.worker(c -> c.threads(8).queues(List.of("even", "odd")), handlers);
        }

        await().atMost(Duration.ofSeconds(60)).until(() -> queue.count("state = 'completed'") == jobs);
        assertThat(runs).hasSize(jobs);
        assertThat(runs.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
        assertThat(overlaps.get()).isZero();
        assertThat(queue.rows("SELECT count(*) AS n FROM stevedore.jobs WHERE attempts <> 1 OR claimed_by IS NOT NULL OR finished_at IS NULL")
                .get(0).get("n")).isEqualTo(0L);
        // The claims were spread over all four processes.
        assertThat(queue.processCount()).isEqualTo(4);
    }

    @Test
    void aFailingJobIsRetriedWithBackoffUntilItSucceeds() {
        AtomicInteger calls = new AtomicInteger();
        HandlerRegistry handlers = HandlerRegistry.builder().register("flaky", job -> {
            if (calls.incrementAndGet() < 3) {
                throw new IllegalStateException("boom " + job.attempt());
            }
        }).build();
        long id = queue.enqueue(NewJob.of("default", "flaky").maxAttempts(5));
        queue.worker(c -> {}, handlers);

        await().atMost(Duration.ofSeconds(10)).until(() -> queue.state(id).equals("completed"));
        Map<String, Object> row = queue.job(id);
        assertThat(row.get("attempts")).isEqualTo(3);
        assertThat(row.get("error_count")).isEqualTo(2);
        assertThat((String) row.get("errors")).contains("java.lang.IllegalStateException", "boom 1", "boom 2", "\"attempt\": 2");
    }

    @Test
    void aJobOutOfAttemptsEndsFailedWithItsErrorHistory() {
        HandlerRegistry handlers = HandlerRegistry.builder().register("fail", job -> {
            throw new IllegalArgumentException("bad input " + job.attempt());
        }).build();
        long id = queue.enqueue(NewJob.of("default", "fail").maxAttempts(2));
        queue.worker(c -> {}, handlers);

        await().atMost(Duration.ofSeconds(10)).until(() -> queue.state(id).equals("failed"));
        Map<String, Object> row = queue.job(id);
        assertThat(row.get("attempts")).isEqualTo(2);
        assertThat(row.get("last_error_class")).isEqualTo("java.lang.IllegalArgumentException");
        assertThat((String) row.get("last_error")).contains("bad input 2", "backtrace");
        assertThat(row.get("finished_at")).isNotNull();
    }

    @Test
    void aListenerThatThrowsDoesNotStopTheWorker() {
        QueueListener broken = new QueueListener() {
            @Override
            public void jobClaimed(String queue, String handler, Duration waited) {
                throw new IllegalStateException("metrics bug");
            }

            @Override
            public void jobCompleted(String queue, String handler, Duration runtime) {
                throw new IllegalStateException("metrics bug");
            }
        };
        queue.worker(c -> {}, HandlerRegistry.builder().register("h", job -> {}).build(), broken);
        long id = queue.enqueue(NewJob.of("default", "h"));
        await().atMost(Duration.ofSeconds(10)).until(() -> queue.state(id).equals("completed"));
    }

    @Test
    void anErrorMessageWithCharactersPostgresqlRejectsIsStillRecorded() {
        queue.worker(c -> {}, HandlerRegistry.builder().register("nul", job -> {
            throw new PermanentJobFailure("bad\u0000byte");
        }).build());
        long id = queue.enqueue(NewJob.of("default", "nul"));
        await().atMost(Duration.ofSeconds(10)).until(() -> queue.state(id).equals("failed"));
        assertThat((String) queue.job(id).get("last_error")).contains("bad?byte");
        assertThat(queue.job(id).get("attempts")).as("a permanent failure is not retried").isEqualTo(1);
    }

    @Test
    void anUnknownHandlerFailsAtOnceWithoutRetry() {
        long id = queue.enqueue(NewJob.of("default", "nobody-knows-me").maxAttempts(10));
        queue.worker(c -> {}, HandlerRegistry.builder().register("known", job -> {}).build());

        await().atMost(Duration.ofSeconds(10)).until(() -> queue.state(id).equals("failed"));
        Map<String, Object> row = queue.job(id);
        assertThat(row.get("attempts")).isEqualTo(1);
        assertThat(row.get("last_error_class")).isEqualTo("UnknownHandlerError");
        assertThat((String) row.get("last_error")).contains("no handler named 'nobody-knows-me'", "registered: known");
    }

    @Test
    void aJobPastItsTimeoutIsInterruptedAndFailed() {
        HandlerRegistry handlers = HandlerRegistry.builder().register("slow", job -> Thread.sleep(60_000)).build();
        long id = queue.enqueue(NewJob.of("default", "slow").timeout(Duration.ofMillis(200)).maxAttempts(1));
        queue.worker(c -> {}, handlers);

        await().atMost(Duration.ofSeconds(10)).until(() -> queue.state(id).equals("failed"));
        assertThat(queue.job(id).get("last_error_class")).isEqualTo("JobTimeoutError");
    }

    @Test
    void aScheduledJobWaitsForItsTimeThenRuns() {
        CountDownLatch ran = new CountDownLatch(1);
        queue.worker(c -> {}, HandlerRegistry.builder().register("later", job -> ran.countDown()).build());
        long id = queue.enqueue(NewJob.of("default", "later").delay(Duration.ofMillis(700)));

        assertThat(queue.state(id)).isEqualTo("scheduled");
        await().atMost(Duration.ofSeconds(10)).until(() -> queue.state(id).equals("completed"));
        assertThat(ran.getCount()).isZero();
    }

    @Test
    void onlyTheQueuesAWorkerServesAreClaimed() {
        queue.worker(c -> c.queues(List.of("mine")), HandlerRegistry.builder().register("h", job -> {}).build());
        long mine = queue.enqueue(NewJob.of("mine", "h"));
        long theirs = queue.enqueue(NewJob.of("theirs", "h"));

        await().atMost(Duration.ofSeconds(10)).until(() -> queue.state(mine).equals("completed"));
        assertThat(queue.state(theirs)).isEqualTo("available");
    }

    @Test
    void gracefulStopCompletesWhatFinishesInTimeAndReleasesTheRest() throws Exception {
        CountDownLatch longStarted = new CountDownLatch(2);
        HandlerRegistry handlers = HandlerRegistry.builder()
                .register("short", job -> Thread.sleep(300))
                .register("long", job -> {
                    longStarted.countDown();
                    Thread.sleep(60_000);
                })
                .build();
        long short1 = queue.enqueue(NewJob.of("default", "short"));
        long short2 = queue.enqueue(NewJob.of("default", "short"));
        long long1 = queue.enqueue(NewJob.of("default", "long"));
        long long2 = queue.enqueue(NewJob.of("default", "long"));
        Worker worker = queue.worker(c -> c.threads(4).shutdownTimeout(Duration.ofSeconds(1)), handlers);
        assertThat(longStarted.await(10, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> queue.count("state = 'running'") == 4 || queue.count("state = 'completed'") > 0);

        worker.stop();

        assertThat(queue.state(short1)).isEqualTo("completed");
        assertThat(queue.state(short2)).isEqualTo("completed");
        for (long id : List.of(long1, long2)) {
            Map<String, Object> row = queue.job(id);
            assertThat(row.get("state")).isEqualTo("available");
            assertThat(row.get("attempts")).as("a released attempt is not charged").isEqualTo(0);
            assertThat(row.get("claimed_by")).isNull();
            assertThat(row.get("error_count")).isEqualTo(0);
        }
        assertThat(queue.processCount()).isZero();
        worker.stop(); // idempotent
    }

    @Test
    void stopCalledFromTwoThreadsAtOnceIsSafe() throws Exception {
        Worker worker = queue.worker(c -> {}, HandlerRegistry.builder().register("h", job -> {}).build());
        Thread other = new Thread(worker::stop);
        other.start();
        worker.stop();
        other.join(10_000);
        assertThat(other.isAlive()).isFalse();
        assertThat(queue.processCount()).isZero();
    }

    @Test
    void drainStopsClaimingAndWaitsForRunningJobs() {
        CountDownLatch release = new CountDownLatch(1);
        HandlerRegistry handlers = HandlerRegistry.builder().register("wait", job -> release.await()).build();
        long first = queue.enqueue(NewJob.of("default", "wait"));
        Worker worker = queue.worker(c -> c.threads(2), handlers);
        await().atMost(Duration.ofSeconds(5)).until(() -> queue.state(first).equals("running"));

        assertThat(worker.drain(Duration.ofMillis(200))).as("still busy").isFalse();
        assertThat(worker.isReady()).isFalse();
        long second = queue.enqueue(NewJob.of("default", "wait"));
        release.countDown();
        assertThat(worker.drain(Duration.ofSeconds(5))).isTrue();
        assertThat(queue.state(second)).as("a draining worker claims nothing").isEqualTo("available");
    }

    @Test
    void jobsOfAClaimWhoseReplyWasLostAreReleasedAndRunOnce() throws Exception {
        LostReplies network = new LostReplies(queue.dataSource, "claim_tokens");
        java.util.Map<Long, java.util.concurrent.atomic.AtomicInteger> runs = new java.util.concurrent.ConcurrentHashMap<>();
        HandlerRegistry handlers = HandlerRegistry.builder()
                .register("count", job -> runs.computeIfAbsent(job.id(), k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet())
                .build();
        network.loseNext(1);
        List<Long> ids = queue.client.enqueueAll(List.of(NewJob.of("lossy", "count").build(), NewJob.of("lossy", "count").build(),
                NewJob.of("lossy", "count").build()));
        Worker worker = Worker.start(network.dataSource(), QueueSchema.DEFAULT,
                QueueFixture.fastConfig("test/lossy").queues(List.of("lossy")).build(), handlers, QueueListener.NONE);
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> network.lost.get() == 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> queue.count("state = 'completed'") == 3);
            assertThat(runs.keySet()).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(runs.values()).allSatisfy(n -> assertThat(n.get()).as("each ran once").isEqualTo(1));
            assertThat(queue.rows("SELECT attempts FROM stevedore.jobs")).as("the lost claim's attempt is not charged")
                    .allSatisfy(r -> assertThat(r.get("attempts")).isEqualTo(1));
        } finally {
            worker.stop();
        }
    }
}
