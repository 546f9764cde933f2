package dev.stevedore.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.stevedore.bench.peers.DbSchedulerQueue;
import dev.stevedore.bench.peers.JobRunrQueue;
import dev.stevedore.bench.report.Charts;
import dev.stevedore.bench.report.Measurement;
import dev.stevedore.bench.report.Report;
import dev.stevedore.testkit.postgres.LocalPostgresCluster;
import dev.stevedore.testkit.postgres.PostgresLocator;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Stevedore, db-scheduler and JobRunr on one durable PostgreSQL server (fsync and synchronous_commit on), each on a
 * database of its own, measured in interleaved rounds (the order rotates each round), then the pgbench limit of the
 * same server. Prints a table, and writes results.{md,txt,tsv} and two SVG charts into {@code bench.output}.
 *
 * <p>Settings (system properties): {@code bench.jobs} (drained per round), {@code bench.threads} (every system's worker),
 * {@code bench.rounds}, {@code bench.latencySamples}, {@code bench.latencyBudgetSeconds} (per system and round: a system
 * that polls every few seconds gets fewer samples), {@code bench.pgbenchSeconds}, {@code bench.output}.
 */
public final class SideBySide {

    static final String THROUGHPUT = "No-op throughput";
    static final String ENQUEUE_BATCHED = "Enqueue, batches of 1,000";
    static final String ENQUEUE_SINGLE = "Enqueue, one call per job";
    static final String PICKUP = "Pickup latency, single jobs into an idle queue";
    static final String LIMIT = "The limit: pgbench, insert + claim (SKIP LOCKED) + finish";
    static final String RATIOS = "Ratios, taken within each round";

    record Settings(int jobs, int threads, int rounds, int latencySamples, int latencyBudgetSeconds, int pgbenchSeconds, int sustainedSeconds,
                    Path output) {
        static Settings fromSystemProperties() {
            return new Settings(Integer.getInteger("bench.jobs", 100_000), Integer.getInteger("bench.threads", 64),
                    Integer.getInteger("bench.rounds", 3), Integer.getInteger("bench.latencySamples", 300),
                    Integer.getInteger("bench.latencyBudgetSeconds", 60), Integer.getInteger("bench.pgbenchSeconds", 10),
                    Integer.getInteger("bench.sustainedSeconds", 120), Path.of(System.getProperty("bench.output", "target/bench")));
        }
    }

    /** Samples by section, subject and metric, one per round, in the order first recorded. */
    static final class Samples {
        private final Map<String, List<Double>> values = new LinkedHashMap<>();
        private final Map<String, String[]> keys = new LinkedHashMap<>();

        void record(String section, String subject, String metric, double value) {
            String key = section + "|" + subject + "|" + metric;
            keys.putIfAbsent(key, new String[] {section, subject, metric});
            values.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }

        List<Double> get(String section, String subject, String metric) {
            return values.get(section + "|" + subject + "|" + metric);
        }

        void add(Report report, String section, String subject, String metric) {
            List<Double> v = get(section, subject, metric);
            if (v != null) {
                report.add(new Measurement(section, subject, metric, v));
            }
        }

        /** Every series of {@code section}, in the order first recorded. */
        void addSection(Report report, String section) {
            keys.values().stream().filter(k -> k[0].equals(section)).forEach(k -> add(report, k[0], k[1], k[2]));
        }
    }

    public static void main(String[] args) throws Exception {
        Report report = run(Settings.fromSystemProperties(), List.of(StevedoreQueue::new, DbSchedulerQueue::new, JobRunrQueue::new));
        System.out.println(report.toText());
    }

    static Report run(Settings settings, List<Supplier<QueueUnderTest>> systems) throws Exception {
        Path binaries = PostgresLocator.findLocalBinaries(System.getenv("PATH"))
                .orElseThrow(() -> new IllegalStateException(PostgresLocator.NOTHING_FOUND));
        LocalPostgresCluster cluster = LocalPostgresCluster.create(binaries, true);
        Report report = new Report("Stevedore side by side");
        Samples samples = new Samples();
        StevedoreAlone alone = new StevedoreAlone(cluster, settings);
        try {
            configureAsAQueueDatabase(cluster);
            describeMachine(report, cluster, settings);
            List<String> names = new ArrayList<>();
            for (Supplier<QueueUnderTest> system : systems) {
                warmUp(cluster, system.get(), settings);
            }
            for (int round = 0; round < settings.rounds(); round++) {
                for (int k = 0; k < systems.size(); k++) {
                    QueueUnderTest system = systems.get((k + round) % systems.size()).get();
                    String database = "bench_" + system.name().replaceAll("[^A-Za-z]", "").toLowerCase() + "_" + round;
                    TestDatabase db = cluster.server().createDatabase(database);
                    try (HikariDataSource ds = dataSource(db); system) {
                        system.install(ds);
                        if (round == 0) {
                            names.add(system.name());
                            report.header(system.name() + ": " + system.configuration());
                        }
                        measure(system, settings, samples);
                    } finally {
                        cluster.server().dropDatabase(database);
                    }
                }
                limit(cluster, binaries, settings, samples);
                alone.measureRound(samples);
            }
            for (String name : names) {
                samples.add(report, THROUGHPUT, name, "jobs/s");
            }
            for (String name : names) {
                samples.add(report, ENQUEUE_BATCHED, name, "jobs/s");
                samples.add(report, ENQUEUE_SINGLE, name, "jobs/s");
            }
            for (String name : names) {
                for (String p : List.of("p50 ms", "p95 ms", "p99 ms")) {
                    samples.add(report, PICKUP, name, p);
                }
                List<Double> counts = samples.get(PICKUP, name, "samples");
                report.header(name + ": pickup latency from " + counts.stream().map(c -> Integer.toString(c.intValue())).toList()
                        + " samples per round (at most " + settings.latencyBudgetSeconds() + " s of sampling per round)");
            }
            samples.addSection(report, LIMIT);
            ratios(report, names);
            for (String section : List.of(StevedoreAlone.SCALING, StevedoreAlone.BACKLOG, StevedoreAlone.LIMITED, StevedoreAlone.PRUNE)) {
                samples.addSection(report, section);
            }
            alone.measureSustained(report);
            writeCharts(report, names, settings.output());
            report.writeTo(settings.output());
            return report;
        } finally {
            cluster.stop();
        }
    }

    static HikariDataSource dataSource(TestDatabase db) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setUsername(db.user());
        config.setPassword(db.password());
        config.setMaximumPoolSize(20);
        return new HikariDataSource(config);
    }

    /**
     * A round that is not counted: the JIT compiles each system's hot paths during its first drain (the compiler
     * threads took a third of the CPU in the first 100,000 jobs), and a worker in production runs warm.
     */
    private static void warmUp(LocalPostgresCluster cluster, QueueUnderTest system, Settings settings) throws Exception {
        int jobs = Math.max(1_000, settings.jobs() / 2);
        TestDatabase db = cluster.server().createDatabase("bench_warm_up");
        try (HikariDataSource ds = dataSource(db); system) {
            system.install(ds);
            system.enqueueBatched(0, jobs, 1_000);
            CountDownLatch drained = new CountDownLatch(jobs);
            try (AutoCloseable worker = system.startWorker(settings.threads(), seq -> drained.countDown())) {
                if (!drained.await(15, TimeUnit.MINUTES)) {
                    throw new IllegalStateException(system.name() + ": warm-up drain did not finish in 15 minutes");
                }
            }
            system.enqueueSingly(jobs, Math.max(100, jobs / 50));
        } finally {
            cluster.server().dropDatabase("bench_warm_up");
        }
    }

    /** One round of one system: batched enqueue, drain, enqueue one by one, pickup latency. */
    private static void measure(QueueUnderTest system, Settings settings, Samples samples) throws Exception {
        String name = system.name();
        int jobs = settings.jobs();
        long start = System.nanoTime();
        system.enqueueBatched(0, jobs, 1_000);
        samples.record(ENQUEUE_BATCHED, name, "jobs/s", jobs / seconds(start));

        CountDownLatch drained = new CountDownLatch(jobs);
        start = System.nanoTime();
        try (AutoCloseable worker = system.startWorker(settings.threads(), seq -> drained.countDown())) {
            if (!drained.await(15, TimeUnit.MINUTES)) {
                throw new IllegalStateException(name + ": " + drained.getCount() + " of " + jobs + " jobs still unrun after 15 minutes");
            }
            // Finished means committed as finished, not only run.
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (system.unfinished() > 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(name + ": every job ran, but " + system.unfinished() + " are not finished after 5 minutes");
                }
                Thread.sleep(5);
            }
            samples.record(THROUGHPUT, name, "jobs/s", jobs / seconds(start));
        }

        system.reset();
        int single = Math.max(100, jobs / 20);
        start = System.nanoTime();
        system.enqueueSingly(0, single);
        samples.record(ENQUEUE_SINGLE, name, "jobs/s", single / seconds(start));
        system.reset();

        pickup(system, settings, samples);
        system.reset();
    }

    private static void pickup(QueueUnderTest system, Settings settings, Samples samples) throws Exception {
        Map<Integer, Long> ranAt = new ConcurrentHashMap<>();
        Object ran = new Object();
        List<Double> latencies = new ArrayList<>();
        try (AutoCloseable worker = system.startWorker(settings.threads(), seq -> {
            ranAt.put(seq, System.nanoTime());
            synchronized (ran) {
                ran.notifyAll();
            }
        })) {
            long budgetEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.latencyBudgetSeconds());
            for (int i = 0; i < settings.latencySamples(); i++) {
                if (i >= 3 && System.nanoTime() > budgetEnd) {
                    break;
                }
                // An idle queue: the previous job has run and the worker waits for the next.
                Thread.sleep(ThreadLocalRandom.current().nextInt(2, 6));
                long before = System.nanoTime();
                system.enqueueSingly(i, 1);
                long deadline = before + TimeUnit.SECONDS.toNanos(120);
                synchronized (ran) {
                    while (!ranAt.containsKey(i)) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            throw new IllegalStateException(system.name() + ": job " + i + " was not picked up within 120 s");
                        }
                        TimeUnit.NANOSECONDS.timedWait(ran, left);
                    }
                }
                latencies.add((ranAt.get(i) - before) / 1e6);
            }
        }
        double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        samples.record(PICKUP, system.name(), "p50 ms", percentile(sorted, 50));
        samples.record(PICKUP, system.name(), "p95 ms", percentile(sorted, 95));
        samples.record(PICKUP, system.name(), "p99 ms", percentile(sorted, 99));
        samples.record(PICKUP, system.name(), "samples", sorted.length);
    }

    /** Nearest-rank percentile. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static void limit(LocalPostgresCluster cluster, Path binaries, Settings settings, Samples samples) throws Exception {
        String database = "bench_limit";
        cluster.server().createDatabase(database);
        try {
            PgbenchLimit pgbench = new PgbenchLimit(binaries, "127.0.0.1", cluster.port(), cluster.server().user(), database,
                    settings.output().resolve("pgbench"));
            for (int batch : new int[] {1, 100}) {
                for (int clients : new int[] {1, 2, 4}) {
                    samples.record(LIMIT, "batch " + batch + ", " + clients + (clients == 1 ? " client" : " clients"), "jobs/s",
                            pgbench.jobsPerSecond(batch, clients, settings.pgbenchSeconds()));
                }
            }
        } finally {
            cluster.server().dropDatabase(database);
        }
    }

    /** Stevedore over each peer, and over the best pgbench configuration, within each round. */
    private static void ratios(Report report, List<String> names) {
        String stevedore = names.get(0);
        for (String peer : names.subList(1, names.size())) {
            List<Double> perRound = report.roundRatios(THROUGHPUT, stevedore, peer, "jobs/s");
            report.add(new Measurement(RATIOS, stevedore + " / " + peer, "no-op throughput ×", perRound));
        }
        List<Measurement> limits = report.section(LIMIT);
        Measurement stevedoreThroughput = report.find(THROUGHPUT, stevedore, "jobs/s").orElseThrow();
        List<Double> fraction = new ArrayList<>();
        for (int round = 0; round < stevedoreThroughput.rounds(); round++) {
            int r = round;
            double best = limits.stream().mapToDouble(m -> m.samples().get(r)).max().orElseThrow();
            fraction.add(stevedoreThroughput.samples().get(round) / best);
        }
        report.add(new Measurement(RATIOS, stevedore + " / best pgbench limit", "fraction of the limit ×", fraction));
    }

    private static void writeCharts(Report report, List<String> names, Path output) throws Exception {
        List<Measurement> bars = new ArrayList<>(report.section(THROUGHPUT));
        report.section(LIMIT).stream().filter(m -> m.subject().startsWith("batch 100"))
                .map(m -> new Measurement(m.section(), "pgbench limit, " + m.subject(), m.metric(), m.samples()))
                .forEach(bars::add);
        Charts.write(output.resolve("throughput.svg"), Charts.barChart("No-op jobs per second, one worker process (median of rounds, line: min–max)",
                "jobs/s", bars));
        Map<String, double[]> percentiles = new LinkedHashMap<>();
        for (String name : names) {
            percentiles.put(name, List.of("p50 ms", "p95 ms", "p99 ms").stream()
                    .mapToDouble(p -> report.find(PICKUP, name, p).map(Measurement::median).orElse(Double.NaN)).toArray());
        }
        Charts.write(output.resolve("pickup-latency.svg"), Charts.groupedLatencyChart("Pickup latency, enqueue call to handler start (median of rounds)",
                names, percentiles, List.of("p50", "p95", "p99")));
    }

    /**
     * The one setting the README's operations section gives a server whose database serves a busy queue: autovacuum
     * looks at each database every 10 s instead of every minute ({@code bench.autovacuumNaptime}). Every system here
     * deletes or rewrites a row per job, so it serves them all; without it, the claims of each slow down for a minute
     * at a time, until the next vacuum.
     */
    private static void configureAsAQueueDatabase(LocalPostgresCluster cluster) throws Exception {
        // -Dbench.autovacuumNaptime=1min gives the server's default, to see the difference.
        String naptime = System.getProperty("bench.autovacuumNaptime", "10s");
        if (!naptime.matches("[0-9]+(ms|s|min|h)?")) {
            throw new IllegalArgumentException("bench.autovacuumNaptime: '" + naptime + "' is not a duration such as 10s or 1min");
        }
        try (Connection c = cluster.server().connectAdmin(); Statement s = c.createStatement()) {
            s.execute("ALTER SYSTEM SET autovacuum_naptime = '" + naptime + "'");
            s.execute("SELECT pg_reload_conf()");
        }
    }

    private static void describeMachine(Report report, LocalPostgresCluster cluster, Settings settings) throws Exception {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown CPU");
        long memKb = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(0);
        report.header("Date: " + LocalDate.now());
        report.header("Machine: " + cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores, " + Math.round(memKb / 1048576.0) + " GiB");
        try (Connection c = cluster.server().connectAdmin(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT version(), current_setting('fsync'), current_setting('synchronous_commit'), "
                     + "current_setting('shared_buffers'), current_setting('wal_sync_method'), current_setting('autovacuum_naptime')")) {
            rs.next();
            report.header("PostgreSQL: " + rs.getString(1).split(" on ")[0] + ", local, fsync=" + rs.getString(2) + ", synchronous_commit="
                    + rs.getString(3) + ", shared_buffers=" + rs.getString(4) + ", wal_sync_method=" + rs.getString(5)
                    + ", autovacuum_naptime=" + rs.getString(6));
        }
        report.header("Java " + System.getProperty("java.version") + "; the clients run in one JVM, on the same machine as the server");
        report.header("Each round: " + String.format("%,d", settings.jobs()) + " jobs enqueued in batches of 1,000, then drained by one worker of "
                + settings.threads() + " threads; " + settings.rounds() + " rounds, the systems' order rotating, after one uncounted warm-up "
                + "round per system (JIT)");
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private SideBySide() {}
}
