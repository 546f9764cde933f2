package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.stevedore.queue.internal.JobQueries;
import dev.stevedore.queue.internal.Sql;
import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class QueueConcurrencyTest {

    private static final String POOL = "test/concurrency";
    private TestDatabase db;
    private QueueFixture queue;

    @BeforeEach
    void setUp(TestDatabase db) {
        this.db = db;
        queue = new QueueFixture(db);
    }

    @AfterEach
    void tearDown() {
        queue.close();
    }

    /** Four workers of four threads each: each key runs exactly up to its limit, and jobs without a key run beside them. */
    @Test
    void noKeyEverRunsMoreJobsThanItsLimitAcrossWorkers() {
        Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> most = new ConcurrentHashMap<>();
        HandlerRegistry handlers = HandlerRegistry.builder().register("work", job -> {
            String key = job.args().replaceAll(".*\"key\": *\"([^\"]*)\".*", "$1");
            int now = running.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            most.computeIfAbsent(key, k -> new AtomicInteger()).accumulateAndGet(now, Math::max);
            try {
                Thread.sleep(20); // the job's work: long enough for others to try to start beside it
            } finally {
                running.get(key).decrementAndGet();
            }
        }).build();
        List<NewJob> jobs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            jobs.add(NewJob.of("accounts", "work").args("{\"key\": \"account:1\"}").concurrency("account:1", 2).build());
            jobs.add(NewJob.of("accounts", "work").args("{\"key\": \"account:2\"}").concurrency("account:2", 1).build());
            jobs.add(NewJob.of("accounts", "work").args("{\"key\": \"none\"}").build());
        }
        new JobClient(queue.dataSource, queue.schema).enqueueAll(jobs);
        for (int i = 0; i < 4; i++) {
            queue.worker(c -> c.identity(ProcessIdentity.local(POOL)).queues(List.of("accounts")).threads(4), handlers);
        }

        await().atMost(Duration.ofSeconds(60)).until(() -> queue.count("state = 'completed'") == 120);
        assertThat(most.get("account:1").get()).isEqualTo(2);
        assertThat(most.get("account:2").get()).isEqualTo(1);
        assertThat(most.get("none").get()).isGreaterThan(2);
    }

    /**
     * The limit rests on the count's snapshot being taken after the key locks, which READ COMMITTED gives. A database whose
     * default is REPEATABLE READ (one snapshot per transaction, taken before the locks) must not weaken it.
     */
    @Test
    void theLimitHoldsOnADatabaseWhoseDefaultIsRepeatableRead() throws Exception {
        queue.sql("ALTER DATABASE " + db.name() + " SET default_transaction_isolation = 'repeatable read'");
        try {
            org.postgresql.ds.PGSimpleDataSource fresh = new org.postgresql.ds.PGSimpleDataSource();
            fresh.setURL(db.jdbcUrl());
            fresh.setUser(db.user());
            fresh.setPassword(db.password());
            int isolation = Sql.withConnection(fresh, c -> c.getTransactionIsolation());
            assertThat(isolation).isEqualTo(java.sql.Connection.TRANSACTION_REPEATABLE_READ);
            String seen = Sql.inTransaction(fresh, java.sql.Connection.TRANSACTION_READ_COMMITTED, c -> {
                try (var rs = c.createStatement().executeQuery("SHOW transaction_isolation")) {
                    rs.next();
                    return rs.getString(1);
                }
            });
            assertThat(seen).isEqualTo("read committed");

            AtomicInteger running = new AtomicInteger();
            AtomicInteger most = new AtomicInteger();
            HandlerRegistry handlers = HandlerRegistry.builder().register("work", job -> {
                most.accumulateAndGet(running.incrementAndGet(), Math::max);
                try {
                    Thread.sleep(10);
                } finally {
                    running.decrementAndGet();
                }
            }).build();
            List<NewJob> jobs = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                jobs.add(NewJob.of("rr", "work").concurrency("account:rr", 1).build());
            }
            new JobClient(queue.dataSource, queue.schema).enqueueAll(jobs);
            List<Worker> workers = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    workers.add(Worker.start(fresh, queue.schema, QueueFixture.fastConfig(POOL).queues(List.of("rr")).threads(4).build(), handlers,
                            QueueListener.NONE));
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> queue.count("queue = 'rr' AND state = 'completed'") == 40);
            } finally {
                workers.forEach(Worker::stop);
            }
            assertThat(most.get()).isEqualTo(1);
        } finally {
            queue.sql("ALTER DATABASE " + db.name() + " RESET default_transaction_isolation");
        }
    }

    /**
     * The slot is the running job itself: a worker SIGKILLed holding the only slot of its key frees it when it is pruned,
     * and not before; the key's next job then runs.
     */
    @Test
    void aKilledWorkersSlotIsFreedByItsPrune() throws Exception {
        long held = queue.enqueue(NewJob.of("acct", "sleep").concurrency("account:7", 1));
        try (ChildProcess child = ChildProcess.start(db, POOL, "acct", Map.of())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> "running".equals(queue.state(held)));
            long next = queue.enqueue(NewJob.of("acct", "ok").concurrency("account:7", 1));
            assertThat(claimLimited("acct")).as("the key's only slot is held").isEmpty();
            assertThat(child.signal("KILL")).isEqualTo(137);
            assertThat(claimLimited("acct")).as("a dead worker holds its slot until it is pruned").isEmpty();

            // A peer of the pool prunes the dead process once its heartbeat is stale, and runs the key's next job.
            queue.worker(c -> c.identity(ProcessIdentity.local(POOL)).queues(List.of("acct")),
                    HandlerRegistry.builder().register("ok", job -> {}).build());
            await().atMost(Duration.ofSeconds(15)).until(() -> "completed".equals(queue.state(next)));
            assertThat(queue.job(held)).containsEntry("state", "failed").containsEntry("last_error_class", "ProcessPrunedError");
            assertThat(queue.rows("SELECT (SELECT claimed_at FROM stevedore.jobs WHERE id = ?) >= (SELECT finished_at FROM stevedore.jobs "
                    + "WHERE id = ?) AS after_prune", next, held).get(0)).containsEntry("after_prune", true);
        }
    }

    @Test
    void aPausedQueuesLimitedJobsAreNotClaimed() throws Exception {
        queue.enqueue(NewJob.of("acct", "ok").concurrency("account:9", 3));
        queue.enqueue(NewJob.of("acct", "ok"));
        assertThat(new QueueAdmin(queue.dataSource, queue.schema).queueDepths().get("acct").available()).as("both kinds count").isEqualTo(2);
        queue.sql("INSERT INTO stevedore.queue_pauses (queue, paused_by) VALUES ('acct', 'test')");
        assertThat(claimLimited("acct")).isEmpty();
        queue.sql("DELETE FROM stevedore.queue_pauses");
        assertThat(claimLimited("acct")).hasSize(1);
    }

    @Test
    void aKeyWithoutALimitIsRefusedNamingBoth() {
        assertThatThrownBy(() -> new NewJob("q", "h", "{}", 0, null, null, 1, null, null, "account:1", null))
                .hasMessageContaining("concurrency key needs a concurrency limit");
        assertThatThrownBy(() -> NewJob.of("q", "h").concurrency("account:1", 0).build()).hasMessageContaining("concurrency limit must be at least 1");
        assertThatThrownBy(() -> NewJob.of("q", "h").concurrency(" ", 1).build()).hasMessageContaining("concurrency key must be 1 to 200");
    }

    /** One claim of limited jobs of {@code queueName}, as a fresh process of the pool, committed. */
    private List<Long> claimLimited(String queueName) throws Exception {
        long process = (Long) queue.rows("INSERT INTO stevedore.processes (pool, host, pid, queues, slots, alive_threshold_ms) "
                + "VALUES ('other/pool', 'h', 1, ?::text[], 10, 600000) RETURNING id", "{" + queueName + "}").get(0).get("id");
        JobQueries queries = new JobQueries(queue.schema);
        List<Long> ids = new ArrayList<>();
        Sql.inTransaction(queue.dataSource, c -> queries.claimLimited(c, process, List.of(queueName), false, queries.anyQueuePaused(c), 10, "")).jobs()
                .forEach(j -> ids.add(j.id()));
        return ids;
    }
}
