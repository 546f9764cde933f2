package dev.stevedore.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Packaged workers as real processes, driven only through the CLI, HTTP and signals. */
@ExtendWith(PostgresExtension.class)
class WorkerProcessIT {

    private final TestDatabase db;
    private final Cli cli;
    private final List<WorkerProcess> workers = new ArrayList<>();

    WorkerProcessIT(TestDatabase db) {
        this.db = db;
        this.cli = new Cli(db);
    }

    @BeforeEach
    void migrate() throws Exception {
        cli.run("migrate");
        try (var c = db.connect(); var s = c.createStatement()) {
            s.execute("TRUNCATE stevedore.jobs, stevedore.processes");
        }
    }

    @AfterEach
    void stopWorkers() {
        workers.forEach(WorkerProcess::close);
    }

    private WorkerProcess worker(String name, Map<String, String> extra) throws Exception {
        Map<String, String> env = WorkerProcess.env(db, "test/workers");
        env.putAll(extra);
        WorkerProcess w = WorkerProcess.start(name, env);
        workers.add(w);
        await().atMost(Duration.ofSeconds(60)).until(() -> w.ready() || !w.process.isAlive());
        assertThat(w.process.isAlive()).as("%s started; log: %s", name, w.log).isTrue();
        return w;
    }

    private List<JsonNode> jobs(String... filter) {
        List<String> args = new ArrayList<>(List.of("jobs", "list", "--limit", "10000", "-o", "json"));
        args.addAll(List.of(filter));
        List<JsonNode> list = new ArrayList<>();
        cli.json(args.toArray(String[]::new)).forEach(list::add);
        return list;
    }

    @Test
    void threeWorkersCompleteAThousandJobs() throws Exception {
        for (int i = 1; i <= 3; i++) {
            worker("worker-" + i, Map.of("STEVEDORE_THREADS", "10"));
        }
        cli.run("enqueue", "--queue", "default", "--handler", "sleep", "--args", "{\"ms\": 10}", "--count", "1000");

        await().atMost(Duration.ofSeconds(60)).until(() -> cli.count("completed") == 1000);
        JsonNode stats = cli.json("stats", "-o", "json");
        assertThat(stats.get("jobs").get("completed").asLong()).isEqualTo(1000);
        assertThat(stats.get("jobs").get("failed").asLong()).isZero();
        assertThat(stats.get("processes").get("alive").asLong()).isEqualTo(3);
        cli.run("enqueue", "--queue", "default", "--handler", "fail", "--args", "{\"message\": \"boom\"}", "--max-attempts", "1");
        await().atMost(Duration.ofSeconds(30)).until(() -> cli.count("failed") == 1);
        String metrics = workers.stream().map(w -> w.get("/q/metrics").body()).filter(m -> m.contains("stevedore_jobs_failed_total"))
                .findFirst().orElseThrow(() -> new AssertionError("no worker counted the failed job"));
        assertThat(metrics).as("failures by error class").containsPattern(
                "stevedore_jobs_failed_total\\{error=\"[A-Za-z0-9_.$]+\",handler=\"fail\",pool=\"test/workers\",queue=\"default\"} 1\\.0");
        // Every queue metric names its pool, as the operator's metrics and the dashboard do.
        assertThat(metrics).contains("stevedore_jobs_completed_total{handler=\"sleep\",pool=\"test/workers\",queue=\"default\"}",
                "stevedore_slots_busy{pool=\"test/workers\"}",
                "stevedore_job_pickup_seconds_bucket", "stevedore_job_execution_seconds_bucket");
        // Histogram buckets reach past 30 s (Micrometer's default end), or a p95 over 30 s could never be seen.
        assertThat(metrics).containsPattern("stevedore_job_pickup_seconds_bucket\\{[^}]*le=\"[1-9][0-9]{2,}\\.");
    }

