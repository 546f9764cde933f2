package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class QueueAdminTest {

    private final TestDatabase db;
    private QueueFixture queue;
    private QueueAdmin admin;

    QueueAdminTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeEach
    void setUp() {
        queue = new QueueFixture(db);
        admin = new QueueAdmin(queue.dataSource, queue.schema);
    }

    @AfterEach
    void tearDown() {
        queue.close();
    }

    /** Marks jobs failed as a worker would, with one error entry. */
    private void fail(List<Long> ids, String errorClass) {
        queue.sql("UPDATE stevedore.jobs SET state = 'failed', attempts = max_attempts, finished_at = now(), "
                + "errors = jsonb_build_array(jsonb_build_object('class', ?::text, 'message', 'it broke', 'attempt', max_attempts, 'at', now())) "
                + "WHERE id = ANY(?::bigint[])", errorClass, ids.toArray(Long[]::new));
    }

    @Test
    void listsJobsNewestFirstByStateQueueHandlerErrorAndTime() {
        long a = queue.enqueue(NewJob.of("mail", "send"));
        long b = queue.enqueue(NewJob.of("mail", "render"));
        long c = queue.enqueue(NewJob.of("pdf", "render"));
        fail(List.of(b, c), "java.io.IOException");

        assertThat(admin.list(JobFilter.all())).extracting(JobView::id).containsExactly(c, b, a);
        assertThat(admin.list(JobFilter.all().withStates(Set.of(JobState.FAILED)))).extracting(JobView::id).containsExactly(c, b);
        assertThat(admin.list(JobFilter.all().withQueue("mail"))).extracting(JobView::id).containsExactly(b, a);
        assertThat(admin.list(JobFilter.all().withHandler("render").withQueue("pdf"))).extracting(JobView::id).containsExactly(c);
        assertThat(admin.list(JobFilter.all().withErrorClass("java.io.IOException"))).extracting(JobView::id).containsExactly(c, b);
        assertThat(admin.list(JobFilter.all().withErrorClass("ProcessPrunedError"))).isEmpty();
        assertThat(admin.list(JobFilter.all().withLimit(1))).extracting(JobView::id).containsExactly(c);
        Instant now = Instant.now();
        assertThat(admin.list(JobFilter.all().withTimeRange(now.minusSeconds(60), now.plusSeconds(60)))).hasSize(3);
        assertThat(admin.list(JobFilter.all().withTimeRange(now.plusSeconds(60), now.plusSeconds(120)))).isEmpty();
    }

    @Test
    void showsAPrunedJobWithItsCauseAndCheckpoint() throws Exception {
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        Worker worker = queue.worker(c -> {}, HandlerRegistry.builder().register("long", job -> {
            job.saveCheckpoint("{\"row\": 500}");
            started.countDown();
            Thread.sleep(60_000);
        }).build());
        long id = queue.enqueue(NewJob.of("etl", "long"));
        started.await();
        // Read before the prune: the pruned worker registers again, under a new id, at its next heartbeat.
        long processId = worker.processId();
        queue.pruner.prune(List.of(new Pruner.Request(processId, new Pruner.Cause("OOMKilled", null, "etl-5d9", "node-3", 137, null))));

        JobView job = admin.show(id).orElseThrow();
        assertThat(job.state()).isEqualTo(JobState.FAILED);
        assertThat(job.checkpoint()).isEqualTo("{\"row\": 500}");
        assertThat(job.lastError()).satisfies(e -> {
            assertThat(e.errorClass()).isEqualTo("ProcessPrunedError");
            assertThat(e.reason()).isEqualTo("OOMKilled");
            assertThat(e.pod()).isEqualTo("etl-5d9");
            assertThat(e.node()).isEqualTo("node-3");
            assertThat(e.exitCode()).isEqualTo(137);
            assertThat(e.process()).isEqualTo(processId);
            assertThat(e.prunedAt()).isNotNull();
            assertThat(e.message()).contains("etl-5d9", "OOMKilled", "exit code 137");
        });
        assertThat(admin.show(id + 1000)).isEmpty();
    }

    @Test
    void retryByIdGivesAnotherAttemptAndRunsTheJob() {
        long id = queue.enqueue(NewJob.of("q", "h").maxAttempts(1));
        fail(List.of(id), "java.lang.RuntimeException");

        assertThat(admin.retry(List.of(id, 999_999L))).containsExactly(id);
        JobView job = admin.show(id).orElseThrow();
        assertThat(job.state()).isEqualTo(JobState.AVAILABLE);
        assertThat(job.maxAttempts()).isEqualTo(2);
        assertThat(job.finishedAt()).isNull();

        queue.worker(c -> {}, HandlerRegistry.builder().register("h", j -> {}).build());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> admin.show(id).orElseThrow().state() == JobState.COMPLETED);
    }

    @Test
    void retryAndDiscardByFilterRunInBatchesAndReportProgress() {
        List<NewJob> jobs = new ArrayList<>();
        for (int i = 0; i < 2_500; i++) {
            jobs.add(NewJob.of("imports", "parse").build());
        }
        List<Long> ids = queue.client.enqueueAll(jobs);
        fail(ids.subList(0, 2_100), "ProcessPrunedError");
        fail(ids.subList(2_100, 2_500), "java.io.IOException");

        List<Long> progress = new CopyOnWriteArrayList<>();
        long retried = admin.retry(JobFilter.all().withErrorClass("ProcessPrunedError").withLimit(1), progress::add);
        assertThat(retried).isEqualTo(2_100);
        assertThat(progress).containsExactly(1_000L, 2_000L, 2_100L);
        assertThat(queue.count("state = 'available'")).isEqualTo(2_100);

        long discarded = admin.discard(JobFilter.all().withStates(Set.of(JobState.FAILED)).withQueue("imports"), n -> {});
        assertThat(discarded).isEqualTo(400);
        assertThat(queue.count("state = 'discarded' AND finished_at IS NOT NULL")).isEqualTo(400);
    }

    @Test
    void retryingFailedJobsThatShareAUniqueKeyRetriesOnlyOne() {
        long first = queue.enqueue(NewJob.of("reports", "monthly").uniqueKey("2026-11"));
        fail(List.of(first), "java.io.IOException");
        long second = queue.enqueue(NewJob.of("reports", "monthly").uniqueKey("2026-11"));
        fail(List.of(second), "java.io.IOException");

        assertThat(admin.retry(JobFilter.all().withErrorClass("java.io.IOException"), n -> {})).isEqualTo(1);
        assertThat(queue.count("state = 'available'")).isEqualTo(1);
        assertThat(admin.retry(List.of(first, second))).as("the key is held now").isEmpty();
    }

    @Test
    void aBulkChangeWithoutAFilterIsRefused() {
        assertThatThrownBy(() -> admin.retry(JobFilter.all(), n -> {}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a bulk change needs a filter");
    }

    @Test
    void runningAndCompletedJobsAreNeitherRetriedNorDiscarded() {
        long done = queue.enqueue(NewJob.of("q", "h"));
        queue.sql("UPDATE stevedore.jobs SET state = 'completed', finished_at = now() WHERE id = ?", done);
        assertThat(admin.retry(List.of(done))).isEmpty();
        assertThat(admin.discard(List.of(done))).isEmpty();
        assertThat(admin.show(done).orElseThrow().state()).isEqualTo(JobState.COMPLETED);
    }

    @Test
    void statsCountStatesQueueDepthAndProcesses() {
        queue.enqueue(NewJob.of("mail", "h"));
        queue.enqueue(NewJob.of("mail", "h"));
        queue.enqueue(NewJob.of("pdf", "h"));
        queue.enqueue(NewJob.of("pdf", "h").delay(Duration.ofHours(1)));
        queue.sql("UPDATE stevedore.jobs SET run_at = now() - interval '90 seconds' WHERE queue = 'mail'");
        queue.worker(c -> c.queues(List.of("nothing-here")), HandlerRegistry.builder().build());

        QueueStats stats = admin.stats();
        assertThat(stats.jobs()).containsEntry(JobState.AVAILABLE, 3L).containsEntry(JobState.SCHEDULED, 1L)
                .containsEntry(JobState.FAILED, 0L).hasSize(6);
        assertThat(stats.queues()).containsOnlyKeys("mail", "pdf");
        assertThat(stats.queues().get("mail").available()).isEqualTo(2);
        assertThat(stats.queues().get("mail").oldestAvailableAgeMs()).isBetween(90_000L, 100_000L);
        assertThat(stats.aliveProcesses()).isEqualTo(1);

        List<ProcessView> processes = admin.processes();
        assertThat(processes).singleElement().satisfies(p -> {
            assertThat(p.pool()).isEqualTo("test/pool");
            assertThat(p.queues()).containsExactly("nothing-here");
            assertThat(p.pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(p.alive()).isTrue();
        });
    }

    @Test
    void theJanitorDeletesCompletedJobsPastTheirRetention() {
        long old = queue.enqueue(NewJob.of("q", "h"));
        long recent = queue.enqueue(NewJob.of("q", "h"));
        queue.sql("UPDATE stevedore.jobs SET state = 'completed', finished_at = now() - interval '2 days' WHERE id = ?", old);
        queue.sql("UPDATE stevedore.jobs SET state = 'completed', finished_at = now() WHERE id = ?", recent);

        int deleted;
        try (var c = queue.dataSource.getConnection()) {
            deleted = new dev.stevedore.queue.internal.JobQueries(queue.schema).deleteFinishedBefore(c, JobState.COMPLETED,
                    Duration.ofDays(1).toMillis(), 5000);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        assertThat(deleted).isEqualTo(1);
        assertThat(admin.show(old)).isEmpty();
        assertThat(admin.show(recent)).isPresent();
    }
}
