package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.stevedore.testkit.postgres.LocalPostgresCluster;
import dev.stevedore.testkit.postgres.PostgresLocator;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** The database goes away in the middle of a run and comes back: workers reconnect and no job is lost. */
class DatabaseRestartTest {

    @Test
    void workersSurviveADatabaseRestartAndEveryJobCompletes() throws Exception {
        // A private cluster, so stopping it disturbs no other test.
        LocalPostgresCluster cluster = LocalPostgresCluster.create(
                PostgresLocator.findLocalBinaries(System.getenv("PATH")).orElseThrow(() -> new IllegalStateException(PostgresLocator.NOTHING_FOUND)));
        TestDatabase db = cluster.server().createDatabase("restart");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setUsername(db.user());
        config.setMaximumPoolSize(10);
        config.setConnectionTimeout(2_000);
        try (HikariDataSource ds = new HikariDataSource(config)) {
            QueueMigrator.migrate(ds, QueueSchema.DEFAULT);
            JobClient client = new JobClient(ds, QueueSchema.DEFAULT);
            Set<Long> ran = ConcurrentHashMap.newKeySet();
            HandlerRegistry handlers = HandlerRegistry.builder().register("work", job -> {
                Thread.sleep(2);
                ran.add(job.id());
            }).build();
            WorkerConfig workerConfig = QueueFixture.fastConfig("test/restart").threads(4).aliveThreshold(Duration.ofSeconds(30)).build();
            try (Worker worker = Worker.start(ds, QueueSchema.DEFAULT, workerConfig, handlers, QueueListener.NONE)) {
                List<NewJob> jobs = new ArrayList<>();
                for (int i = 0; i < 3_000; i++) {
                    jobs.add(NewJob.of("default", "work").build());
                }
                List<Long> ids = client.enqueueAll(jobs);
                await().atMost(Duration.ofSeconds(30)).until(() -> ran.size() > 300);

                cluster.stopServer();
                cluster.startServer();
                List<Long> more = client.enqueueAll(jobs.subList(0, 500));

                QueueAdmin admin = new QueueAdmin(ds, QueueSchema.DEFAULT);
                await().atMost(Duration.ofSeconds(60)).until(() -> admin.stats().jobs().get(JobState.COMPLETED) == ids.size() + more.size());
                assertThat(admin.stats().jobs()).containsEntry(JobState.FAILED, 0L).containsEntry(JobState.AVAILABLE, 0L)
                        .containsEntry(JobState.RUNNING, 0L);
                assertThat(admin.processes()).extracting(ProcessView::id).containsExactly(worker.processId());
            }
        } finally {
            cluster.stop();
        }
    }

    /**
     * After an outage longer than the alive threshold every heartbeat in the pool is stale. The first worker
     * back must not prune its live peers (and fail their jobs): pruning waits until its own heartbeats have
     * held for a whole threshold, by which time the peers have heartbeated too.
     */
    @Test
    void afterAnOutageLongerThanTheAliveThresholdLiveWorkersDoNotPruneEachOther() throws Exception {
        LocalPostgresCluster cluster = LocalPostgresCluster.create(
                PostgresLocator.findLocalBinaries(System.getenv("PATH")).orElseThrow(() -> new IllegalStateException(PostgresLocator.NOTHING_FOUND)));
        TestDatabase db = cluster.server().createDatabase("outage");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setUsername(db.user());
        config.setMaximumPoolSize(10);
        config.setConnectionTimeout(1_000);
        try (HikariDataSource ds = new HikariDataSource(config)) {
            QueueMigrator.migrate(ds, QueueSchema.DEFAULT);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            HandlerRegistry handlers = HandlerRegistry.builder().register("hold", job -> release.await()).build();
            WorkerConfig workerConfig = QueueFixture.fastConfig("test/outage").shutdownTimeout(Duration.ofSeconds(10)).build();
            try (Worker a = Worker.start(ds, QueueSchema.DEFAULT, workerConfig, handlers, QueueListener.NONE);
                 Worker b = Worker.start(ds, QueueSchema.DEFAULT, workerConfig, handlers, QueueListener.NONE)) {
                JobClient client = new JobClient(ds, QueueSchema.DEFAULT);
                client.enqueueAll(List.of(NewJob.of("default", "hold").build(), NewJob.of("default", "hold").build()));
                QueueAdmin admin = new QueueAdmin(ds, QueueSchema.DEFAULT);
                await().atMost(Duration.ofSeconds(10)).until(() -> admin.stats().jobs().get(JobState.RUNNING) == 2);

                cluster.stopServer();
                // Both notice that they can no longer heartbeat: the outage now exceeds the 1 s alive threshold.
                await().atMost(Duration.ofSeconds(10)).until(() -> !a.isReady() && !b.isReady());
                cluster.startServer();

                await().atMost(Duration.ofSeconds(10)).until(() -> a.isReady() && b.isReady());
                // Longer than threshold + prune interval: had anyone pruned, it would show.
                await().during(Duration.ofMillis(2_000)).atMost(Duration.ofSeconds(5)).until(() ->
                        admin.stats().jobs().get(JobState.FAILED) == 0 && admin.processes().size() == 2);
                release.countDown();
                await().atMost(Duration.ofSeconds(10)).until(() -> admin.stats().jobs().get(JobState.COMPLETED) == 2);
            }
        } finally {
            cluster.stop();
        }
    }
}