    @Test
    void aSigkilledWorkerIsPrunedByItsPeersAndItsJobsCanBeRetried() throws Exception {
        WorkerProcess victim = worker("victim-pod", Map.of("STEVEDORE_QUEUES", "slow", "NODE_NAME", "node-7"));
        worker("survivor", Map.of("STEVEDORE_QUEUES", "other"));
        cli.run("enqueue", "--queue", "slow", "--handler", "sleep", "--args", "{\"ms\": 3000}", "--count", "3");
        await().atMost(Duration.ofSeconds(20)).until(() -> cli.count("running") == 3);

        victim.signal("KILL");
        assertThat(victim.awaitExit(Duration.ofSeconds(10))).isEqualTo(137);
        // alive threshold 5 s, and the survivor checks every 2.5 s
        await().atMost(Duration.ofSeconds(12)).until(() -> cli.count("failed") == 3);

        List<JsonNode> pruned = jobs("--error", "ProcessPrunedError");
        assertThat(pruned).hasSize(3).allSatisfy(job -> {
            JsonNode error = job.get("lastError");
            assertThat(error.get("class").asText()).isEqualTo("ProcessPrunedError");
            assertThat(error.get("reason").asText()).isEqualTo("HeartbeatExpired");
            assertThat(error.get("pod").asText()).isEqualTo("victim-pod");
            assertThat(error.get("node").asText()).isEqualTo("node-7");
            assertThat(error.get("pid").asLong()).isEqualTo(victim.process.pid());
            assertThat(error.get("host").asText()).isNotBlank();
        });

        worker("replacement", Map.of("STEVEDORE_QUEUES", "slow"));
        assertThat(cli.run("jobs", "retry", "--error", "ProcessPrunedError")).contains("retried 3 jobs");
        await().atMost(Duration.ofSeconds(20)).until(() -> cli.count("completed") == 3);
    }

    @Test
    void sigtermLetsRunningJobsFinishWithinTheShutdownTimeout() throws Exception {
        WorkerProcess w = worker("graceful", Map.of("STEVEDORE_THREADS", "4", "STEVEDORE_SHUTDOWN_TIMEOUT", "10s"));
        cli.run("enqueue", "--queue", "default", "--handler", "sleep", "--args", "{\"ms\": 2000}", "--count", "4");
        await().atMost(Duration.ofSeconds(20)).until(() -> cli.count("running") == 4);

        w.signal("TERM");
        assertThat(w.awaitExit(Duration.ofSeconds(30))).as("clean exit; log: %s", w.log).isZero();
        assertThat(cli.count("completed")).isEqualTo(4);
        assertThat(cli.count("failed")).isZero();
        assertThat(cli.json("processes", "list", "-o", "json")).isEmpty();
    }

    @Test
    void sigtermReleasesJobsThatOutlastTheShutdownTimeoutToAnotherWorker() throws Exception {
        WorkerProcess w = worker("impatient", Map.of("STEVEDORE_THREADS", "2", "STEVEDORE_SHUTDOWN_TIMEOUT", "2s"));
        cli.run("enqueue", "--queue", "default", "--handler", "sleep", "--args", "{\"ms\": 20000}", "--count", "2");
        await().atMost(Duration.ofSeconds(20)).until(() -> cli.count("running") == 2);

        w.signal("TERM");
        assertThat(w.awaitExit(Duration.ofSeconds(20))).isZero();
        List<JsonNode> released = jobs("--state", "available");
        assertThat(released).hasSize(2).allSatisfy(job -> {
            assertThat(job.get("attempts").asInt()).as("attempt not charged").isZero();
            assertThat(job.get("lastError").isNull()).isTrue();
        });

        worker("successor", Map.of("STEVEDORE_THREADS", "2"));
        await().atMost(Duration.ofSeconds(40)).until(() -> cli.count("completed") == 2);
        assertThat(cli.count("failed")).isZero();
    }

