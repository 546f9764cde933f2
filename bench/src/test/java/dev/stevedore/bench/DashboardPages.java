package dev.stevedore.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.stevedore.bench.report.Measurement;
import dev.stevedore.bench.report.Report;
import dev.stevedore.dashboard.DashboardProcess;
import dev.stevedore.queue.QueueMigrator;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.testkit.postgres.LocalPostgresCluster;
import dev.stevedore.testkit.postgres.PostgresLocator;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How fast the dashboard's pages are on a jobs table of millions: a table shaped like a busy queue's day (mostly
 * completed jobs over 24 hours, a few percent failed, some of them pruned, a backlog of available jobs), then every
 * page fetched over HTTP from the packaged dashboard, as a browser would, {@code requests} times each.
 *
 * <pre>
 * ./mvnw -pl bench -am verify -Pbench-dashboard -DskipTests      # 2,000,000 jobs; figures in bench/target/bench-dashboard
 * </pre>
 */
public final class DashboardPages {

    public static final String SECTION = "Dashboard pages";

    /** The size of the table, and how often each page is fetched after a warm-up. */
    public record Settings(int jobs, int requests, Path output) {

        static Settings fromSystemProperties() {
            return new Settings(Integer.getInteger("bench.dashboard.jobs", 2_000_000), Integer.getInteger("bench.dashboard.requests", 20),
                    Path.of(System.getProperty("bench.output", "target/bench-dashboard")));
        }
    }

    private DashboardPages() {}

    public static void main(String[] args) throws Exception {
        Report report = run(Settings.fromSystemProperties(), Path.of(System.getProperty("bench.dashboard.module", "../dashboard")));
        System.out.println(report.toText());
    }

    public static Report run(Settings settings, Path dashboardModule) throws Exception {
        Path binaries = PostgresLocator.findLocalBinaries(System.getenv("PATH")).orElseThrow(() -> new IllegalStateException(PostgresLocator.NOTHING_FOUND));
        LocalPostgresCluster cluster = LocalPostgresCluster.create(binaries, true);
        Report report = new Report("Dashboard pages on " + String.format("%,d", settings.jobs()) + " jobs");
        try {
            TestDatabase db = cluster.server().createDatabase("bench_dashboard");
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(db.jdbcUrl());
            config.setUsername(db.user());
            config.setPassword(db.password());
            config.setMaximumPoolSize(2);
            try (HikariDataSource ds = new HikariDataSource(config)) {
                QueueMigrator.migrate(ds, QueueSchema.DEFAULT);
                long loadStart = System.nanoTime();
                load(ds, settings.jobs());
                report.header(String.format("table: %,d jobs (%,d completed over 24 h, %,d failed of which %,d pruned, %,d available, %,d scheduled), loaded and analyzed in %d s",
                        BenchSql.number(ds, "SELECT count(*) FROM stevedore.jobs"), BenchSql.number(ds, "SELECT count(*) FROM stevedore.jobs WHERE state = 'completed'"),
                        BenchSql.number(ds, "SELECT count(*) FROM stevedore.jobs WHERE state = 'failed'"),
                        BenchSql.number(ds, "SELECT count(*) FROM stevedore.jobs WHERE prunes > 0"),
                        BenchSql.number(ds, "SELECT count(*) FROM stevedore.jobs WHERE state = 'available'"),
                        BenchSql.number(ds, "SELECT count(*) FROM stevedore.jobs WHERE state = 'scheduled'"),
                        Duration.ofNanos(System.nanoTime() - loadStart).toSeconds()));
                long someId = BenchSql.number(ds, "SELECT max(id) / 2 FROM stevedore.jobs");
                long prunedId = BenchSql.number(ds, "SELECT max(id) FROM stevedore.jobs WHERE prunes > 0");
                try (DashboardProcess dashboard = DashboardProcess.start(dashboardModule, "bench", Map.of("STEVEDORE_DB_URL", db.jdbcUrl(),
                        "STEVEDORE_DB_USER", db.user(), "STEVEDORE_DASHBOARD_REFRESH", "0s")).awaitReady()) {
                    HttpClient http = HttpClient.newHttpClient();
                    List<String> pages = List.of("/", "/jobs", "/jobs?state=failed", "/jobs?state=failed&error=ProcessPrunedError",
                            "/jobs?state=completed&since=1h", "/jobs?before=" + someId, "/jobs/" + prunedId, "/prunes", "/prunes?window=7d", "/processes",
                            "/jobs/confirm?action=retry&state=failed&error=ProcessPrunedError", "/jobs/confirm?action=retry&state=failed");
                    for (String page : pages) {
                        report.add(new Measurement(SECTION, page, "ms", time(http, dashboard.url(page), settings.requests()), null));
                    }
                }
            }
        } finally {
            cluster.stop();
        }
        report.writeTo(settings.output());
        return report;
    }

