package dev.stevedore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stevedore.queue.HandlerRegistry;
import dev.stevedore.queue.ProcessIdentity;
import dev.stevedore.queue.Pruner;
import dev.stevedore.queue.QueueListener;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.queue.Worker;
import dev.stevedore.queue.WorkerConfig;
import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/** The CLI as a user runs it: arguments and environment in, exit code and output out. */
@ExtendWith(PostgresExtension.class)
@TestMethodOrder(MethodOrderer.MethodName.class)
class CliTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final TestDatabase db;
    private final Map<String, String> env = new HashMap<>();

    CliTest(TestDatabase db) {
        this.db = db;
    }

    record Result(int exit, String out, String err) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + out, e);
            }
        }
    }

    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = StevedoreCli.execute(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(exit, out.toString(), err.toString());
    }

    @BeforeEach
    void setUp() {
        env.put("STEVEDORE_DB_URL", db.jdbcUrl());
        env.put("STEVEDORE_DB_USER", db.user());
        env.put("STEVEDORE_DB_PASSWORD", db.password());
        assertThat(run("migrate").exit()).isZero();
        db.server();
        try (var c = db.connect(); var s = c.createStatement()) {
            s.execute("TRUNCATE stevedore.jobs, stevedore.processes, stevedore.queue_pauses, stevedore.schedules");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void migrateIsRepeatable() {
        Result r = run("migrate");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("schema stevedore is up to date");
    }

    @Test
    void enqueueWithCountPrintsTheIdsAsJson() {
        Result r = run("enqueue", "--queue", "mail", "--handler", "send", "--args", "{\"to\": \"a@b.c\"}", "--count", "3", "--priority", "2",
                "--max-attempts", "4", "-o", "json");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.json().get("ids")).hasSize(3);

        JsonNode list = run("jobs", "list", "--queue", "mail", "-o", "json").json();
        assertThat(list).hasSize(3);
        JsonNode job = list.get(0);
        for (String field : List.of("id", "queue", "handler", "state", "attempts", "createdAt", "finishedAt", "lastError")) {
            assertThat(job.has(field)).as(field).isTrue();
        }
        assertThat(job.get("state").asText()).isEqualTo("available");
        assertThat(job.get("maxAttempts").asInt()).isEqualTo(4);
        assertThat(job.get("lastError").isNull()).isTrue();
        assertThat(job.get("finishedAt").isNull()).isTrue();
    }

    @Test
    void aPrunedJobShowsItsCauseInListAndShow() throws Exception {
        String id = run("enqueue", "--queue", "etl", "--handler", "load", "-o", "json").json().get("ids").get(0).asText();
        CountDownLatch started = new CountDownLatch(1);
        Worker worker = Worker.start(db.dataSource(), QueueSchema.DEFAULT,
                WorkerConfig.builder(ProcessIdentity.local("team/etl").withPod("etl-7d9f", "uid-1", "node-2")).shutdownTimeout(Duration.ofMillis(100)).build(),
                HandlerRegistry.builder().register("load", job -> {
                    job.saveCheckpoint("{\"rows\": 1200}");
                    started.countDown();
                    Thread.sleep(60_000);
                }).build(), QueueListener.NONE);
        long processId = worker.processId();
        try {
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            new Pruner(db.dataSource(), QueueSchema.DEFAULT).prune(List.of(new Pruner.Request(processId,
                    new Pruner.Cause("OOMKilled", null, null, null, 137, null))));
        } finally {
            worker.stop();
        }

        Result list = run("jobs", "list", "--error", "ProcessPrunedError", "-o", "json");
        assertThat(list.exit()).isZero();
        JsonNode error = list.json().get(0).get("lastError");
        assertThat(error.get("class").asText()).isEqualTo("ProcessPrunedError");
        assertThat(error.get("reason").asText()).isEqualTo("OOMKilled");
        assertThat(error.get("pod").asText()).isEqualTo("etl-7d9f");
        assertThat(error.get("node").asText()).isEqualTo("node-2");
        assertThat(error.get("process").asLong()).isEqualTo(processId);
        assertThat(error.get("host").asText()).isNotBlank();
        assertThat(error.get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
        assertThat(error.get("prunedAt").asText()).isNotBlank();

        JsonNode shown = run("jobs", "show", id, "-o", "json").json();
        assertThat(shown.get("checkpoint").get("rows").asInt()).isEqualTo(1200);
        assertThat(shown.get("errors")).hasSize(1);
        Result table = run("jobs", "show", id);
        assertThat(table.out()).contains("checkpoint", "{\"rows\":1200}", "ProcessPrunedError", "OOMKilled");
        assertThat(run("jobs", "list", "--state", "failed").out()).contains("ProcessPrunedError (OOMKilled pod etl-7d9f)");
    }

    @Test
    void retryAndDiscardByIdAndByFilter() throws Exception {
        run("enqueue", "--queue", "imports", "--handler", "parse", "--count", "5");
        try (var c = db.connect(); var s = c.createStatement()) {
            s.execute("UPDATE stevedore.jobs SET state = 'failed', finished_at = now(), errors = '[{\"class\": \"java.io.IOException\", \"message\": \"x\"}]'");
        }
        List<Long> ids = ids(run("jobs", "list", "-o", "json").json());

        Result one = run("jobs", "retry", ids.get(0).toString(), "-o", "json");
        assertThat(one.exit()).isZero();
        assertThat(one.json().get("retried")).hasSize(1);
        Result again = run("jobs", "retry", ids.get(0).toString());
        assertThat(again.out()).contains("retried 0 jobs", "skipped " + ids.get(0), "only failed, discarded or scheduled jobs");

        Result bulk = run("jobs", "retry", "--error", "java.io.IOException", "-o", "json");
        assertThat(bulk.exit()).isZero();
        assertThat(bulk.out().trim()).isEqualTo("{\n  \"retried\" : 4\n}");

        Result discard = run("jobs", "discard", "--queue", "imports", "--state", "available");
        assertThat(discard.exit()).isZero();
        assertThat(discard.out()).contains("discarded 5 jobs");
        JsonNode stats = run("stats", "-o", "json").json();
        assertThat(stats.get("jobs").get("discarded").asLong()).isEqualTo(5);
    }

    @Test
    void cancelByIdAndByFilterDiscardsWaitingJobsWithWhoCancelled() throws Exception {
        run("enqueue", "--queue", "exports", "--handler", "build", "--count", "3");
        run("enqueue", "--queue", "exports", "--handler", "build", "--delay", "1h");
        List<Long> ids = ids(run("jobs", "list", "-o", "json").json());

        Result one = run("jobs", "cancel", ids.get(0).toString(), "--by", "ops@desk");
        assertThat(one.exit()).as(one.err()).isZero();
        assertThat(one.out()).isEqualTo("cancelled 1 job: " + ids.get(0) + "\n");
        JsonNode shown = run("jobs", "show", ids.get(0).toString(), "-o", "json").json();
        assertThat(shown.get("state").asText()).isEqualTo("discarded");
        assertThat(shown.get("lastError").get("class").asText()).isEqualTo("JobCancelledError");
        assertThat(shown.get("lastError").get("message").asText()).isEqualTo("cancelled by ops@desk");
        assertThat(run("jobs", "cancel", ids.get(0).toString()).out()).contains("cancelled 0 jobs", "only scheduled, available or running jobs");

        Result bulk = run("jobs", "cancel", "--queue", "exports", "-o", "json");
        assertThat(bulk.exit()).isZero();
        assertThat(bulk.out().trim()).isEqualTo("{\n  \"cancelled\" : 3\n}");
        assertThat(run("stats", "-o", "json").json().get("jobs").get("discarded").asLong()).isEqualTo(4);
    }

    @Test
    void statsAndProcessesHaveTheirDocumentedShape() {
        run("enqueue", "--queue", "a", "--handler", "h", "--count", "2");
        run("enqueue", "--queue", "b", "--handler", "h", "--delay", "1h");
        try (Worker worker = Worker.start(db.dataSource(), QueueSchema.DEFAULT,
                WorkerConfig.builder(ProcessIdentity.local("team/pool")).queues(List.of("none")).threads(3).build(),
                HandlerRegistry.builder().build(), QueueListener.NONE)) {
            JsonNode stats = run("stats", "-o", "json").json();
            assertThat(stats.get("jobs").get("available").asLong()).isEqualTo(2);
            assertThat(stats.get("jobs").get("scheduled").asLong()).isEqualTo(1);
            assertThat(stats.get("jobs").get("completed").asLong()).isZero();
            assertThat(stats.get("queues").get("a").get("available").asLong()).isEqualTo(2);
            assertThat(stats.get("queues").get("a").get("oldestAvailableAgeMs").asLong()).isGreaterThanOrEqualTo(0);
            assertThat(stats.get("processes").get("alive").asLong()).isEqualTo(1);

            JsonNode processes = run("processes", "list", "-o", "json").json();
            assertThat(processes).hasSize(1);
            JsonNode p = processes.get(0);
            for (String field : List.of("id", "pool", "pod", "node", "pid", "host", "queues", "threads", "lastHeartbeatAt")) {
                assertThat(p.has(field)).as(field).isTrue();
            }
            assertThat(p.get("id").asLong()).isEqualTo(worker.processId());
            assertThat(p.get("pool").asText()).isEqualTo("team/pool");
            assertThat(p.get("threads").asInt()).isEqualTo(3);
            assertThat(p.get("queues").get(0).asText()).isEqualTo("none");
            assertThat(run("processes", "list").out()).contains("team/pool", "none");
        }
    }

    @Test
    void queuesArePausedListedWithTheirPauseAndResumed() {
        run("enqueue", "--queue", "mail", "--handler", "h", "--count", "3");
        Result paused = run("queues", "pause", "mail", "idle", "--reason", "relay down", "--by", "ops@desk");
        assertThat(paused.exit()).as(paused.err()).isZero();
        assertThat(paused.out()).isEqualTo("paused mail\npaused idle\n");
        assertThat(run("queues", "pause", "mail").out()).isEqualTo("mail was paused already\n");

        String table = run("queues", "list").out();
        assertThat(table.lines().toList()).hasSize(3);
        assertThat(table.lines().filter(l -> l.startsWith("mail ")).findFirst().orElseThrow()).contains(" 3 ", "by ops@desk: relay down");
        assertThat(table.lines().filter(l -> l.startsWith("idle ")).findFirst().orElseThrow()).contains(" 0 ", "by ops@desk");
        JsonNode queues = run("queues", "list", "-o", "json").json();
        assertThat(queues).hasSize(2);
        assertThat(queues.get(1).get("queue").asText()).isEqualTo("mail");
        assertThat(queues.get(1).get("available").asLong()).isEqualTo(3);
        assertThat(queues.get(1).get("paused").asBoolean()).isTrue();
        assertThat(queues.get(1).get("pause").get("reason").asText()).isEqualTo("relay down");
        assertThat(run("stats").out()).contains("relay down");
        assertThat(run("stats", "-o", "json").json().get("pausedQueues").get("mail").get("pausedBy").asText()).isEqualTo("ops@desk");

        assertThat(run("queues", "resume", "mail", "other").out()).isEqualTo("resumed mail\nother was not paused\n");
        assertThat(run("queues", "list", "-o", "json").json().get(1).get("paused").asBoolean()).isFalse();

        Result bad = run("queues", "pause", "no spaces");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err().trim()).isEqualTo("stevedore: queue 'no spaces' is invalid: use 1 to 100 letters, digits, '_', '.', ':' or '-'");
        Result none = run("queues", "pause");
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("Missing required parameter: 'QUEUE'");
    }

    @Test
    void schedulesAreSetListedRunAndDeleted() {
        Result set = run("schedules", "set", "nightly", "--cron", "30 2 * * *", "--time-zone", "Europe/Berlin", "--queue", "reports",
                "--handler", "build-report", "--args", "{\"kind\": \"sales\"}", "--missed", "run_once", "--timeout", "10m");
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(set.out()).startsWith("schedule nightly set: next run ");

        JsonNode listed = run("schedules", "list", "-o", "json").json();
        assertThat(listed).hasSize(1);
        JsonNode nightly = listed.get(0);
        assertThat(nightly.get("cron").asText()).isEqualTo("30 2 * * *");
        assertThat(nightly.get("timeZone").asText()).isEqualTo("Europe/Berlin");
        assertThat(nightly.get("missed").asText()).isEqualTo("run_once");
        assertThat(nightly.get("timeout").asText()).isEqualTo("10m");
        assertThat(nightly.get("args").get("kind").asText()).isEqualTo("sales");
        assertThat(java.time.Instant.parse(nightly.get("nextRunAt").asText()).atZone(java.time.ZoneId.of("Europe/Berlin")).getHour()).isEqualTo(2);
        assertThat(nightly.get("lastRunAt").isNull()).isTrue();

        Result ran = run("schedules", "run-now", "nightly");
        assertThat(ran.out()).matches("enqueued job \\d+ for schedule nightly\n");
        String table = run("schedules", "list").out();
        assertThat(table.lines().toList()).hasSize(2);
        assertThat(table.lines().skip(1).findFirst().orElseThrow()).contains("nightly", "30 2 * * *", "Europe/Berlin", "(available)", "by hand");

        assertThat(run("schedules", "delete", "nightly").out()).isEqualTo("deleted schedule nightly\n");
        Result gone = run("schedules", "delete", "nightly");
        assertThat(gone.exit()).isEqualTo(1);
        assertThat(gone.err().trim()).isEqualTo("no schedule named nightly");

        new dev.stevedore.queue.Schedules(db.dataSource(), QueueSchema.DEFAULT).syncPool("team-a/gone",
                List.of(dev.stevedore.queue.Schedule.of("gone-hourly", "@hourly", "q", "h").build()));
        Result refused = run("schedules", "delete", "gone-hourly");
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err().trim()).contains("declared by JobWorkerPool team-a/gone", "remove it there");
        assertThat(run("schedules", "delete", "--pool", "team-a/gone").out()).startsWith("deleted schedules gone-hourly of JobWorkerPool team-a/gone");
        assertThat(run("schedules", "list", "-o", "json").json()).isEmpty();

        Result badCron = run("schedules", "set", "r", "--cron", "0 25 * * *", "--queue", "q", "--handler", "h");
        assertThat(badCron.exit()).isEqualTo(2);
        assertThat(badCron.err().trim()).isEqualTo("stevedore: schedule 'r': cron \"0 25 * * *\": hour 25 is out of range 0-23");
        Result badZone = run("schedules", "set", "r", "--cron", "@daily", "--time-zone", "Berlin", "--queue", "q", "--handler", "h");
        assertThat(badZone.exit()).isEqualTo(2);
        assertThat(badZone.err().trim()).isEqualTo("stevedore: time zone 'Berlin' is unknown: use an IANA name such as UTC or Europe/Berlin");
        Result badMissed = run("schedules", "set", "r", "--cron", "@daily", "--queue", "q", "--handler", "h", "--missed", "always");
        assertThat(badMissed.err().trim()).isEqualTo("stevedore: --missed must be skip or run_once, got 'always'");
    }

    @Test
    void aJobWithAConcurrencyKeyNeedsItsLimit() {
        Result half = run("enqueue", "--queue", "q", "--handler", "h", "--concurrency-key", "account:42");
        assertThat(half.exit()).isEqualTo(2);
        assertThat(half.err().trim()).startsWith("stevedore: --concurrency-key and --concurrency-limit go together");
        Result ok = run("enqueue", "--queue", "q", "--handler", "h", "--concurrency-key", "account:42", "--concurrency-limit", "1", "-o", "json");
        long id = ok.json().get("ids").get(0).asLong();
        JsonNode shown = run("jobs", "show", Long.toString(id), "-o", "json").json();
        assertThat(shown.get("concurrencyKey").asText()).isEqualTo("account:42");
        assertThat(shown.get("concurrencyLimit").asInt()).isEqualTo(1);
    }

    @Test
    void errorsAreOneClearLineWithANonZeroExitCode() {
        Result unknownJob = run("jobs", "show", "424242");
        assertThat(unknownJob.exit()).isEqualTo(1);
        assertThat(unknownJob.err().trim()).isEqualTo("stevedore: job 424242 not found");

        Result unknownRetry = run("jobs", "retry", "424242");
        assertThat(unknownRetry.exit()).isEqualTo(1);
        assertThat(unknownRetry.err().trim()).isEqualTo("stevedore: job 424242 not found; nothing was changed");

        Result badState = run("jobs", "list", "--state", "finished");
        assertThat(badState.exit()).isEqualTo(2);
        assertThat(badState.err().trim()).startsWith("stevedore: unknown job state 'finished': use one of scheduled, available");

        Result badJson = run("enqueue", "--queue", "q", "--handler", "h", "--args", "{oops}");
        assertThat(badJson.exit()).isEqualTo(2);
        assertThat(badJson.err().trim()).isEqualTo("stevedore: args is not valid JSON: expected a quoted member name at character 2");

        Result badOption = run("jobs", "list", "--colour", "red");
        assertThat(badOption.exit()).isEqualTo(2);
        assertThat(badOption.err()).startsWith("stevedore: Unknown options: '--colour', 'red'");

        Result noFilter = run("jobs", "retry");
        assertThat(noFilter.exit()).isEqualTo(2);
        assertThat(noFilter.err()).contains("give job ids or a filter");

        env.put("STEVEDORE_DB_URL", "jdbc:postgresql://127.0.0.1:1/nowhere");
        env.put("STEVEDORE_DB_PASSWORD", "s3cret-value");
        Result down = run("stats");
        assertThat(down.exit()).isEqualTo(1);
        assertThat(down.err().lines()).hasSize(1);
        assertThat(down.err()).startsWith("stevedore: cannot connect to the database at jdbc:postgresql://127.0.0.1:1/nowhere").doesNotContain("s3cret");

        env.remove("STEVEDORE_DB_URL");
        Result none = run("stats");
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("pass --db-url or set STEVEDORE_DB_URL");
    }

    @Test
    void aPasswordInACloudNativePgUrlAppearsInNoOutput() {
        String password = db.password() == null || db.password().isBlank() ? "cnpg-s3cret-Pw" : db.password();
        String cnpgUri = db.jdbcUrl() + (db.jdbcUrl().contains("?") ? "&" : "?") + "password=" + password;
        env.remove("STEVEDORE_DB_PASSWORD");
        env.put("STEVEDORE_DB_URL", cnpgUri);
        Result works = run("stats", "-o", "json");
        assertThat(works.exit()).as(works.err()).isZero();
        assertThat(works.out() + works.err()).doesNotContain(password);

        env.put("STEVEDORE_DB_URL", "jdbc:postgresql://127.0.0.1:1/app?password=" + password + "&user=app");
        Result down = run("stats");
        assertThat(down.exit()).isEqualTo(1);
        assertThat(down.err()).startsWith("stevedore: cannot connect to the database at jdbc:postgresql://127.0.0.1:1/app?password=***&user=app")
                .doesNotContain(password);

        env.put("STEVEDORE_DB_URL", "jdbc:postgres://db/app?password=" + password);
        Result badUrl = run("stats");
        assertThat(badUrl.exit()).isEqualTo(2);
        assertThat(badUrl.err()).contains("must be a PostgreSQL JDBC URL", "password=***").doesNotContain(password);

        Result inOption = run("stats", "--db-url", "jdbc:postgresql://127.0.0.1:1/app?password=" + password);
        assertThat(inOption.err()).contains("password=***").doesNotContain(password);
    }

    @Test
    void processesPruneTakesTheStaleProcessesOfAPoolThatNobodyPrunes() throws Exception {
        try (var c = db.connect(); var s = c.createStatement()) {
            s.execute("INSERT INTO stevedore.processes (pool, pod_name, host, pid, queues, slots, alive_threshold_ms, last_heartbeat_at) VALUES "
                    + "('gone/pool', 'gone-1', 'h', 11, '{q}', 1, 10000, now() - interval '1 hour'), "
                    + "('live/pool', 'live-1', 'h', 12, '{q}', 1, 10000, now())");
            s.execute("INSERT INTO stevedore.jobs (queue, handler, state, attempts, claimed_by, claim_token, unique_key) "
                    + "SELECT 'q', 'h', 'running', 1, id, 1, 'export' FROM stevedore.processes WHERE pool = 'gone/pool'");
        }
        Result bad = run("processes", "prune", "--stale-for", "soon");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--stale-for");

        Result kept = run("processes", "prune", "--stale-for", "2h", "-o", "json");
        assertThat(kept.exit()).as(kept.err()).isZero();
        assertThat(kept.json().get("pruned")).isEmpty();

        Result pruned = run("processes", "prune", "-o", "json");
        assertThat(pruned.exit()).as(pruned.err()).isZero();
        assertThat(pruned.json().get("pruned")).hasSize(1);
        assertThat(pruned.json().get("pruned").get(0).get("pool").asText()).isEqualTo("gone/pool");
        assertThat(pruned.json().get("pruned").get(0).get("failedJobs")).hasSize(1);
        JsonNode failed = run("jobs", "list", "--state", "failed", "-o", "json").json();
        assertThat(failed.get(0).get("lastError").get("reason").asText()).isEqualTo("HeartbeatExpired");
        assertThat(run("processes", "list", "-o", "json").json()).hasSize(1);
        assertThat(run("processes", "prune").out()).contains("pruned 0 processes");
    }

    private static List<Long> ids(JsonNode jobs) {
        return java.util.stream.StreamSupport.stream(jobs.spliterator(), false).map(j -> j.get("id").asLong()).sorted().toList();
    }
}
