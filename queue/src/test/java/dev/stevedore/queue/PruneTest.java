package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class PruneTest {

    private static final String POOL = "test/crash";
    private final TestDatabase db;
    private QueueFixture queue;

    PruneTest(TestDatabase db) {
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

    /** Records late writes as the metrics binding would. */
    static final class Recorder implements QueueListener {
        final List<String> lateWrites = new CopyOnWriteArrayList<>();

        @Override
        public void lateWriteRejected(long jobId, String what) {
            lateWrites.add(jobId + " " + what);
        }
    }

    @Test
    void afterAPruneTheOldWorkersCompletionChangesNothingAndIsCounted() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        Recorder recorder = new Recorder();
        Worker worker = queue.worker(c -> {}, HandlerRegistry.builder().register("block", job -> {
            started.countDown();
            finish.await();
        }).build(), recorder);
        long id = queue.enqueue(NewJob.of("default", "block"));
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

        List<Pruner.PrunedProcess> pruned = queue.pruner.prune(List.of(new Pruner.Request(worker.processId(),
                new Pruner.Cause("OOMKilled", null, "worker-7f9c", "node-a", 137, "SIGKILL"))));

        assertThat(pruned).singleElement().satisfies(p -> {
            assertThat(p.failedJobIds()).containsExactly(id);
            assertThat(p.retriedJobIds()).isEmpty();
            assertThat(p.reason()).isEqualTo("OOMKilled");
        });
        Map<String, Object> row = queue.job(id);
        assertThat(row.get("state")).isEqualTo("failed");
        assertThat(row.get("last_error_class")).isEqualTo("ProcessPrunedError");
        assertThat((String) row.get("last_error")).contains("\"reason\": \"OOMKilled\"", "\"pod\": \"worker-7f9c\"", "\"node\": \"node-a\"",
                "\"exitCode\": 137", "\"signal\": \"SIGKILL\"", "\"process\": " + worker.processId(), "\"prunedAt\"", "\"lastHeartbeatAt\"");

        finish.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.lateWrites.contains(id + " completion"));
        Map<String, Object> after = queue.job(id);
        assertThat(after.get("state")).isEqualTo("failed");
        assertThat(after.get("error_count")).isEqualTo(1);
    }

    @Test
    void pruningTwiceOrFromTwoPrunersAtOnceFailsEachJobOnce() throws Exception {
        CountDownLatch started = new CountDownLatch(3);
        Worker worker = queue.worker(c -> c.threads(3), HandlerRegistry.builder().register("block", job -> {
            started.countDown();
            Thread.sleep(60_000);
        }).build());
        for (int i = 0; i < 3; i++) {
            queue.enqueue(NewJob.of("default", "block"));
        }
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        Pruner.Request request = new Pruner.Request(worker.processId(), Pruner.Cause.of("PodDeleted"));

        AtomicReference<List<Pruner.PrunedProcess>> other = new AtomicReference<>();
        Thread racer = new Thread(() -> other.set(queue.pruner.prune(List.of(request))));
        racer.start();
        List<Pruner.PrunedProcess> mine = queue.pruner.prune(List.of(request));
        racer.join();
        List<Pruner.PrunedProcess> again = queue.pruner.prune(List.of(request));

        int failedByBoth = mine.stream().mapToInt(p -> p.failedJobIds().size()).sum()
                + other.get().stream().mapToInt(p -> p.failedJobIds().size()).sum();
        assertThat(failedByBoth).isEqualTo(3);
        assertThat(again).isEmpty();
        assertThat(queue.count("state = 'failed' AND jsonb_array_length(errors) = 1")).isEqualTo(3);
        assertThat(queue.rows("SELECT 1 FROM stevedore.processes WHERE id = ?", worker.processId())).isEmpty();
    }

    @Test
    void aCheckpointFromAPrunedWorkerIsRejected() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Recorder recorder = new Recorder();
        Worker worker = queue.worker(c -> {}, HandlerRegistry.builder().register("progress", job -> {
            job.saveCheckpoint("{\"step\": 1}");
            started.countDown();
            proceed.await();
            try {
                job.saveCheckpoint("{\"step\": 2}");
            } catch (RuntimeException e) {
                thrown.set(e);
                throw e;
            }
        }).build(), recorder);
        long id = queue.enqueue(NewJob.of("default", "progress"));
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

        queue.pruner.prune(List.of(new Pruner.Request(worker.processId(), Pruner.Cause.of("NodeLost"))));
        proceed.countDown();

        await().atMost(Duration.ofSeconds(10)).until(() -> thrown.get() != null);
        assertThat(thrown.get()).isInstanceOf(JobLostException.class);
        assertThat(queue.job(id).get("checkpoint")).isEqualTo("{\"step\": 1}");
        assertThat(recorder.lateWrites).containsExactly(id + " checkpoint");
    }

    @Test
    void aSigkilledWorkerIsPrunedByHeartbeatAndItsJobFailsWithTheProcessDetails() throws Exception {
        long id = queue.enqueue(NewJob.of("doomed", "sleep"));
        try (ChildProcess child = ChildProcess.start(db, POOL, "doomed", Map.of())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> "running".equals(queue.state(id)));
            assertThat(queue.job(id).get("claimed_by")).isEqualTo(child.processId);
            // A live worker of the same pool that does not serve the queue: it only prunes.
            queue.worker(c -> c.identity(ProcessIdentity.local(POOL)).queues(List.of("elsewhere")).pruneInterval(Duration.ofMillis(250)),
                    HandlerRegistry.builder().build());

            assertThat(child.signal("KILL")).isEqualTo(128 + 9);
            // alive threshold (1 s) + one prune interval (0.25 s) + the heartbeat that may have been due (0.2 s), with slack.
            await().atMost(Duration.ofMillis(3_000)).until(() -> "failed".equals(queue.state(id)));

            Map<String, Object> row = queue.job(id);
            assertThat(row.get("last_error_class")).isEqualTo("ProcessPrunedError");
            assertThat((String) row.get("last_error")).contains("\"reason\": \"HeartbeatExpired\"", "\"process\": " + child.processId,
                    "\"pid\": " + child.pid(), "\"host\": ", "no heartbeat since");
            assertThat(queue.rows("SELECT 1 FROM stevedore.processes WHERE id = ?", child.processId)).isEmpty();
        }
    }

    @Test
    void withARetryLimitOfOneAPrunedJobRunsAgain() throws Exception {
        long id = queue.enqueue(NewJob.of("doomed", "sleep"));
        try (ChildProcess child = ChildProcess.start(db, POOL, "doomed", Map.of("PRUNED_RETRY_LIMIT", "1"))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> "running".equals(queue.state(id)));
            child.signal("KILL");
        }
        CountDownLatch ranAgain = new CountDownLatch(1);
        queue.worker(c -> c.identity(ProcessIdentity.local(POOL)).queues(List.of("doomed")), HandlerRegistry.builder().register("sleep", job -> ranAgain.countDown()).build());

        await().atMost(Duration.ofSeconds(10)).until(() -> "completed".equals(queue.state(id)));
        Map<String, Object> row = queue.job(id);
        assertThat(row.get("prunes")).isEqualTo(1);
        assertThat(row.get("attempts")).isEqualTo(2);
        assertThat(row.get("last_error_class")).isEqualTo("ProcessPrunedError");
        assertThat(ranAgain.getCount()).isZero();
    }

    @Test
    void aJobThatKillsEveryWorkerEndsFailedAfterTheRetryLimit() throws Exception {
        queue.worker(c -> c.identity(ProcessIdentity.local(POOL)).queues(List.of("elsewhere")), HandlerRegistry.builder().build());
        long id = queue.enqueue(NewJob.of("poison", "crash"));
        for (int crash = 1; crash <= 2; crash++) {
            // The child may claim the job, and halt, before it can report that it is ready.
            Process child = ChildProcess.launchDiscardingOutput(db, POOL, "poison", Map.of("PRUNED_RETRY_LIMIT", "1"));
            try {
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("the job halts the JVM").isTrue();
                assertThat(child.exitValue()).isEqualTo(137);
            } finally {
                child.destroyForcibly();
            }
            int prunes = crash;
            await().atMost(Duration.ofSeconds(10)).until(() -> ((Integer) queue.job(id).get("prunes")) == prunes);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> "failed".equals(queue.state(id)));
        Map<String, Object> row = queue.job(id);
        assertThat(row.get("attempts")).isEqualTo(2);
        assertThat(row.get("error_count")).isEqualTo(2);
        assertThat(row.get("last_error_class")).isEqualTo("ProcessPrunedError");
    }

    @Test
    void aKilledTenStepJobResumesFromItsLastCheckpoint() throws Exception {
        long id = queue.enqueue(NewJob.of("long", "steps"));
        try (ChildProcess child = ChildProcess.start(db, POOL, "long", Map.of("PAUSE_AFTER", "6", "PRUNED_RETRY_LIMIT", "1"))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> "{\"step\": 6}".equals(queue.job(id).get("checkpoint")));
            child.signal("KILL");
        }
        List<Integer> stepsRun = new CopyOnWriteArrayList<>();
        queue.worker(c -> c.identity(ProcessIdentity.local(POOL)).queues(List.of("long")), HandlerRegistry.builder().register("steps", job -> {
            int from = job.checkpoint().map(ChildWorker::step).orElse(0) + 1;
            for (int step = from; step <= 10; step++) {
                stepsRun.add(step);
                job.saveCheckpoint("{\"step\": " + step + "}");
            }
        }).build());

        await().atMost(Duration.ofSeconds(10)).until(() -> "completed".equals(queue.state(id)));
        assertThat(stepsRun).containsExactly(7, 8, 9, 10);
        assertThat(queue.job(id).get("checkpoint")).isEqualTo("{\"step\": 10}");
    }

    @Test
    void theOrphanSweepFailsJobsWhoseProcessRowIsGone() {
        queue.sql("INSERT INTO stevedore.processes (pool, host, pid, queues, slots, alive_threshold_ms) VALUES ('p', 'h', 1, '{q}', 1, 1000)");
        long processId = (Long) queue.rows("SELECT max(id) AS id FROM stevedore.processes").get(0).get("id");
        long id = queue.enqueue(NewJob.of("q", "h"));
        queue.sql("UPDATE stevedore.jobs SET state = 'running', attempts = 1, claimed_by = ?, claim_token = 1 WHERE id = ?", processId, id);
        assertThat(queue.pruner.sweepOrphans()).as("its process still exists").isEmpty();

        queue.sql("DELETE FROM stevedore.processes WHERE id = ?", processId);
        assertThat(queue.pruner.sweepOrphans()).containsExactly(id);
        Map<String, Object> row = queue.job(id);
        assertThat(row.get("state")).isEqualTo("failed");
        assertThat(row.get("last_error_class")).isEqualTo("ProcessMissingError");
        assertThat(queue.pruner.sweepOrphans()).isEmpty();
    }

    @Test
    void anOrphanCountsAPruneAndGetsThePolicyItsProcessClaimedItUnder() throws Exception {
        long id = queue.enqueue(NewJob.of("orphaned", "sleep"));
        try (ChildProcess child = ChildProcess.start(db, POOL, "orphaned", Map.of("PRUNED_RETRY_LIMIT", "1"))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> "running".equals(queue.state(id)));
            child.signal("KILL");
            // The row vanishes without its jobs being settled (deleted by hand, say): only the sweep can help them.
            queue.sql("DELETE FROM stevedore.processes WHERE id = ?", child.processId);
        }
        assertThat(queue.pruner.sweepOrphans()).containsExactly(id);
        Map<String, Object> row = queue.job(id);
        assertThat(row.get("state")).as("retried under the pool's limit of 1").isEqualTo("available");
        assertThat(row.get("prunes")).isEqualTo(1);
        assertThat(row.get("last_error_class")).isEqualTo("ProcessMissingError");

        // Claimed and orphaned again: the limit is used up, so it fails for good.
        try (ChildProcess child = ChildProcess.start(db, POOL, "orphaned", Map.of("PRUNED_RETRY_LIMIT", "1"))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> "running".equals(queue.state(id)));
            child.signal("KILL");
            queue.sql("DELETE FROM stevedore.processes WHERE id = ?", child.processId);
        }
        assertThat(queue.pruner.sweepOrphans()).containsExactly(id);
        assertThat(queue.job(id)).containsEntry("state", "failed").containsEntry("prunes", 2);
    }

    @Test
    void aProcessOfAPoolNobodyPrunesIsPrunedOnceItsHeartbeatIsTenThresholdsOld() throws Exception {
        long id = queue.enqueue(NewJob.of("renamed", "sleep").uniqueKey("nightly-export"));
        try (ChildProcess child = ChildProcess.start(db, "team-a/deleted-pool", "renamed", Map.of())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> "running".equals(queue.state(id)));
            // Only a worker of another pool is left; it does not prune team-a/deleted-pool by heartbeat.
            queue.worker(c -> c.identity(ProcessIdentity.local("team-b/other")).queues(List.of("elsewhere"))
                    .orphanSweepInterval(Duration.ofMillis(250)), HandlerRegistry.builder().build());
            child.signal("KILL");
            long killed = System.nanoTime();
            await().atMost(Duration.ofSeconds(20)).until(() -> "failed".equals(queue.state(id)));
            long afterMs = (System.nanoTime() - killed) / 1_000_000;
            // Alive threshold 1 s: not before ten of them.
            assertThat(afterMs).isGreaterThanOrEqualTo(Pruner.ABANDONED_AFTER_THRESHOLDS * 1000L - 1000);
            assertThat((String) queue.job(id).get("last_error")).contains("\"reason\": \"HeartbeatExpired\"", "pruned as abandoned",
                    "\"pool\": \"team-a/deleted-pool\"");
        }
        assertThat(queue.client.enqueue(NewJob.of("renamed", "sleep").uniqueKey("nightly-export").build()))
                .as("the unique key is free again").isPresent();
    }

    @Test
    void processesPruneTakesAnyPoolAndAStaleness() {
        queue.sql("INSERT INTO stevedore.processes (pool, host, pid, queues, slots, alive_threshold_ms, last_heartbeat_at) VALUES "
                + "('a/one', 'h', 1, '{q}', 1, 1000, now() - interval '10 minutes'), ('b/two', 'h', 2, '{q}', 1, 1000, now() - interval '2 minutes'), "
                + "('b/two', 'h', 3, '{q}', 1, 1000, now())");
        assertThat(queue.pruner.pruneStale(Optional.of("b/two"), Duration.ofMinutes(5))).isEmpty();
        assertThat(queue.pruner.pruneStale(Optional.empty(), Duration.ofMinutes(5))).extracting(Pruner.PrunedProcess::pool).containsExactly("a/one");
        assertThat(queue.pruner.pruneStale(Optional.of("b/two"), Duration.ZERO)).extracting(Pruner.PrunedProcess::pid).containsExactly(2L);
        assertThat(queue.processCount()).as("the live one stays").isEqualTo(1);
    }

    @Test
    void aHeartbeatThatLandsAfterAHeartbeatVerdictSavesTheProcess() {
        queue.sql("INSERT INTO stevedore.processes (pool, host, pid, queues, slots, alive_threshold_ms, last_heartbeat_at) "
                + "VALUES ('p', 'h', 1, '{q}', 1, 1000, now() - interval '1 minute')");
        long processId = (Long) queue.rows("SELECT max(id) AS id FROM stevedore.processes").get(0).get("id");
        long id = queue.enqueue(NewJob.of("q", "h"));
        queue.sql("UPDATE stevedore.jobs SET state = 'running', attempts = 1, claimed_by = ?, claim_token = 1 WHERE id = ?", processId, id);
        // The operator read the row stale and decided "dead"; before its prune, the heartbeat lands.
        queue.sql("UPDATE stevedore.processes SET last_heartbeat_at = now() WHERE id = ?", processId);

        Pruner.Cause cause = new Pruner.Cause("NodeLost", null, "pod-a", "node-a", null, null);
        assertThat(queue.pruner.prune(List.of(new Pruner.Request(processId, cause, true)))).as("heartbeat verdict, re-checked on the locked row")
                .isEmpty();
        assertThat(queue.state(id)).isEqualTo("running");

        // Pod evidence (the container ended) does not depend on the heartbeat.
        assertThat(queue.pruner.prune(List.of(new Pruner.Request(processId, new Pruner.Cause("OOMKilled", null, "pod-a", "node-a", 137, null)))))
                .hasSize(1);
        assertThat(queue.state(id)).isEqualTo("failed");
    }

    @Test
    void aSessionIdleInATransactionHoldingADeadProcesssJobsDelaysItsPruneOnlyBriefly() throws Exception {
        queue.sql("INSERT INTO stevedore.processes (pool, host, pid, queues, slots, alive_threshold_ms, last_heartbeat_at) "
                + "VALUES ('p', 'h', 1, '{q}', 1, 1000, now() - interval '1 minute')");
        long processId = (Long) queue.rows("SELECT max(id) AS id FROM stevedore.processes").get(0).get("id");
        long id = queue.enqueue(NewJob.of("q", "h"));
        queue.sql("UPDATE stevedore.jobs SET state = 'running', attempts = 1, claimed_by = ?, claim_token = 1 WHERE id = ?", processId, id);
        try (java.sql.Connection stuck = db.connect()) {
            // A client that went silent inside a transaction, holding the dead process's job row.
            stuck.setAutoCommit(false);
            try (var st = stuck.createStatement()) {
                st.execute("SELECT id FROM stevedore.jobs WHERE id = " + id + " FOR UPDATE");
            }
            long started = System.nanoTime();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                    Duration.ofSeconds(10), () -> queue.pruner.pruneExpired(Optional.empty())))
                    .as("the prune gives up waiting for the lock instead of blocking for hours")
                    .isInstanceOf(QueueException.class).hasMessageContaining("lock timeout");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
            assertThat(queue.state(id)).isEqualTo("running");
            assertThat(queue.processCount()).as("the rollback kept the row for the next round").isEqualTo(1);
            stuck.rollback();
        }
        assertThat(queue.pruner.pruneExpired(Optional.empty())).hasSize(1);
        assertThat(queue.state(id)).isEqualTo("failed");
    }

    @Test
    void theQueuesOwnTransactionsAreEndedByTheServerIfTheClientGoesSilent() throws Exception {
        String[] seen = new String[2];
        dev.stevedore.queue.internal.Sql.inTransaction(queue.dataSource, c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT current_setting('idle_in_transaction_session_timeout'), "
                    + "current_setting('lock_timeout')")) {
                rs.next();
                seen[0] = rs.getString(1);
                seen[1] = rs.getString(2);
            }
            return null;
        });
        assertThat(seen).containsExactly("10s", "2s");
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(db.jdbcUrl(), withCredentials(SessionSettings.jdbcProperties()));
             var st = c.createStatement(); var rs = st.executeQuery("SHOW idle_in_transaction_session_timeout")) {
            rs.next();
            assertThat(rs.getString(1)).as("the apps' connection pools set it for the whole session").isEqualTo("10s");
        }
    }

    private java.util.Properties withCredentials(java.util.Properties p) {
        if (db.user() != null) {
            p.setProperty("user", db.user());
        }
        if (db.password() != null) {
            p.setProperty("password", db.password());
        }
        return p;
    }
}
