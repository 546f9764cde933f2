package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class QueueInsightsTest {

    private final TestDatabase db;
    private QueueFixture queue;
    private QueueInsights insights;
    private QueueAdmin admin;

    QueueInsightsTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeEach
    void setUp() {
        queue = new QueueFixture(db);
        insights = new QueueInsights(queue.dataSource, queue.schema);
        admin = new QueueAdmin(queue.dataSource, queue.schema);
    }

    @AfterEach
    void tearDown() {
        queue.close();
    }

    /** Inserts {@code n} jobs of a state, finished {@code agoSeconds} ago when the state is a finished one. */
    private void insert(int n, String state, String queueName, int agoSeconds) {
        String finishedAt = Set.of("completed", "failed", "discarded").contains(state) ? "now() - " + agoSeconds + " * interval '1 second'" : "NULL::timestamptz";
        queue.sql("INSERT INTO stevedore.jobs (queue, handler, state, created_at, claimed_at, finished_at) "
                + "SELECT ?, 'h', ?, now() - ? * interval '1 second', now() - ? * interval '1 second', " + finishedAt + " FROM generate_series(1, ?)",
                queueName, state, agoSeconds + 5, agoSeconds, n);
    }

    @Test
    void countsStatesExactlyUpToTheLimitAndEstimatesBeyondIt() {
        insert(3, "failed", "mail", 10);
        insert(2, "available", "mail", 0);
        insert(QueueInsights.EXACT_COUNT_LIMIT + 500, "completed", "mail", 10);
        queue.sql("ANALYZE stevedore.jobs");

        Map<JobState, QueueInsights.Count> counts = insights.stateCounts();

        assertThat(counts).containsOnlyKeys(JobState.values());
        assertThat(counts.get(JobState.FAILED)).isEqualTo(new QueueInsights.Count(3, true));
        assertThat(counts.get(JobState.AVAILABLE)).isEqualTo(new QueueInsights.Count(2, true));
        assertThat(counts.get(JobState.RUNNING)).isEqualTo(new QueueInsights.Count(0, true));
        QueueInsights.Count completed = counts.get(JobState.COMPLETED);
        assertThat(completed.exact()).isFalse();
        // The planner's estimate after ANALYZE: the whole table was sampled, so it is close.
        assertThat(completed.value()).isBetween(QueueInsights.EXACT_COUNT_LIMIT + 1L, QueueInsights.EXACT_COUNT_LIMIT + 1000L);
    }

    @Test
    void seriesOfFinishedJobsHasEveryIntervalOfTheWindow() {
        insert(4, "completed", "mail", 0);
        insert(2, "failed", "mail", 0);
        insert(1, "discarded", "mail", 0);
        insert(5, "completed", "mail", 150);
        insert(9, "completed", "mail", 3 * 3600);

        List<QueueInsights.FinishedInterval> series = insights.finished(Duration.ofHours(1), Duration.ofMinutes(1));

        assertThat(series).hasSize(60);
        assertThat(series).isSortedAccordingTo((a, b) -> a.start().compareTo(b.start()));
        assertThat(series).allSatisfy(i -> assertThat(i.start().getEpochSecond() % 60).isZero());
        QueueInsights.FinishedInterval last = series.get(series.size() - 1);
        assertThat(Duration.between(last.start(), insights.now())).isLessThan(Duration.ofMinutes(1));
        assertThat(series.stream().mapToLong(QueueInsights.FinishedInterval::completed).sum()).isEqualTo(9);
        assertThat(series.stream().mapToLong(QueueInsights.FinishedInterval::failed).sum()).isEqualTo(2);
        assertThat(series.stream().mapToLong(QueueInsights.FinishedInterval::discarded).sum()).isEqualTo(1);
        // 150 s ago lands two or three intervals back, never in the newest.
        assertThat(series.subList(series.size() - 4, series.size() - 1).stream().mapToLong(QueueInsights.FinishedInterval::completed).sum()).isEqualTo(5);

        assertThatThrownBy(() -> insights.finished(Duration.ofDays(30), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 10000 steps");
    }

    @Test
    void pickupLatencySamplesTheNewestCompletedJobsPerQueue() {
        // Two old slow jobs fall outside a sample of the newest four.
        queue.sql("INSERT INTO stevedore.jobs (queue, handler, state, run_at, claimed_at, finished_at) SELECT 'mail', 'h', 'completed', "
                + "now() - interval '1 hour', now() - interval '50 minutes', now() - interval '50 minutes' FROM generate_series(1, 2)");
        queue.sql("INSERT INTO stevedore.jobs (queue, handler, state, run_at, claimed_at, finished_at) VALUES "
                + "('mail', 'h', 'completed', now() - interval '10 s', now() - interval '9 s', now()), "
                + "('mail', 'h', 'completed', now() - interval '10 s', now() - interval '7 s', now()), "
                + "('mail', 'h', 'completed', now() - interval '10 s', now() - interval '9.9 s', now()), "
                + "('pdf', 'h', 'completed', now() - interval '10 s', now() - interval '8 s', now())");

        Map<String, QueueInsights.PickupLatency> latency = insights.pickupLatency(4);

        assertThat(latency).containsOnlyKeys("mail", "pdf");
        assertThat(latency.get("mail")).isEqualTo(new QueueInsights.PickupLatency(3, 1000, 3000, 3000));
        assertThat(latency.get("pdf")).isEqualTo(new QueueInsights.PickupLatency(1, 2000, 2000, 2000));
    }

    @Test
    void prunesShowWhichJobsADeadWorkerTookDownAndWhy() throws Exception {
        CountDownLatch started = new CountDownLatch(3);
        HandlerRegistry handlers = HandlerRegistry.builder().register("long", job -> {
            started.countDown();
            Thread.sleep(60_000);
        }).build();
        Worker oomed = queue.worker(c -> c.threads(2), handlers);
        long first = queue.enqueue(NewJob.of("etl", "long"));
        long second = queue.enqueue(NewJob.of("etl", "long"));
        await().until(() -> queue.count("state = 'running'") == 2);
        Worker lost = queue.worker(c -> c.threads(1).prunedJobPolicy(new PrunedJobPolicy(1, Duration.ofHours(1))), handlers);
        long third = queue.enqueue(NewJob.of("mail", "long"));
        started.await();
        queue.pruner.prune(List.of(new Pruner.Request(oomed.processId(), new Pruner.Cause("OOMKilled", null, "etl-5d9", "node-3", 137, "SIGKILL"))));
        queue.pruner.prune(List.of(new Pruner.Request(lost.processId(), new Pruner.Cause("NodeLost", null, "mail-7f2", "node-1", null, null))));

        List<QueueInsights.Prune> prunes = insights.prunes(Instant.now().minus(1, ChronoUnit.HOURS), 10);

        assertThat(prunes).extracting(QueueInsights.Prune::jobId).containsExactlyInAnyOrder(first, second, third);
        QueueInsights.Prune newest = prunes.get(0);
        assertThat(newest.jobId()).isEqualTo(third);
        assertThat(newest.jobState()).as("retried under the pool's policy, and still shown").isEqualTo(JobState.SCHEDULED);
        assertThat(newest).extracting(QueueInsights.Prune::reason, QueueInsights.Prune::pool, QueueInsights.Prune::pod, QueueInsights.Prune::node)
                .containsExactly("NodeLost", "test/pool", "mail-7f2", "node-1");
        QueueInsights.Prune oom = prunes.stream().filter(p -> p.jobId() == first).findFirst().orElseThrow();
        assertThat(oom).extracting(QueueInsights.Prune::reason, QueueInsights.Prune::exitCode, QueueInsights.Prune::signal, QueueInsights.Prune::jobState)
                .containsExactly("OOMKilled", 137, "SIGKILL", JobState.FAILED);
        assertThat(oom.lastHeartbeatAt()).isBefore(oom.prunedAt());
        assertThat(insights.prunes(Instant.now().plus(1, ChronoUnit.HOURS), 10)).isEmpty();

        List<QueueInsights.PruneCount> counts = insights.pruneCounts(Instant.now().minus(1, ChronoUnit.HOURS), Duration.ofHours(1));
        assertThat(counts).extracting(QueueInsights.PruneCount::reason, QueueInsights.PruneCount::node, QueueInsights.PruneCount::count)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("NodeLost", "node-1", 1L), org.assertj.core.groups.Tuple.tuple("OOMKilled", "node-3", 2L));
    }

    @Test
    void pagesOfAListingFollowTheLastIdShown() {
        List<Long> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(queue.enqueue(NewJob.of("mail", "send")));
        }
        JobFilter page = JobFilter.all().withLimit(2);
        assertThat(admin.list(page)).extracting(JobView::id).containsExactly(ids.get(4), ids.get(3));
        assertThat(admin.list(page.withBeforeId(ids.get(3)))).extracting(JobView::id).containsExactly(ids.get(2), ids.get(1));
        assertThat(admin.list(page.withBeforeId(ids.get(1)))).extracting(JobView::id).containsExactly(ids.get(0));
        assertThatThrownBy(() -> page.withBeforeId(0L)).hasMessageContaining("beforeId");
    }

    @Test
    void aConfirmedBulkRetryCountsAndChangesOnlyTheJobsThatMatchedWhenConfirmed() {
        insert(3, "failed", "mail", 10);
        insert(2, "failed", "pdf", 10);
        insert(1, "discarded", "mail", 10);
        insert(1, "completed", "mail", 10);
        JobFilter mailFailed = JobFilter.all().withQueue("mail").withStates(Set.of(JobState.FAILED));

        assertThat(admin.countRetryable(mailFailed)).isEqualTo(3);
        assertThat(admin.countRetryable(JobFilter.all().withQueue("mail"))).as("failed and discarded; not completed").isEqualTo(4);
        assertThat(admin.countDiscardable(JobFilter.all().withQueue("mail"))).as("failed; not discarded again, not completed").isEqualTo(3);
        assertThat(admin.countRetryable(JobFilter.all().withStates(Set.of(JobState.COMPLETED)))).isZero();
        assertThatThrownBy(() -> admin.countRetryable(JobFilter.all())).hasMessageContaining("a bulk change needs a filter");

        // Confirmed now: the bound is the newest id. A job failing afterwards is not part of what was confirmed.
        long confirmedBelow = ((Number) queue.rows("SELECT max(id) + 1 AS n FROM stevedore.jobs").get(0).get("n")).longValue();
        insert(1, "failed", "mail", 0);
        assertThat(admin.retry(mailFailed.withBeforeId(confirmedBelow), n -> {})).isEqualTo(3);
        assertThat(queue.count("queue = 'mail' AND state = 'failed'")).isEqualTo(1);
        assertThat(queue.count("queue = 'mail' AND state = 'available'")).isEqualTo(3);
        assertThat(queue.count("queue = 'pdf' AND state = 'failed'")).isEqualTo(2);
    }
}
