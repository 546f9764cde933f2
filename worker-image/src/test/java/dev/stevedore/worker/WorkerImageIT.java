package dev.stevedore.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What can be checked of the container image without a registry or a container runtime: its configuration,
 * the entrypoint command run locally, the CLI it carries, and the worker's refusal of bad environments.
 */
@ExtendWith(PostgresExtension.class)
class WorkerImageIT {

    private static Properties applicationProperties() throws Exception {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("src", "main", "resources", "application.properties"))) {
            props.load(in);
        }
        return props;
    }

    @Test
    void theImageRunsAsANonRootUserOnPort8080WithContainerAwareMemory() throws Exception {
        Properties props = applicationProperties();
        assertThat(props.getProperty("quarkus.container-image.build")).as("no registry here: off by default").isEqualTo("false");
        assertThat(Integer.parseInt(props.getProperty("quarkus.jib.user"))).isPositive();
        assertThat(props.getProperty("quarkus.jib.ports")).isEqualTo("8080");
        assertThat(props.getProperty("quarkus.jib.jvm-additional-arguments")).contains("-XX:MaxRAMPercentage=", "-XX:+ExitOnOutOfMemoryError");
        Path cli = Path.of("src", "main", "jib", "opt", "stevedore", "bin", "stevedore");
        assertThat(Files.isExecutable(cli)).as("Jib keeps the executable bit of src/main/jib files").isTrue();
    }

    @Test
    void theEntrypointCommandStartsTheWorkerAndTheBundledCliRunsFromItsLibraries(TestDatabase db) throws Exception {
        Map<String, String> env = WorkerProcess.env(db, "image/check");
        env.put("STEVEDORE_MIGRATE", "true");
        try (WorkerProcess worker = WorkerProcess.start("entrypoint", env)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> worker.ready() || !worker.process.isAlive());
            assertThat(worker.ready()).as("log: %s", worker.log).isTrue();

            ProcessBuilder pb = new ProcessBuilder("sh", Path.of("src", "main", "jib", "opt", "stevedore", "bin", "stevedore").toString(),
                    "processes", "list", "-o", "json").redirectErrorStream(true);
            pb.environment().putAll(env);
            pb.environment().put("STEVEDORE_APP_HOME", WorkerProcess.APP.toAbsolutePath().toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("\"pool\" : \"image/check\"", "\"pod\" : \"entrypoint\"");
        }
    }

    private record Outcome(int exit, String output) {}

    private static Outcome runWith(Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(WorkerProcess.entrypoint()).directory(WorkerProcess.APP.toFile()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("STEVEDORE_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Outcome(p.exitValue(), out.trim());
    }

    @Test
    void aBadEnvironmentStopsTheWorkerWithOneLineNamingTheVariable() throws Exception {
        Map<String, String> base = Map.of("STEVEDORE_DB_URL", "jdbc:postgresql://127.0.0.1:5432/app", "STEVEDORE_DB_PASSWORD", "s3cret-pw");
        Map<Map<String, String>, String> cases = Map.of(
                Map.of(), "stevedore-worker: STEVEDORE_DB_URL is not set: it must be a JDBC URL such as jdbc:postgresql://db:5432/app",
                Map.of("STEVEDORE_THREADS", "many"), "stevedore-worker: STEVEDORE_THREADS must be a whole number from 1 to 1000, got 'many'",
                Map.of("STEVEDORE_SHUTDOWN_TIMEOUT", "10"), "stevedore-worker: STEVEDORE_SHUTDOWN_TIMEOUT must be a duration like 500ms, 5s, 2m, 1h or 1d, got '10'",
                Map.of("STEVEDORE_HEARTBEAT_INTERVAL", "5s", "STEVEDORE_ALIVE_THRESHOLD", "6s"),
                "stevedore-worker: STEVEDORE_ALIVE_THRESHOLD (6s) must be at least twice STEVEDORE_HEARTBEAT_INTERVAL (5s)",
                Map.of("STEVEDORE_MIGRATE", "yes"), "stevedore-worker: STEVEDORE_MIGRATE must be true or false, got 'yes'",
                Map.of("STEVEDORE_POOL", "Team A"), "stevedore-worker: STEVEDORE_POOL must be namespace/name (lower-case Kubernetes names), got 'Team A'",
                Map.of("STEVEDORE_SCHEMA", "drop table"), "stevedore-worker: STEVEDORE_SCHEMA: invalid queue schema name 'drop table'",
                Map.of("STEVEDORE_FAILED_RETENTION", "forever"),
                "stevedore-worker: STEVEDORE_FAILED_RETENTION must be a duration like 500ms, 5s, 2m, 1h or 1d, got 'forever'");
        for (var c : cases.entrySet()) {
            Map<String, String> env = new HashMap<>(c.getKey().isEmpty() ? Map.of() : base);
            env.putAll(c.getKey());
            Outcome outcome = runWith(env);
            assertThat(outcome.exit()).as(c.getValue()).isEqualTo(1);
            assertThat(outcome.output().lines().toList()).as(c.getValue()).hasSize(1);
            assertThat(outcome.output()).startsWith(c.getValue()).doesNotContain("s3cret-pw");
        }
    }

    @Test
    void theDatabasePasswordNeverAppearsInTheLog(TestDatabase db) throws Exception {
        Map<String, String> env = WorkerProcess.env(db, "image/secret");
        env.put("STEVEDORE_DB_PASSWORD", "s3cret-pw");
        env.put("STEVEDORE_MIGRATE", "true");
        try (WorkerProcess worker = WorkerProcess.start("secret", env)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> worker.ready() || !worker.process.isAlive());
            worker.signal("TERM");
            assertThat(worker.awaitExit(Duration.ofSeconds(30))).isZero();
            String log = worker.output();
            assertThat(log).contains("starting with WorkerSettings[db=" + db.jdbcUrl()).doesNotContain("s3cret-pw");
        }
    }

    @Test
    void aPasswordInACloudNativePgJdbcUriNeverAppearsInTheLog(TestDatabase db) throws Exception {
        // CloudNativePG's jdbc-uri key carries the password in its query string.
        String password = db.password() == null || db.password().isBlank() ? "cnpg-s3cret-Pw" : db.password();
        Map<String, String> env = WorkerProcess.env(db, "image/cnpg");
        env.remove("STEVEDORE_DB_PASSWORD");
        env.put("STEVEDORE_DB_URL", db.jdbcUrl() + (db.jdbcUrl().contains("?") ? "&" : "?") + "password=" + password);
        env.put("STEVEDORE_MIGRATE", "true");
        try (WorkerProcess worker = WorkerProcess.start("cnpg", env)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> worker.ready() || !worker.process.isAlive());
            assertThat(worker.ready()).as("log: %s", worker.log).isTrue();
            worker.signal("TERM");
            assertThat(worker.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(worker.output()).contains("password=***").doesNotContain(password);
        }
        Outcome badUrl = runWith(Map.of("STEVEDORE_DB_URL", "jdbc:postgres://db/app?password=" + password));
        assertThat(badUrl.exit()).isEqualTo(1);
        assertThat(badUrl.output()).contains("password=***").doesNotContain(password);
    }

    @Test
    void whileTheDatabaseIsUnreachableTheWorkerWaitsNotReadyInsteadOfExiting() throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("STEVEDORE_DB_URL", "jdbc:postgresql://127.0.0.1:1/app", "STEVEDORE_POOL", "image/down"));
        try (WorkerProcess worker = WorkerProcess.start("no-db", env)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> worker.get("/q/health/live") != null
                    && worker.get("/q/health/live").statusCode() == 200);
            assertThat(worker.get("/q/health/ready").statusCode()).isEqualTo(503);
            await().atMost(Duration.ofSeconds(20)).until(() -> worker.output().contains("cannot start yet, retrying"));
            assertThat(worker.process.isAlive()).isTrue();
            worker.signal("TERM");
            assertThat(worker.awaitExit(Duration.ofSeconds(30))).isZero();
            List<String> warnings = worker.output().lines().filter(l -> l.contains("cannot start yet")).toList();
            assertThat(warnings.get(0)).contains("Connection to 127.0.0.1:1 refused");
        }
    }
}
