package dev.stevedore.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.stevedore.bench.report.Measurement;
import dev.stevedore.bench.report.Report;
import dev.stevedore.queue.HandlerRegistry;
import dev.stevedore.queue.JobClient;
import dev.stevedore.queue.NewJob;
import dev.stevedore.queue.ProcessIdentity;
import dev.stevedore.queue.QueueListener;
import dev.stevedore.queue.QueueMigrator;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.queue.Worker;
import dev.stevedore.queue.WorkerConfig;
import dev.stevedore.testkit.postgres.LocalPostgresCluster;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The measurements only Stevedore gets: several worker processes on one database, a backlog in a queue the worker
 * does not serve, a sustained run with retention deleting, and prune latency after SIGKILL. Each is a round of its
 * own on a fresh database of the shared server.
 */
final class StevedoreAlone {

    static final String SCALING = "Stevedore: worker processes on one database";
    static final String BACKLOG = "Stevedore: 300,000 older jobs in a queue the worker does not serve";
    static final String SUSTAINED = "Stevedore: sustained full rate, retention deleting";
    static final String PRUNE = "Stevedore: prune latency, SIGKILL to ProcessPrunedError committed";
    static final String LIMITED = "Stevedore: jobs with a concurrency limit";

    private static final QueueSchema SCHEMA = QueueSchema.DEFAULT;
    private final LocalPostgresCluster cluster;
    private final SideBySide.Settings settings;

    StevedoreAlone(LocalPostgresCluster cluster, SideBySide.Settings settings) {
        this.cluster = cluster;
        this.settings = settings;
    }

    private interface Work {
        void run(TestDatabase db, HikariDataSource ds) throws Exception;
    }

    private void onFreshDatabase(String name, Work work) throws Exception {
        TestDatabase db = cluster.server().createDatabase(name);
        try (HikariDataSource ds = SideBySide.dataSource(db)) {
            QueueMigrator.migrate(ds, SCHEMA);
            work.run(db, ds);
        } finally {
            cluster.server().dropDatabase(name);
        }
    }

    /** {@code processes} worker JVMs of {@code settings.threads()} threads each drain one backlog committed at once. */
    double drainWithProcesses(int processes) throws Exception {
        double[] rate = new double[1];
        onFreshDatabase("bench_processes", (db, ds) -> {
            List<Process> children = new ArrayList<>();
            try {
                for (int i = 0; i < processes; i++) {
                    children.add(startChild(db, "bench/scaling", "bench", settings.threads(), 2_000, 10_000));
                }
                // Warm-up: each JVM compiles its hot paths on jobs that are not counted.
                insertInOneStatement(ds, "bench", Math.max(2_000, settings.jobs() / 5) * processes);
                awaitDrained(ds);
                long start = insertInOneStatement(ds, "bench", settings.jobs());
                awaitDrained(ds);
                rate[0] = settings.jobs() / ((System.nanoTime() - start) / 1e9);
            } finally {
                for (Process child : children) {
                    child.destroy();
                }
                for (Process child : children) {
                    if (!child.waitFor(30, TimeUnit.SECONDS)) {
                        child.destroyForcibly();
                    }
                }
            }
        });
        return rate[0];
    }

    /** Jobs/s of a warm in-process worker of queues mail + sms, with 300,000 older jobs waiting in queue backlog. */
    double drainNextToBacklog() throws Exception {
        double[] rate = new double[1];
        onFreshDatabase("bench_backlog", (db, ds) -> {
            sql(ds, "INSERT INTO stevedore.jobs (queue, handler, state, run_at) SELECT 'backlog', 'noop', 'available', "
                    + "now() - interval '1 day' + g * interval '1 millisecond' FROM generate_series(1, 300000) g");
            sql(ds, "ANALYZE stevedore.jobs");
            WorkerConfig config = WorkerConfig.builder(ProcessIdentity.local("bench/backlog")).queues(List.of("mail", "sms"))
                    .threads(settings.threads()).build();
            try (Worker worker = Worker.start(ds, SCHEMA, config, HandlerRegistry.builder().register("noop", job -> {}).build(), QueueListener.NONE)) {
                long start = insertInOneStatement(ds, "mail,sms", settings.jobs());
                awaitDrained(ds, "queue IN ('mail', 'sms')");
                rate[0] = settings.jobs() / ((System.nanoTime() - start) / 1e9);
            }
        });
        return rate[0];
    }

