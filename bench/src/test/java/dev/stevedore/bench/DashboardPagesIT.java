package dev.stevedore.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stevedore.bench.report.Measurement;
import dev.stevedore.bench.report.Report;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The dashboard benchmark's short mode: every page timed on a small table (over the exact-count limit), so it cannot rot. */
class DashboardPagesIT {

    @Test
    void everyPageIsFetchedAndTimed() throws Exception {
        Report report = DashboardPages.run(new DashboardPages.Settings(20_000, 2, Path.of("target", "bench-dashboard-short")), Path.of("..", "dashboard"));
        System.out.println(report.toText());
        assertThat(report.section(DashboardPages.SECTION)).hasSize(12).allSatisfy(m -> {
            assertThat(m.samples()).hasSize(2);
            assertThat(m.samples()).allSatisfy(ms -> assertThat(ms).isPositive());
        });
        assertThat(report.section(DashboardPages.SECTION)).extracting(Measurement::subject).contains("/", "/prunes", "/jobs?state=failed");
        assertThat(report.headerLines()).anySatisfy(line -> assertThat(line).startsWith("table: 20,000 jobs (18,000 completed"));
    }
}
