package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class ScheduleTest {

    private static final String POOL = "test/schedules";
    private TestDatabase db;
    private QueueFixture queue;
    private Schedules schedules;

    @BeforeEach
    void setUp(TestDatabase db) {
        this.db = db;
        queue = new QueueFixture(db);
        schedules = new Schedules(queue.dataSource, queue.schema);
    }

    @AfterEach
    void tearDown() {
        queue.close();
    }

    @Test
    void aScheduleIsSetListedChangedAndDeleted() {
        ScheduleView set = schedules.set(Schedule.of("hourly-report", "@hourly", "reports", "build-report").args("{\"kind\": \"sales\"}").build());
        Instant now = Instant.now();
        assertThat(set.nextRunAt()).isAfter(now.minusSeconds(5)).isBefore(now.plus(Duration.ofHours(1)).plusSeconds(5));
        assertThat(set.nextRunAt().atOffset(ZoneOffset.UTC)).satisfies(t -> {
            assertThat(t.getMinute()).isZero();
            assertThat(t.getSecond()).isZero();
        });
        assertThat(set.lastRunAt()).isNull();
        assertThat(set.pool()).isNull();

        // New arguments keep the times; a new expression starts from the next time after now.
        ScheduleView changed = schedules.set(Schedule.of("hourly-report", "@hourly", "reports", "build-report").args("{\"kind\": \"all\"}").build());
        assertThat(changed.nextRunAt()).isEqualTo(set.nextRunAt());
        assertThat(changed.schedule().args()).contains("all");
        ScheduleView daily = schedules.set(Schedule.of("hourly-report", "30 6 * * *", "reports", "build-report").timeZone("Asia/Tokyo").build());
        assertThat(daily.nextRunAt().atZone(java.time.ZoneId.of("Asia/Tokyo"))).satisfies(t -> {
            assertThat(t.getHour()).isEqualTo(6);
            assertThat(t.getMinute()).isEqualTo(30);
        });
        assertThat(schedules.list()).extracting(v -> v.schedule().name()).containsExactly("hourly-report");

        assertThat(schedules.delete("hourly-report")).isTrue();
        assertThat(schedules.delete("hourly-report")).isFalse();
        assertThat(schedules.list()).isEmpty();
    }

    @Test
    void badSchedulesAreRefusedNamingTheFieldAndTheFix() {
        assertThatThrownBy(() -> Schedule.of("r", "61 * * * *", "q", "h").build()).hasMessageContaining("schedule 'r'").hasMessageContaining("minute 61");
        assertThatThrownBy(() -> Schedule.of("r", "@hourly", "q", "h").timeZone("Mars/Olympus")).hasMessageContaining("time zone 'Mars/Olympus'")
                .hasMessageContaining("Europe/Berlin");
        assertThatThrownBy(() -> Schedule.of("no spaces", "@hourly", "q", "h").build()).hasMessageContaining("schedule name 'no spaces' is invalid");
        assertThatThrownBy(() -> Schedule.of("r", "@hourly", "q", "h").args("{oops").build()).hasMessageContaining("args");
        assertThatThrownBy(() -> Schedule.of("r", "@hourly", "bad queue", "h").build()).hasMessageContaining("queue 'bad queue' is invalid");
    }

    /** Three workers tick every second on a schedule of every second: each second gets one job, none is skipped. */
    @Test
    void everyTimeGetsExactlyOneJobHoweverManyWorkersTick() {
        schedules.set(Schedule.of("every-second", "* * * * * *", "ticks", "tick").build());
        HandlerRegistry handlers = HandlerRegistry.builder().register("tick", job -> {}).build();
        List<Worker> workers = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            workers.add(queue.worker(c -> c.identity(ProcessIdentity.local(POOL)).queues(List.of("ticks")), handlers));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> queue.count("schedule_name = 'every-second'") >= 6);
        workers.forEach(Worker::stop); // what they enqueued stays

        List<Map<String, Object>> runs = queue.rows("SELECT scheduled_for, count(*) AS jobs FROM stevedore.jobs "
                + "WHERE schedule_name = 'every-second' GROUP BY scheduled_for ORDER BY scheduled_for");
        assertThat(runs).allSatisfy(r -> assertThat(r.get("jobs")).isEqualTo(1L));
        Map<String, Object> span = queue.rows("SELECT count(*) AS runs, extract(epoch FROM max(scheduled_for) - min(scheduled_for))::bigint AS seconds, "
                + "bool_and(scheduled_for = date_trunc('second', scheduled_for)) AS whole FROM stevedore.jobs WHERE schedule_name = 'every-second'").get(0);
        assertThat(span.get("whole")).isEqualTo(true);
        assertThat((Long) span.get("runs")).as("no second skipped").isEqualTo((Long) span.get("seconds") + 1);
        ScheduleView view = schedules.get("every-second").orElseThrow();
        assertThat(view.lastJobId()).isNotNull();
        assertThat(view.nextRunAt()).isAfter(view.lastRunAt());
    }

    /**
     * A worker is SIGKILLed in the middle of a tick: it has locked the due schedule and is inserting the run's job (which
     * waits behind an uncommitted job of the same run, the test's). Its transaction never commits; the next worker enqueues
     * the run, once.
     */
    @Test
    void aWorkerKilledInTheMiddleOfATickLeavesTheRunToTheNextOnce() throws Exception {
        schedules.set(Schedule.of("new-year", "0 0 1 1 *", "yearly", "celebrate").build());
        try (Connection blocker = queue.dataSource.getConnection(); ChildProcess child = ChildProcess.start(db, POOL, "elsewhere", Map.of())) {
            Instant due = ((java.sql.Timestamp) queue.rows("SELECT date_trunc('second', now()) - interval '1 second' AS due").get(0).get("due"))
                    .toInstant();
            blocker.setAutoCommit(false);
            try (var ps = blocker.prepareStatement("INSERT INTO stevedore.jobs (queue, handler, state, schedule_name, scheduled_for) "
                    + "VALUES ('yearly', 'celebrate', 'available', 'new-year', ?)")) {
                // Uncommitted: an insert of the same run waits for this transaction to end.
                ps.setTimestamp(1, java.sql.Timestamp.from(due));
                ps.executeUpdate();
            }
            queue.sql("UPDATE stevedore.schedules SET next_run_at = ? WHERE name = 'new-year'", java.sql.Timestamp.from(due));
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(this::childIsMidTick);
            assertThat(child.signal("KILL")).isEqualTo(137);
            blocker.rollback();

            queue.worker(c -> c.identity(ProcessIdentity.local(POOL)).queues(List.of("elsewhere")), HandlerRegistry.builder().build());
            queue.worker(c -> c.identity(ProcessIdentity.local(POOL)).queues(List.of("elsewhere")), HandlerRegistry.builder().build());
            await().atMost(Duration.ofSeconds(20)).until(() -> queue.count("schedule_name = 'new-year'") >= 1);
            await().atMost(Duration.ofSeconds(20)).until(() -> schedules.get("new-year").orElseThrow().nextRunAt().isAfter(due));
            assertThat(queue.rows("SELECT scheduled_for FROM stevedore.jobs WHERE schedule_name = 'new-year'"))
                    .singleElement().satisfies(r -> assertThat(((java.sql.Timestamp) r.get("scheduled_for")).toInstant()).isEqualTo(due));
            ScheduleView view = schedules.get("new-year").orElseThrow();
            assertThat(view.lastRunAt()).isEqualTo(due);
            assertThat(view.nextRunAt().atOffset(ZoneOffset.UTC)).satisfies(t -> {
                assertThat(t.getDayOfYear()).isEqualTo(1);
                assertThat(t.getHour()).isZero();
            });
        }
    }

    /** The child's tick waits behind the test's lock while holding the schedule's row. */
    private boolean childIsMidTick() throws SQLException {
        boolean inserting = !queue.rows("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                + "AND query LIKE 'INSERT INTO stevedore.jobs (queue, handler, args, priority, state, run_at, max_attempts, timeout_ms, schedule_name%'").isEmpty();
        if (!inserting) {
            return false;
        }
        try (Connection c = queue.dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SELECT 1 FROM stevedore.schedules WHERE name = 'new-year' FOR UPDATE NOWAIT");
                return false;
            } catch (SQLException locked) {
                return "55P03".equals(locked.getSQLState());
            } finally {
                c.rollback();
            }
        }
    }

    /**
     * A tick's times reach the database as instants, whatever the zone of the worker's JVM (and so of its sessions): here
     * the first 02:30 of the night Berlin's clocks go back, an hour that happens twice.
     */
    @Test
    void aTicksTimesAreInstantsWhateverTheWorkersZone() throws Exception {
        schedules.set(Schedule.of("twice", "30 2 * * *", "q", "h").timeZone("Europe/Berlin").build());
        Instant firstPass = Instant.parse("2026-10-25T00:30:00Z"); // 02:30 at +02:00
        java.util.TimeZone saved = java.util.TimeZone.getDefault();
        java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("Europe/Berlin"));
        try {
            org.postgresql.ds.PGSimpleDataSource berlin = new org.postgresql.ds.PGSimpleDataSource();
            berlin.setURL(db.jdbcUrl());
            berlin.setUser(db.user());
            berlin.setPassword(db.password());
            var queries = new dev.stevedore.queue.internal.ScheduleQueries(queue.schema);
            dev.stevedore.queue.internal.Sql.inTransaction(berlin, c -> queries.enqueueAndAdvance(c,
                    List.of(new dev.stevedore.queue.internal.ScheduleQueries.Advance("twice", List.of(firstPass), firstPass.plusSeconds(86_400)))));
        } finally {
            java.util.TimeZone.setDefault(saved);
        }
        ScheduleView view = schedules.get("twice").orElseThrow();
        assertThat(view.lastRunAt()).isEqualTo(firstPass);
        assertThat(view.nextRunAt()).isEqualTo(firstPass.plusSeconds(86_400));
        assertThat(((java.sql.Timestamp) queue.rows("SELECT scheduled_for FROM stevedore.jobs WHERE schedule_name = 'twice'").get(0)
                .get("scheduled_for")).toInstant()).isEqualTo(firstPass);
    }

    /**
     * A row this worker cannot read (edited by hand, or a zone its time-zone data lacks) is left as it is for the workers that
     * can, and holds up no other schedule; listing names it and the fix.
     */
    @Test
    void aScheduleThatCannotBeReadIsLeftAloneAndNamed() throws Exception {
        schedules.set(Schedule.of("fine", "* * * * * *", "q", "h").build());
        queue.sql("INSERT INTO stevedore.schedules (name, cron, time_zone, queue, handler, missed, next_run_at) "
                + "VALUES ('edited', 'every day', 'UTC', 'q', 'h', 'skip', now() - interval '2 seconds')");
        queue.sql("UPDATE stevedore.schedules SET next_run_at = date_trunc('second', now()) - interval '1 second' WHERE name = 'fine'");
        Object before = queue.rows("SELECT next_run_at FROM stevedore.schedules WHERE name = 'edited'").get(0).get("next_run_at");

        var tick = new dev.stevedore.queue.internal.Scheduler(queue.dataSource, queue.schema, "");
        assertThat(tick.tick()).isNotEmpty();
        assertThat(queue.count("schedule_name = 'fine'")).isPositive();
        tick.tick();
        assertThat(queue.rows("SELECT next_run_at FROM stevedore.schedules WHERE name = 'edited'").get(0)).containsEntry("next_run_at", before);
        assertThat(queue.count("schedule_name = 'edited'")).isZero();
        assertThatThrownBy(() -> schedules.list()).isInstanceOf(QueueException.class)
                .hasMessageContaining("schedule 'edited' in the database cannot be read").hasMessageContaining("stevedore schedules set");
    }

    @Test
    void runNowEnqueuesARunBesideTheRegularOnes() {
        ScheduleView before = schedules.set(Schedule.of("cleanup", "@daily", "maintenance", "clean").priority(-5).build());
        long id = schedules.runNow("cleanup").orElseThrow();
        assertThat(queue.rows("SELECT queue, handler, priority::integer AS priority, state, schedule_name FROM stevedore.jobs WHERE id = ?", id))
                .singleElement().isEqualTo(Map.of("queue", "maintenance", "handler", "clean", "priority", -5, "state", "available",
                        "schedule_name", "cleanup"));
        ScheduleView after = schedules.get("cleanup").orElseThrow();
        assertThat(after.nextRunAt()).isEqualTo(before.nextRunAt());
        assertThat(after.lastJobId()).isEqualTo(id);
        assertThat(after.lastJobState()).isEqualTo(JobState.AVAILABLE);
        assertThat(schedules.runNow("no-such-schedule")).isEmpty();
    }

    /** A pool's spec owns its schedules: set exactly, removed when they leave the spec, and not taken from hand or another pool. */
    @Test
    void aPoolsSchedulesAreSyncedAndNeverTakeAnothersName() {
        schedules.set(Schedule.of("by-hand", "@hourly", "q", "h").build());
        Schedule a = Schedule.of("pool-a", "@daily", "q", "h").build();
        Schedule b = Schedule.of("pool-b", "@weekly", "q", "h").build();
        Schedule taken = Schedule.of("by-hand", "@daily", "q", "other").build();

        Schedules.PoolSync sync = schedules.syncPool("prod/mail", List.of(a, b, taken));
        assertThat(sync.schedules()).extracting(v -> v.schedule().name()).containsExactly("pool-a", "pool-b");
        assertThat(sync.conflicts()).containsExactly(new Schedules.Conflict("by-hand", null));
        assertThat(schedules.get("by-hand").orElseThrow().schedule().handler()).isEqualTo("h");
        assertThat(schedules.syncPool("prod/other", List.of(a)).conflicts()).singleElement()
                .satisfies(c -> assertThat(c.declaredBy()).isEqualTo("JobWorkerPool prod/mail"));
        assertThatThrownBy(() -> schedules.set(a)).hasMessageContaining("declared by JobWorkerPool prod/mail");
        assertThatThrownBy(() -> schedules.delete("pool-a")).hasMessageContaining("remove it there");

        Schedules.PoolSync removed = schedules.syncPool("prod/mail", List.of(b));
        assertThat(removed.deleted()).containsExactly("pool-a");
        assertThat(schedules.list()).extracting(v -> v.schedule().name()).containsExactly("by-hand", "pool-b");
        assertThat(schedules.deletePool("prod/mail")).containsExactly("pool-b");
        assertThat(schedules.list()).extracting(v -> v.schedule().name()).containsExactly("by-hand");
    }

    @Test
    void theSameSpecAppliedAgainWritesNothing() {
        Schedule a = Schedule.of("pool-a", "@daily", "q", "h").build();
        schedules.syncPool("prod/mail", List.of(a));
        Object updated = queue.rows("SELECT updated_at FROM stevedore.schedules").get(0).get("updated_at");
        Object xmin = queue.rows("SELECT xmin::text AS x FROM stevedore.schedules").get(0).get("x");
        schedules.syncPool("prod/mail", List.of(a));
        assertThat(queue.rows("SELECT updated_at, xmin::text AS x FROM stevedore.schedules").get(0))
                .containsEntry("updated_at", updated).containsEntry("x", xmin);
    }
}