    /**
     * Jobs/s of a warm in-process worker draining jobs spread evenly over {@code keys} concurrency keys of {@code limit}
     * each: every claim of them takes its keys' locks and counts their running jobs.
     */
    double drainLimited(int keys, int limit) throws Exception {
        double[] rate = new double[1];
        onFreshDatabase("bench_limited", (db, ds) -> {
            WorkerConfig config = WorkerConfig.builder(ProcessIdentity.local("bench/limited")).queues(List.of("bench"))
                    .threads(settings.threads()).build();
            try (Worker worker = Worker.start(ds, SCHEMA, config, HandlerRegistry.builder().register("noop", job -> {}).build(), QueueListener.NONE)) {
                // Warm-up on jobs that are not counted.
                insertLimited(ds, Math.max(2_000, settings.jobs() / 10), keys, limit);
                awaitDrained(ds);
                long start = insertLimited(ds, settings.jobs(), keys, limit);
                awaitDrained(ds);
                rate[0] = settings.jobs() / ((System.nanoTime() - start) / 1e9);
            }
        });
        return rate[0];
    }

    private static long insertLimited(HikariDataSource ds, int count, int keys, int limit) throws Exception {
        sql(ds, "INSERT INTO stevedore.jobs (queue, handler, state, concurrency_key, concurrency_limit) SELECT 'bench', 'noop', 'available', "
                + "'account:' || g % " + keys + ", " + limit + " FROM generate_series(1, " + count + ") g");
        return System.nanoTime();
    }

