package dev.stevedore.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stevedore.bench.peers.DbSchedulerQueue;
import dev.stevedore.bench.peers.JobRunrQueue;
import dev.stevedore.bench.report.Measurement;
import dev.stevedore.bench.report.Report;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark's short mode: every measurement of the full run, on a small N and one round, so it cannot rot. */
class SideBySideIT {

    @Test
    void everySystemAndTheLimitAreMeasuredAndCharted() throws Exception {
        Path output = Path.of("target", "bench-short");
        Report report = SideBySide.run(new SideBySide.Settings(2_000, 16, 1, 20, 10, 1, 10, output),
                List.of(StevedoreQueue::new, DbSchedulerQueue::new, JobRunrQueue::new));
        System.out.println(report.toText());

        List<String> systems = List.of("Stevedore", "db-scheduler", "JobRunr");
        for (String system : systems) {
            String name = report.section(SideBySide.THROUGHPUT).stream().map(Measurement::subject).filter(s -> s.startsWith(system))
                    .findFirst().orElseThrow(() -> new AssertionError(system + " has no throughput row"));
            for (String section : List.of(SideBySide.THROUGHPUT, SideBySide.ENQUEUE_BATCHED, SideBySide.ENQUEUE_SINGLE)) {
                assertThat(report.find(section, name, "jobs/s")).as(section + " of " + name).hasValueSatisfying(m -> assertThat(m.median()).isPositive());
            }
            double p50 = report.find(SideBySide.PICKUP, name, "p50 ms").orElseThrow().median();
            double p99 = report.find(SideBySide.PICKUP, name, "p99 ms").orElseThrow().median();
            assertThat(p50).as(name + " pickup p50").isPositive().isLessThanOrEqualTo(p99);
        }
        assertThat(report.section(SideBySide.LIMIT)).hasSize(6).allSatisfy(m -> assertThat(m.median()).isPositive());
        assertThat(report.section(SideBySide.RATIOS)).hasSize(3);

        assertThat(report.section(StevedoreAlone.SCALING)).hasSize(3).allSatisfy(m -> assertThat(m.median()).isPositive());
        // A backlog elsewhere must not slow the claim: before V3, statistics that did not know the worker's queues made
        // every claim read the whole backlog (91 jobs/s here, against thousands). A quarter leaves room for noise.
        double alone = report.find(SideBySide.THROUGHPUT, "Stevedore", "jobs/s").orElseThrow().median();
        assertThat(report.section(StevedoreAlone.BACKLOG)).singleElement().satisfies(m -> assertThat(m.median()).isGreaterThan(alone / 4));
        assertThat(report.section(StevedoreAlone.LIMITED)).hasSize(2).allSatisfy(m -> assertThat(m.median()).isPositive());
        // Dead by heartbeat: never before the alive threshold, and within it plus one prune interval and a claim's slack.
        assertThat(report.find(StevedoreAlone.PRUNE, "heartbeat 2 s, alive 10 s (defaults)", "s").orElseThrow().median()).isBetween(7.0, 17.0);
        assertThat(report.find(StevedoreAlone.PRUNE, "heartbeat 1 s, alive 5 s", "s").orElseThrow().median()).isBetween(3.5, 9.0);
        assertThat(report.section(StevedoreAlone.SUSTAINED)).hasSize(2).allSatisfy(m -> assertThat(m.median()).isPositive());

        assertThat(Files.readString(output.resolve("results.md"))).contains(SideBySide.THROUGHPUT, "Stevedore", "db-scheduler", "JobRunr");
        assertThat(Files.readString(output.resolve("throughput.svg"))).contains("<svg", "Stevedore", "JobRunr", "pgbench");
        assertThat(Files.readString(output.resolve("pickup-latency.svg"))).contains("<svg", "Stevedore", "db-scheduler");
    }
}
