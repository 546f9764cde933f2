package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class HeartbeatTest {

    @Test
    void heartbeatsUseTheDatabaseClock(TestDatabase db) {
        try (QueueFixture queue = new QueueFixture(db)) {
            Worker worker = queue.worker(c -> {}, HandlerRegistry.builder().build());
            Object first = queue.rows("SELECT last_heartbeat_at FROM stevedore.processes WHERE id = ?", worker.processId()).get(0).get("last_heartbeat_at");
            await().atMost(Duration.ofSeconds(5)).until(() -> !queue.rows("SELECT last_heartbeat_at FROM stevedore.processes WHERE id = ?",
                    worker.processId()).get(0).get("last_heartbeat_at").equals(first));
            assertThat(queue.rows("SELECT now() - last_heartbeat_at < interval '1 second' AS fresh FROM stevedore.processes WHERE id = ?",
                    worker.processId()).get(0).get("fresh")).isEqualTo(true);
        }
    }

    /**
     * The heartbeat is blocked by a row lock that does not stop claims (FOR NO KEY UPDATE conflicts with
     * the heartbeat's update, not with the claim's key-share lock). Past the alive threshold the worker
     * must stop claiming on its own, because other processes may prune it at any moment.
     */
    @Test
    void aWorkerThatCannotHeartbeatPastItsThresholdStopsClaimingUntilItCan(TestDatabase db) throws Exception {
        try (QueueFixture queue = new QueueFixture(db)) {
            CountDownLatch ran = new CountDownLatch(1);
            Worker worker = queue.worker(c -> c.pruneInterval(Duration.ofHours(1)), HandlerRegistry.builder().register("h", job -> ran.countDown()).build());
            assertThat(worker.isReady()).isTrue();

            try (Connection blocker = db.connect(); Statement s = blocker.createStatement()) {
                blocker.setAutoCommit(false);
                s.execute("SELECT 1 FROM stevedore.processes WHERE id = " + worker.processId() + " FOR NO KEY UPDATE");
                await().atMost(Duration.ofSeconds(5)).until(() -> !worker.isReady());

                long id = queue.enqueue(NewJob.of("default", "h"));
                // Claims would succeed (the next step proves it); the worker holds back by itself.
                await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(() -> "available".equals(queue.state(id)));
                blocker.rollback();

                await().atMost(Duration.ofSeconds(5)).until(() -> "completed".equals(queue.state(id)));
                assertThat(worker.isReady()).isTrue();
            }
        }
    }

    @Test
    void onAConnectionThatDeliversNothingTheHeartbeatFailsWithinTheAliveThreshold(TestDatabase db) throws Exception {
        try (dev.stevedore.testkit.net.TcpProxy network = dev.stevedore.testkit.net.TcpProxy.forJdbcUrl(db.jdbcUrl())) {
            com.zaxxer.hikari.HikariConfig hc = new com.zaxxer.hikari.HikariConfig();
            hc.setJdbcUrl(network.jdbcUrl(db.jdbcUrl()));
            hc.setUsername(db.user());
            hc.setPassword(db.password());
            hc.setMaximumPoolSize(10);
            java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
            try (com.zaxxer.hikari.HikariDataSource ds = new com.zaxxer.hikari.HikariDataSource(hc)) {
                Worker worker = Worker.start(ds, QueueSchema.DEFAULT, QueueFixture.fastConfig("test/partitioned").build(),
                        HandlerRegistry.builder().build(), new QueueListener() {
                            @Override
                            public void heartbeatFailed(Exception e) {
                                failures.incrementAndGet();
                            }
                        });
                try {
                    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(worker::isReady);
                    // A partition: the connections stay open and nothing arrives, not even a reset.
                    network.blackhole();
                    // Alive threshold 1 s, heartbeat every 200 ms: the heartbeat in flight gives up after half the threshold.
                    // Without a bound it would wait for the server's TCP keepalive, two hours.
                    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(3)).until(() -> failures.get() > 0 && !worker.isReady());
                    network.restore();
                    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(worker::isReady);
                } finally {
                    worker.stop();
                }
            }
        }
    }
}