    /** Milliseconds per request, after three unmeasured ones (JIT, connection pool, caches). */
    private static List<Double> time(HttpClient http, String url, int requests) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).build();
        List<Double> samples = new ArrayList<>();
        for (int i = -3; i < requests; i++) {
            long start = System.nanoTime();
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            double ms = (System.nanoTime() - start) / 1e6;
            if (response.statusCode() != 200) {
                throw new IllegalStateException(url + " answered " + response.statusCode() + ": " + response.body());
            }
            if (i >= 0) {
                samples.add(ms);
            }
        }
        return samples;
    }

    /**
     * A day of a busy queue, by set-based inserts: 90% completed (finished over the last 24 hours, in id order), 4%
     * failed (a tenth of them pruned, with a ProcessPrunedError as the operator writes it), 5% available in five queues,
     * 1% scheduled. Then VACUUM ANALYZE, as autovacuum would have done on a table this old.
     */
    static void load(HikariDataSource ds, int jobs) throws Exception {
        int completed = jobs * 90 / 100;
        int failed = jobs * 4 / 100;
        int available = jobs * 5 / 100;
        int scheduled = jobs - completed - failed - available;
        BenchSql.execute(ds, """
                INSERT INTO stevedore.jobs (queue, handler, args, state, run_at, created_at, claimed_at, finished_at, attempts)
                SELECT 'q' || (i %% 5), 'h' || (i %% 7), jsonb_build_object('n', i), 'completed', t - interval '2 s', t - interval '2 s', t - interval '1 s', t, 1
                FROM generate_series(1, %d) i, LATERAL (SELECT now() - interval '24 hours' + i * (interval '24 hours' / %d)) AS x(t)
                """.formatted(completed, completed));
        BenchSql.execute(ds, """
                INSERT INTO stevedore.jobs (queue, handler, args, state, run_at, created_at, claimed_at, finished_at, attempts, max_attempts, prunes, errors)
                SELECT 'q' || (i %% 5), 'h' || (i %% 7), jsonb_build_object('n', i), 'failed', t, t, t, t, 3, 3, CASE WHEN i %% 10 = 0 THEN 1 ELSE 0 END,
                    CASE WHEN i %% 10 = 0 THEN jsonb_build_array(jsonb_build_object('class', 'ProcessPrunedError', 'message', 'pruned',
                            'reason', (ARRAY['OOMKilled', 'NodeLost', 'PodDeleted', 'HeartbeatExpired'])[1 + i %% 4], 'pool', 'default/p' || (i %% 3),
                            'pod', 'p-' || (i %% 50), 'node', 'node-' || (i %% 6), 'exitCode', 137, 'signal', 'SIGKILL',
                            'lastHeartbeatAt', t - interval '5 s', 'prunedAt', t, 'attempt', 3, 'at', t))
                         ELSE jsonb_build_array(jsonb_build_object('class', 'java.io.IOException', 'message', 'connection reset', 'attempt', 3, 'at', t)) END
                FROM generate_series(1, %d) i, LATERAL (SELECT now() - interval '7 days' + i * (interval '7 days' / %d)) AS x(t)
                """.formatted(failed, failed));
        BenchSql.execute(ds, """
                INSERT INTO stevedore.jobs (queue, handler, args, state, run_at, created_at)
                SELECT 'q' || (i %% 5), 'h' || (i %% 7), jsonb_build_object('n', i), 'available', now() - interval '10 minutes', now() - interval '10 minutes'
                FROM generate_series(1, %d) i
                """.formatted(available));
        BenchSql.execute(ds, """
                INSERT INTO stevedore.jobs (queue, handler, state, run_at) SELECT 'q' || (i %% 5), 'h', 'scheduled', now() + interval '1 day'
                FROM generate_series(1, %d) i
                """.formatted(scheduled));
        BenchSql.execute(ds, "VACUUM ANALYZE stevedore.jobs");
    }
}
