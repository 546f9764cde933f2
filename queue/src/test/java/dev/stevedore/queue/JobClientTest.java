package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

@ExtendWith(PostgresExtension.class)
class JobClientTest {

    private final TestDatabase db;
    private QueueFixture queue;

    JobClientTest(TestDatabase db) {
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
    void enqueuesOneJobWithEveryOption() {
        Instant later = Instant.now().plusSeconds(3600);
        long id = queue.enqueue(NewJob.of("mail", "send-welcome").args("{\"user\": 42}").priority(-5).runAt(later)
                .maxAttempts(3).uniqueKey("welcome-42").timeout(Duration.ofSeconds(30)));

        Map<String, Object> row = queue.rows("SELECT queue, handler, args::text AS args, priority, state, max_attempts, unique_key, timeout_ms, "
                + "abs(extract(epoch FROM run_at - ?::timestamptz)) < 0.01 AS run_at_kept FROM stevedore.jobs WHERE id = ?",
                java.sql.Timestamp.from(later), id).get(0);
        assertThat(row).containsEntry("queue", "mail").containsEntry("handler", "send-welcome").containsEntry("args", "{\"user\": 42}")
                .containsEntry("priority", -5).containsEntry("state", "scheduled").containsEntry("max_attempts", 3)
                .containsEntry("unique_key", "welcome-42").containsEntry("timeout_ms", 30_000L).containsEntry("run_at_kept", true);
    }

    @Test
    void aBatchOfTenThousandIsOneStatementAndKeepsInputOrder() {
        List<NewJob> jobs = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            jobs.add(NewJob.of("bulk", "noop").args("{\"i\": " + i + "}").build());
        }
        List<Long> ids = queue.client.enqueueAll(jobs);

        assertThat(ids).hasSize(10_000).isSorted();
        assertThat(queue.count("queue = 'bulk' AND state = 'available'")).isEqualTo(10_000);
        assertThat(queue.job(ids.get(0)).get("args")).isEqualTo("{\"i\": 0}");
        assertThat(queue.job(ids.get(9_999)).get("args")).isEqualTo("{\"i\": 9999}");
        // One statement means one transaction: every row carries the same transaction id.
        assertThat(queue.rows("SELECT count(DISTINCT xmin::text) AS n FROM stevedore.jobs WHERE queue = 'bulk'").get(0).get("n")).isEqualTo(1L);
    }

    @Test
    void aUniqueKeyAdmitsOneUnfinishedJob() {
        long first = queue.enqueue(NewJob.of("q", "h").uniqueKey("report-2026-11"));
        assertThat(queue.client.enqueue(NewJob.of("q", "h").uniqueKey("report-2026-11").build())).isEmpty();
        assertThat(queue.client.enqueueAll(List.of(NewJob.of("q", "h").uniqueKey("k2").build(), NewJob.of("q", "h").uniqueKey("k2").build())))
                .hasSize(1);

        queue.sql("UPDATE stevedore.jobs SET state = 'completed', finished_at = now() WHERE id = ?", first);
        assertThat(queue.client.enqueue(NewJob.of("q", "h").uniqueKey("report-2026-11").build())).as("the first one finished").isPresent();
    }

    @Test
    void aDelayedJobIsScheduledOnTheDatabaseClock() {
        long id = queue.enqueue(NewJob.of("q", "h").delay(Duration.ofMinutes(5)));
        Map<String, Object> row = queue.rows("SELECT state, run_at - created_at BETWEEN interval '4 min 59 s' AND interval '5 min 1 s' AS ok "
                + "FROM stevedore.jobs WHERE id = ?", id).get(0);
        assertThat(row).containsEntry("state", "scheduled").containsEntry("ok", true);
    }

    @Test
    void theSqlFunctionEnqueuesFromAnyLanguageAndNotifiesWaitingWorkers() throws Exception {
        try (Connection listener = db.connect(); Connection other = db.connect(); Statement s = listener.createStatement()) {
            s.execute("LISTEN stevedore_jobs");
            long id;
            try (Statement o = other.createStatement(); var rs = o.executeQuery("SELECT stevedore.enqueue('mail', 'send', '{\"to\": \"a@b.c\"}')")) {
                rs.next();
                id = rs.getLong(1);
            }
            assertThat(queue.job(id)).containsEntry("state", "available").containsEntry("queue", "mail").containsEntry("args", "{\"to\": \"a@b.c\"}");

            PGNotification[] notes = listener.unwrap(PGConnection.class).getNotifications(5_000);
            assertThat(notes).isNotNull();
            assertThat(notes).extracting(PGNotification::getParameter).containsExactly("mail");

            try (Statement o = other.createStatement(); var rs = o.executeQuery(
                    "SELECT stevedore.enqueue('mail', 'send', unique_key => 'once'), stevedore.enqueue('mail', 'send', unique_key => 'once')")) {
                rs.next();
                assertThat(rs.getObject(1)).isNotNull();
                assertThat(rs.getObject(2)).as("duplicate unique key").isNull();
            }
        }
    }