    @Test
    void theDrainEndpointStopsClaimingAndAnswersWhenRunningJobsAreDone() throws Exception {
        WorkerProcess w = worker("draining", Map.of("STEVEDORE_THREADS", "2"));
        cli.run("enqueue", "--queue", "default", "--handler", "sleep", "--args", "{\"ms\": 1500}");
        await().atMost(Duration.ofSeconds(20)).until(() -> cli.count("running") == 1);

        CompletableFuture<HttpResponse<String>> drain = CompletableFuture.supplyAsync(() -> w.get("/drain"));
        await().atMost(Duration.ofSeconds(5)).until(() -> !w.ready());
        cli.run("enqueue", "--queue", "default", "--handler", "sleep", "--args", "{\"ms\": 10}");
        assertThat(drain).as("still waiting for the running job").isNotDone();

        HttpResponse<String> answer = drain.get();
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).contains("\"drained\":true", "\"runningJobs\":0");
        assertThat(cli.count("completed")).isEqualTo(1);
        assertThat(cli.count("available")).as("nothing new was claimed").isEqualTo(1);
        assertThat(w.get("/q/health/ready").statusCode()).isEqualTo(503);
    }

    @Test
    void aCrashingJobIsPrunedWhileThePoolKeepsWorkingAndFailsAfterTwoCrashes() throws Exception {
        // One slot per worker: a crash takes down only the crashing job, not a neighbour claimed with it
        // (that one would be pruned too, as it would be in any worker that dies).
        Map<String, String> env = Map.of("STEVEDORE_HEARTBEAT_INTERVAL", "500ms", "STEVEDORE_ALIVE_THRESHOLD", "2s",
                "STEVEDORE_PRUNED_RETRY_LIMIT", "1", "STEVEDORE_PRUNED_RETRY_BACKOFF", "0s", "STEVEDORE_THREADS", "1");
        worker("crash-a", env);
        worker("crash-b", env);
        String crashId = cli.json("enqueue", "--queue", "default", "--handler", "crash", "--args", "{\"exitCode\": 137}", "-o", "json")
                .get("ids").get(0).asText();
        cli.run("enqueue", "--queue", "default", "--handler", "sleep", "--args", "{\"ms\": 50}", "--count", "40");

        // Like a kubelet: a worker that died is replaced, so the pool keeps two.
        int[] restarts = {0};
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (WorkerProcess w : List.copyOf(workers)) {
                if (!w.process.isAlive() && workers.remove(w)) {
                    assertThat(w.process.exitValue()).isEqualTo(137);
                    restarts[0]++;
                    Map<String, String> restartEnv = WorkerProcess.env(db, "test/workers");
                    restartEnv.putAll(env);
                    workers.add(WorkerProcess.start("crash-restart-" + restarts[0], restartEnv));
                }
            }
            JsonNode job = cli.json("jobs", "show", crashId, "-o", "json");
            return job.get("state").asText().equals("failed") && cli.count("completed") == 40;
        });
        JsonNode job = cli.json("jobs", "show", crashId, "-o", "json");
        assertThat(job.get("prunes").asInt()).isEqualTo(2);
        assertThat(job.get("errors")).hasSize(2);
        assertThat(job.get("lastError").get("class").asText()).isEqualTo("ProcessPrunedError");
        assertThat(restarts[0]).isEqualTo(2);
    }

    /**
     * The operator gives a worker drain + shutdown + 10 s; after the preStop hook, SIGTERM has shutdown + 10 s
     * before the kubelet's SIGKILL. With the database gone (a failover at the worst moment), every step of the
     * stop that needs it fails, and the whole stop must still end inside that budget.
     */
    @Test
    void sigtermEndsWithinTheGracePeriodTheOperatorGivesEvenWithTheDatabaseGone() throws Exception {
        try (dev.stevedore.testkit.net.TcpProxy network = dev.stevedore.testkit.net.TcpProxy.forJdbcUrl(db.jdbcUrl())) {
            WorkerProcess w = worker("budget", Map.of("STEVEDORE_DB_URL", network.jdbcUrl(db.jdbcUrl()), "STEVEDORE_THREADS", "2",
                    "STEVEDORE_SHUTDOWN_TIMEOUT", "2s"));
            cli.run("enqueue", "--queue", "default", "--handler", "sleep", "--args", "{\"ms\": 60000}", "--count", "2");
            await().atMost(Duration.ofSeconds(20)).until(() -> cli.count("running") == 2);

            network.cut();
            long signalled = System.nanoTime();
            w.signal("TERM");
            int exit = w.awaitExit(Duration.ofSeconds(60));
            Duration took = Duration.ofNanos(System.nanoTime() - signalled);
            System.out.println("SIGTERM to exit with the database gone, shutdown timeout 2 s: " + took.toMillis() + " ms");
            assertThat(took).as("shutdown timeout 2 s + the operator's 10 s margin").isLessThan(Duration.ofSeconds(12));
            assertThat(exit).isZero();
            assertThat(w.output()).contains("will be pruned once its heartbeat expires");
        }
    }
}
