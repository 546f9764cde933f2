package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class MigrationTest {

    @Test
    void migratingTwiceChangesNothingTheSecondTime(TestDatabase db) {
        QueueSchema schema = new QueueSchema("twice");
        assertThat(QueueMigrator.migrate(db.dataSource(), schema)).isPositive();
        assertThat(QueueMigrator.migrate(db.dataSource(), schema)).isZero();
    }

    @Test
    void aCustomSchemaIsSelfContainedIncludingItsNotificationChannel(TestDatabase db) throws Exception {
        QueueSchema schema = new QueueSchema("billing_queue");
        QueueMigrator.migrate(db.dataSource(), schema);
        try (QueueFixture queue = new QueueFixture(db, schema)) {
            long id = queue.client.enqueue(NewJob.of("invoices", "render").build()).orElseThrow();
            assertThat(queue.rows("SELECT state FROM billing_queue.jobs WHERE id = ?", id)).containsExactly(Map.of("state", "available"));
            assertThat(queue.rows("SELECT prosrc FROM pg_proc WHERE proname = 'notify_available_jobs' AND pronamespace = 'billing_queue'::regnamespace")
                    .get(0).get("prosrc").toString()).contains("billing_queue_jobs");
        }
    }

    @Test
    void anInvalidSchemaNameIsRefusedBeforeAnySqlRuns() {
        for (String bad : List.of("", "Upper", "a-b", "x; DROP TABLE y", "1abc", "a".repeat(51))) {
            assertThatThrownBy(() -> new QueueSchema(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("invalid queue schema name")
                    .hasMessageContaining("lower-case letters, digits or underscores");
        }
    }

    /** The statements a busy queue runs all the time use their partial indexes, not a table scan. */
    @Test
    void hotQueriesUseTheirIndexes(TestDatabase db) {
        try (QueueFixture queue = new QueueFixture(db)) {
            List<NewJob> jobs = new java.util.ArrayList<>();
            // A busy queue q0 beside a small one, q1, and a history of completed jobs.
            for (int i = 0; i < 30_000; i++) {
                jobs.add(NewJob.of(i < 100 ? "q1" : i < 200 ? "q2" : "q0", "h").build());
            }
            // And jobs of 200 concurrency keys.
            for (int i = 0; i < 4_000; i++) {
                jobs.add(NewJob.of("q3", "h").concurrency("account:" + i % 200, 1).build());
            }
            queue.client.enqueueAll(jobs);
            queue.sql("UPDATE stevedore.jobs SET state = 'completed', finished_at = now() WHERE queue = 'q0' AND id % 3 = 0");
            queue.sql("UPDATE stevedore.jobs SET state = 'running', claimed_by = id % 50, claim_token = id WHERE queue = 'q0' AND id % 3 = 1 AND id < 10000");
            queue.sql("ANALYZE stevedore.jobs");

            Map<String, String> expectations = Map.ofEntries(
                    Map.entry("SELECT id FROM stevedore.jobs WHERE state = 'available' AND concurrency_key IS NULL AND queue = 'q1' "
                            + "ORDER BY priority, run_at, id LIMIT 10", "jobs_claim_by_queue"),
                    Map.entry("SELECT id FROM stevedore.jobs WHERE state = 'available' AND concurrency_key IS NULL AND queue = ANY('{q1,q2}') "
                            + "ORDER BY priority, run_at, id LIMIT 10", "using jobs_claim_by_queue"),
                    Map.entry("SELECT id FROM stevedore.jobs WHERE state = 'available' AND concurrency_key IS NULL "
                            + "ORDER BY priority::integer, run_at, id LIMIT 10", "jobs_claim_any_queue"),
                    Map.entry("SELECT id FROM stevedore.jobs WHERE state = 'available' AND concurrency_key = 'account:1' "
                            + "ORDER BY priority, run_at, id LIMIT 10", "jobs_limited_by_key"),
                    Map.entry("SELECT count(*) FROM stevedore.jobs WHERE concurrency_key = 'account:1' AND state = 'running'", "jobs_running_by_key"),
                    Map.entry("SELECT id FROM stevedore.jobs WHERE state = 'scheduled' AND run_at <= now() ORDER BY run_at LIMIT 100", "jobs_due"),
                    Map.entry("SELECT id FROM stevedore.jobs WHERE claimed_by = 7 AND state = 'running'", "jobs_claimed_by"),
                    Map.entry("SELECT id FROM stevedore.jobs WHERE state = 'completed' AND finished_at < now() - interval '1 day' LIMIT 100", "jobs_completed_at"));
            for (var e : expectations.entrySet()) {
                String plan = queue.rows("EXPLAIN " + e.getKey()).stream().map(r -> r.values().iterator().next().toString())
                        .collect(Collectors.joining("\n"));
                assertThat(plan).as(e.getKey()).contains(e.getValue()).doesNotContain("Seq Scan");
            }
        }
    }

    /** The jobs table churns: it is vacuumed after a fixed number of changes, not a fifth of its size, and unthrottled. */
    @Test
    void theJobsTableIsVacuumedAfterAFixedNumberOfChangesAndAtFullSpeed(TestDatabase db) {
        try (QueueFixture queue = new QueueFixture(db)) {
            List<Object> options = queue.rows("SELECT unnest(reloptions) AS option FROM pg_class WHERE oid = 'stevedore.jobs'::regclass")
                    .stream().map(r -> r.get("option")).toList();
            assertThat(options).contains("autovacuum_vacuum_scale_factor=0", "autovacuum_vacuum_threshold=5000",
                    "autovacuum_vacuum_insert_scale_factor=0", "autovacuum_vacuum_insert_threshold=5000", "autovacuum_vacuum_cost_delay=0");
        }
    }

    /** A worker of this version on a schema without its latest migration would fail on every claim: it refuses to start. */
    @Test
    void aWorkerRefusesToStartOnASchemaThatLacksAMigrationItNeeds(TestDatabase db) {
        QueueSchema schema = new QueueSchema("old_queue");
        WorkerConfig config = WorkerConfig.builder(ProcessIdentity.local("test/old")).build();
        assertThatThrownBy(() -> Worker.start(db.dataSource(), schema, config, HandlerRegistry.builder().build(), QueueListener.NONE))
                .isInstanceOf(QueueException.class)
                .hasMessageStartingWith("queue schema 'old_queue' has no queue tables and this version of Stevedore needs version ")
                .hasMessageContaining("run `stevedore migrate`");
        org.flywaydb.core.Flyway.configure().dataSource(db.dataSource()).schemas(schema.name()).defaultSchema(schema.name())
                .createSchemas(true).table("schema_history").locations("classpath:db/stevedore").target("3").load().migrate();
        assertThatThrownBy(() -> Worker.start(db.dataSource(), schema, config, HandlerRegistry.builder().build(), QueueListener.NONE))
                .isInstanceOf(QueueException.class)
                .hasMessageStartingWith("queue schema 'old_queue' is at version 3 and this version of Stevedore needs version ");
        QueueMigrator.migrate(db.dataSource(), schema);
        try (Worker worker = Worker.start(db.dataSource(), schema, config, HandlerRegistry.builder().build(), QueueListener.NONE)) {
            assertThat(worker.processId()).isPositive();
        }
    }
}