    @Test
    void malformedArgumentsAreRefusedWithThePositionAndNothingIsWritten() {
        assertThatThrownBy(() -> NewJob.of("q", "h").args("{\"user\": 42,}").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("args is not valid JSON: expected a quoted member name at character 13");
        assertThatThrownBy(() -> NewJob.of("q", "h").args("{\"a\": tru}").build()).hasMessageContaining("args is not valid JSON");
        assertThatThrownBy(() -> NewJob.of("q", "h").args("[1, 2").build()).hasMessage("args is not valid JSON: it ends too early");
        assertThat(queue.count("true")).isZero();
    }

    @Test
    void badNamesAndOptionsAreRefusedNamingTheField() {
        assertThatThrownBy(() -> NewJob.of("my queue", "h").build()).hasMessageContaining("queue 'my queue' is invalid");
        assertThatThrownBy(() -> NewJob.of("q", "").build()).hasMessageContaining("handler '' is invalid");
        assertThatThrownBy(() -> NewJob.of("q", "h").maxAttempts(0).build()).hasMessageContaining("maxAttempts must be at least 1");
        assertThatThrownBy(() -> NewJob.of("q", "h").priority(40_000).build()).hasMessageContaining("priority 40000 is out of range");
        assertThatThrownBy(() -> NewJob.of("q", "h").uniqueKey(" ").build()).hasMessageContaining("uniqueKey must not be blank");
    }

    @Test
    void aDatabaseErrorNamesTheOperation() {
        queue.sql("ALTER TABLE stevedore.jobs ADD CONSTRAINT no_poison CHECK (handler <> 'poison')");
        List<NewJob> batch = List.of(NewJob.of("q", "fine").build(), NewJob.of("q", "poison").build());
        assertThatThrownBy(() -> queue.client.enqueueAll(batch))
                .isInstanceOf(QueueException.class)
                .hasMessageContaining("could not enqueue 2 jobs")
                .hasMessageContaining("no_poison");
        assertThat(queue.count("true")).as("all or nothing").isZero();
        queue.sql("ALTER TABLE stevedore.jobs DROP CONSTRAINT no_poison");
    }

    @Test
    void aJobEnqueuedInTheCallersTransactionExistsExactlyWhenItsDataDoes() throws Exception {
        queue.sql("CREATE TABLE public.orders (id bigint PRIMARY KEY)");
        try (Connection c = queue.dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO public.orders VALUES (1)");
            }
            long id = queue.client.enqueue(c, NewJob.of("mail", "confirm-order").args("{\"order\": 1}").build()).orElseThrow();
            assertThat(queue.count("id = " + id)).as("not visible before the commit").isZero();
            c.rollback();
            assertThat(queue.count("true")).as("a rollback leaves no job").isZero();

            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO public.orders VALUES (2)");
            }
            List<Long> ids = queue.client.enqueueAll(c, List.of(NewJob.of("mail", "confirm-order").args("{\"order\": 2}").build(),
                    NewJob.of("mail", "invoice").args("{\"order\": 2}").build()));
            c.commit();
            assertThat(ids).hasSize(2);
            assertThat(queue.count("state = 'available'")).isEqualTo(2);
        } finally {
            queue.sql("DROP TABLE public.orders");
        }
    }

    @Test
    void aWorkerIsWokenWhenTheCallersTransactionCommitsAndNotBefore() throws Exception {
        java.util.concurrent.CountDownLatch ran = new java.util.concurrent.CountDownLatch(1);
        // A poll interval of a minute: only the commit's NOTIFY can explain a prompt pickup. Had a notification come
        // before the commit, the worker would have found nothing, slept, and missed the job for a minute.
        queue.worker(c -> c.queues(List.of("mail")).pollInterval(Duration.ofMinutes(1)),
                HandlerRegistry.builder().register("send", job -> ran.countDown()).build());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> queue.processCount() == 1);
        try (Connection c = queue.dataSource.getConnection()) {
            c.setAutoCommit(false);
            queue.client.enqueue(c, NewJob.of("mail", "send").build());
            assertThat(queue.count("true")).as("invisible to the worker before the commit").isZero();
            c.commit();
        }
        assertThat(ran.await(5, java.util.concurrent.TimeUnit.SECONDS)).as("woken by the commit's notification").isTrue();
    }
}
