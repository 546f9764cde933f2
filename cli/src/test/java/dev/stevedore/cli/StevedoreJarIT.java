package dev.stevedore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The packaged cli/target/stevedore.jar, run with java -jar as the README says. */
@ExtendWith(PostgresExtension.class)
class StevedoreJarIT {

    record Run(int exit, String out) {}

    private static Run java(TestDatabase db, String... args) throws Exception {
        Path jar = Path.of("target", "stevedore.jar");
        assertThat(jar).exists();
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("STEVEDORE_DB_URL", db.jdbcUrl());
        pb.environment().put("STEVEDORE_DB_USER", db.user());
        pb.environment().put("STEVEDORE_DB_PASSWORD", db.password());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    @Test
    void theRunnableJarMigratesEnqueuesAndReports(TestDatabase db) throws Exception {
        assertThat(java(db, "migrate").out()).containsPattern("applied \\d+ migrations?");
        assertThat(java(db, "enqueue", "--queue", "q", "--handler", "h", "--count", "25").out()).contains("enqueued 25 jobs");
        Run stats = java(db, "stats", "-o", "json");
        assertThat(stats.exit()).isZero();
        assertThat(stats.out()).contains("\"available\" : 25").doesNotContain("SLF4J");
        Run bad = java(db, "jobs", "show", "999999");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.out().trim()).isEqualTo("stevedore: job 999999 not found");
        assertThat(Files.size(Path.of("target", "stevedore.jar"))).isGreaterThan(1_000_000);
    }
}
