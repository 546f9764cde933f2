package com.example.reports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.cli.StevedoreCli;
import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The example's packaged worker picks up the application's own handler beside the built-in ones. */
@ExtendWith(PostgresExtension.class)
class ReportsWorkerIT {

    @Test
    void theApplicationHandlerRunsJobs(TestDatabase db) throws Exception {
        Map<String, String> env = Map.of("STEVEDORE_DB_URL", db.jdbcUrl(), "STEVEDORE_DB_USER", db.user(), "STEVEDORE_DB_PASSWORD", db.password());
        assertThat(cli(env, "migrate")).contains("applied");
        Path log = Files.createDirectories(Path.of("target", "worker-logs")).resolve("reports.log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", "quarkus-run.jar")
                .directory(Path.of("target", "quarkus-app").toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        pb.environment().put("STEVEDORE_POOL", "example/reports");
        pb.environment().put("QUARKUS_HTTP_PORT", "0");
        Process worker = pb.start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(log).contains("worker started as process"));
            assertThat(Files.readString(log)).contains("handlers: http, monthly-report");
            cli(env, "enqueue", "--queue", "reports", "--handler", "monthly-report", "--args", "{\"month\": \"2026-11\", \"pages\": 3}");
            cli(env, "enqueue", "--queue", "reports", "--handler", "monthly-report", "--args", "{\"month\": \"November\"}");

            await().atMost(Duration.ofSeconds(30)).until(() -> cli(env, "stats", "-o", "json").replaceAll("\\s", "").contains("\"completed\":1")
                    && cli(env, "stats", "-o", "json").replaceAll("\\s", "").contains("\"failed\":1"));
            assertThat(cli(env, "jobs", "list", "--state", "completed", "-o", "json")).contains("monthly-report");
            assertThat(cli(env, "jobs", "list", "--state", "failed", "-o", "json")).contains("args.month must look like 2026-11");
        } finally {
            worker.destroy();
        }
    }

    private static String cli(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = StevedoreCli.execute(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
        assertThat(exit).as(err.toString()).isZero();
        return out.toString();
    }
}