    /**
     * A warm worker at full rate for {@code seconds}: an enqueuer keeps 20,000 jobs waiting, retention keeps completed
     * jobs 10 s. Returns the completions of each 10 s window, and the table's size (MB) at the end of each window.
     */
    List<double[]> sustained(int seconds) throws Exception {
        List<double[]> windows = new ArrayList<>();
        onFreshDatabase("bench_sustained", (db, ds) -> {
            AtomicLong completed = new AtomicLong();
            QueueListener counting = new QueueListener() {
                @Override
                public void jobCompleted(String queue, String handler, Duration runtime) {
                    completed.incrementAndGet();
                }
            };
            WorkerConfig config = WorkerConfig.builder(ProcessIdentity.local("bench/sustained")).queues(List.of("bench"))
                    .threads(settings.threads()).completedRetention(Duration.ofSeconds(10)).build();
            AtomicBoolean enqueuing = new AtomicBoolean(true);
            AtomicReference<Exception> enqueueFailure = new AtomicReference<>();
            JobClient client = new JobClient(ds, SCHEMA);
            List<NewJob> batch = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                batch.add(NewJob.of("bench", "noop").build());
            }
            Thread enqueuer = new Thread(() -> {
                try {
                    while (enqueuing.get()) {
                        if (count(ds, "state = 'available'") < 20_000) {
                            client.enqueueAll(batch);
                        } else {
                            Thread.sleep(10);
                        }
                    }
                } catch (Exception e) {
                    if (enqueuing.get()) {
                        enqueueFailure.set(e);
                    }
                }
            }, "bench-enqueuer");
            try (Worker worker = Worker.start(ds, SCHEMA, config, HandlerRegistry.builder().register("noop", job -> {}).build(), counting)) {
                enqueuer.start();
                long windowNanos = TimeUnit.SECONDS.toNanos(10);
                long next = System.nanoTime() + windowNanos;
                long before = completed.get();
                for (int w = 0; w < Math.max(1, seconds / 10); w++) {
                    TimeUnit.NANOSECONDS.sleep(next - System.nanoTime());
                    long now = completed.get();
                    windows.add(new double[] {(now - before) / 10.0, tableMegabytes(ds)});
                    before = now;
                    next += windowNanos;
                }
            } finally {
                enqueuing.set(false);
                enqueuer.join(TimeUnit.SECONDS.toMillis(30));
            }
            if (enqueueFailure.get() != null) {
                throw new IllegalStateException("the sustained run's enqueuer failed, so its windows mean nothing", enqueueFailure.get());
            }
        });
        return windows;
    }

    /**
     * Seconds from SIGKILL of a worker holding a job to that job failed with ProcessPrunedError, pruned by a peer of
     * its pool from heartbeats alone (no Kubernetes here), at the given heartbeat interval and alive threshold.
     */
    double pruneLatency(Duration heartbeat, Duration alive) throws Exception {
        double[] seconds = new double[1];
        onFreshDatabase("bench_prune", (db, ds) -> {
            WorkerConfig peerConfig = WorkerConfig.builder(ProcessIdentity.local("bench/prune")).queues(List.of("other")).threads(1)
                    .heartbeatInterval(heartbeat).aliveThreshold(alive).build();
            try (Worker peer = Worker.start(ds, SCHEMA, peerConfig, HandlerRegistry.builder().build(), QueueListener.NONE)) {
                Process child = startChild(db, "bench/prune", "hold", 1, heartbeat.toMillis(), alive.toMillis());
                try {
                    new JobClient(ds, SCHEMA).enqueue(NewJob.of("hold", "hold").build());
                    awaitCount(ds, "state = 'running'", 1);
                    // The peer judges others only after its own heartbeats have held for a whole alive threshold.
                    long settledAt = System.nanoTime() + alive.toNanos() + heartbeat.toNanos();
                    while (System.nanoTime() < settledAt) {
                        Thread.sleep(50);
                    }
                    long killed = System.nanoTime();
                    child.destroyForcibly(); // SIGKILL
                    awaitCount(ds, "state = 'failed' AND errors -> -1 ->> 'class' = 'ProcessPrunedError'", 1);
                    seconds[0] = (System.nanoTime() - killed) / 1e9;
                } finally {
                    child.destroyForcibly();
                    child.waitFor(30, TimeUnit.SECONDS);
                }
            }
        });
        return seconds[0];
    }

    /** Adds every Stevedore-only measurement of one round to the samples. */
    void measureRound(SideBySide.Samples samples) throws Exception {
        for (int processes : new int[] {1, 2, 4}) {
            samples.record(SCALING, processes + (processes == 1 ? " process" : " processes") + " × " + settings.threads() + " threads", "jobs/s",
                    drainWithProcesses(processes));
        }
        samples.record(BACKLOG, "worker of mail + sms, " + settings.threads() + " threads", "jobs/s", drainNextToBacklog());
        samples.record(LIMITED, "1,000 keys, limit 2 each, " + settings.threads() + " threads", "jobs/s", drainLimited(1_000, 2));
        samples.record(LIMITED, "8 keys, limit 4 each (32 of " + settings.threads() + " threads may run)", "jobs/s", drainLimited(8, 4));
        samples.record(PRUNE, "heartbeat 2 s, alive 10 s (defaults)", "s", pruneLatency(Duration.ofSeconds(2), Duration.ofSeconds(10)));
        samples.record(PRUNE, "heartbeat 1 s, alive 5 s", "s", pruneLatency(Duration.ofSeconds(1), Duration.ofSeconds(5)));
    }

    /** The sustained run, once: its windows are its samples. */
    void measureSustained(Report report) throws Exception {
        List<double[]> windows = sustained(settings.sustainedSeconds());
        List<Double> rates = windows.stream().map(w -> w[0]).toList();
        List<Double> sizes = windows.stream().map(w -> w[1]).toList();
        report.add(new Measurement(SUSTAINED, "completions per 10 s window", "jobs/s", rates)
                .withNote(windows.size() + " windows of 10 s; spread = slowest to fastest window"));
        report.add(new Measurement(SUSTAINED, "jobs table and its indexes, end of each window", "MB", sizes)
                .withNote("first window " + Report.format("MB", sizes.get(0)) + " MB, last " + Report.format("MB", sizes.get(sizes.size() - 1)) + " MB"));
    }

    // --- helpers ---------------------------------------------------------------------------------

    private static Process startChild(TestDatabase db, String pool, String queues, int threads, long heartbeatMs, long aliveMs) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-Xmx512m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp",
                System.getProperty("java.class.path"), BenchWorkerProcess.class.getName(), db.jdbcUrl(), db.user(), pool, queues,
                Integer.toString(threads), Long.toString(heartbeatMs), Long.toString(aliveMs))
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.startsWith("READY ")) {
            // startup output
        }
        if (line == null) {
            throw new IllegalStateException("a bench worker process exited before it was ready (exit " + process.waitFor() + ")");
        }
        Thread drain = new Thread(() -> {
            try {
                while (out.readLine() != null) {
                    // keep the pipe empty
                }
            } catch (Exception ignored) {
                // the process ended
            }
        });
        drain.setDaemon(true);
        drain.start();
        return process;
    }

    /** Inserts {@code count} no-op jobs spread over {@code queues} in one statement; returns the nanoTime after its commit. */
    private static long insertInOneStatement(HikariDataSource ds, String queues, int count) throws Exception {
        sql(ds, "INSERT INTO stevedore.jobs (queue, handler, state) SELECT (string_to_array('" + queues + "', ','))[1 + g % "
                + queues.split(",").length + "], 'noop', 'available' FROM generate_series(1, " + count + ") g");
        return System.nanoTime();
    }

    private static void awaitDrained(HikariDataSource ds) throws Exception {
        awaitDrained(ds, "true");
    }

    /** Polls every 50 ms, through the partial indexes of available and held jobs, until none is left. */
    private static void awaitDrained(HikariDataSource ds, String where) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
        while (count(ds, "state = 'available' AND " + where) + count(ds, "claimed_by IS NOT NULL AND " + where) > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("jobs were not drained within 15 minutes");
            }
            Thread.sleep(50);
        }
    }

    private static void awaitCount(HikariDataSource ds, String where, long expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (count(ds, where) < expected) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no job with " + where + " within 2 minutes");
            }
            Thread.sleep(10);
        }
    }

    private static long count(HikariDataSource ds, String where) throws Exception {
        return BenchSql.number(ds, "SELECT count(*) FROM stevedore.jobs WHERE " + where);
    }

    private static double tableMegabytes(HikariDataSource ds) throws Exception {
        return BenchSql.number(ds, "SELECT pg_total_relation_size('stevedore.jobs')") / 1048576.0;
    }

    private static void sql(HikariDataSource ds, String sql) throws Exception {
        BenchSql.execute(ds, sql);
    }
}
