package dev.stevedore.queue.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.stevedore.queue.HandlerRegistry;
import dev.stevedore.queue.JobClient;
import dev.stevedore.queue.JobState;
import dev.stevedore.queue.NewJob;
import dev.stevedore.queue.ProcessIdentity;
import dev.stevedore.queue.QueueAdmin;
import dev.stevedore.queue.QueueListener;
import dev.stevedore.queue.QueueMigrator;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.queue.Worker;
import dev.stevedore.queue.WorkerConfig;
import dev.stevedore.testkit.postgres.LocalPostgresCluster;
import dev.stevedore.testkit.postgres.PostgresLocator;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Queue benchmarks, not tests: no-op throughput of one worker process draining a batch-enqueued backlog,
 * pickup latency of single jobs enqueued into an idle queue (enqueue call to handler start), the throughput
 * of a worker of two queues while another queue holds 300,000 older jobs, and the rate at which retention
 * deletes completed jobs.
 *
 * <p>Runs against {@code STEVEDORE_BENCH_DB_URL} (with {@code STEVEDORE_BENCH_DB_USER}/{@code _PASSWORD}), or a
 * throwaway local PostgreSQL with durable settings (fsync and synchronous_commit on). Settings:
 * {@code -Dbench.jobs=200000 -Dbench.threads=64 -Dbench.latencySamples=1000}.
 */
public final class QueueBenchmark {

    public static void main(String[] args) throws Exception {
        int jobs = Integer.getInteger("bench.jobs", 200_000);
        int threads = Integer.getInteger("bench.threads", 64);
        int samples = Integer.getInteger("bench.latencySamples", 1_000);
        String url = System.getenv("STEVEDORE_BENCH_DB_URL");
        LocalPostgresCluster cluster = null;
        String user = System.getenv("STEVEDORE_BENCH_DB_USER");
        String password = System.getenv("STEVEDORE_BENCH_DB_PASSWORD");
        if (url == null || url.isBlank()) {
            cluster = LocalPostgresCluster.create(PostgresLocator.findLocalBinaries(System.getenv("PATH"))
                    .orElseThrow(() -> new IllegalStateException(PostgresLocator.NOTHING_FOUND)), true);
            url = cluster.server().createDatabase("bench").jdbcUrl();
            user = cluster.server().user();
            password = cluster.server().password();
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(16);
        try (HikariDataSource ds = new HikariDataSource(config)) {
            QueueSchema schema = new QueueSchema("stevedore_bench");
            QueueMigrator.migrate(ds, schema);
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("TRUNCATE stevedore_bench.jobs, stevedore_bench.processes");
                var rs = s.executeQuery("SELECT version(), current_setting('synchronous_commit'), current_setting('fsync')");
                rs.next();
                System.out.printf("database: %s%nsynchronous_commit=%s fsync=%s, %d cores, Java %s%n", rs.getString(1).split(" on ")[0],
                        rs.getString(2), rs.getString(3), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
            }
            throughput(ds, schema, jobs, threads);
            latency(ds, schema, samples);
            backlogInAnotherQueue(ds, schema, jobs / 2, threads);
            retention(ds, schema);
        } finally {
            if (cluster != null) {
                cluster.stop();
            }
        }
    }

    private static WorkerConfig.Builder config(int threads) {
        return WorkerConfig.builder(ProcessIdentity.local("bench")).threads(threads).queues(List.of("bench"));
    }

    private static void throughput(HikariDataSource ds, QueueSchema schema, int jobs, int threads) throws Exception {
        JobClient client = new JobClient(ds, schema);
        List<NewJob> batch = new ArrayList<>(10_000);
        for (int i = 0; i < 10_000; i++) {
            batch.add(NewJob.of("bench", "noop").build());
        }
        long enqueueStart = System.nanoTime();
        for (int done = 0; done < jobs; done += batch.size()) {
            client.enqueueAll(batch.subList(0, Math.min(batch.size(), jobs - done)));
        }
        double enqueueSeconds = (System.nanoTime() - enqueueStart) / 1e9;
        System.out.printf(Locale.ROOT, "enqueue: %,d jobs in batches of 10,000: %.2f s, %,.0f jobs/s%n", jobs, enqueueSeconds, jobs / enqueueSeconds);

        CountDownLatch finished = new CountDownLatch(1);
        AtomicLong completed = new AtomicLong();
        QueueListener listener = new QueueListener() {
            @Override
            public void jobCompleted(String queue, String handler, Duration runtime) {
                if (completed.incrementAndGet() == jobs) {
                    finished.countDown();
                }
            }
        };
        long start = System.nanoTime();
        try (Worker worker = Worker.start(ds, schema, config(threads).build(), HandlerRegistry.builder().register("noop", job -> {}).build(), listener)) {
            if (!finished.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("only " + completed.get() + " of " + jobs + " jobs completed in 10 minutes");
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "throughput: one worker, %d threads, no-op jobs: %,d jobs in %.2f s = %,.0f jobs/s (completions committed)%n",
                    threads, jobs, seconds, jobs / seconds);
        }
        long inDb = new QueueAdmin(ds, schema).stats().jobs().get(JobState.COMPLETED);
        if (inDb != jobs) {
            throw new IllegalStateException("expected " + jobs + " completed rows, found " + inDb);
        }
    }

    private static void latency(HikariDataSource ds, QueueSchema schema, int samples) throws Exception {
        JobClient client = new JobClient(ds, schema);
        AtomicLongArray startedAt = new AtomicLongArray(samples);
        CountDownLatch[] ran = new CountDownLatch[samples];
        for (int i = 0; i < samples; i++) {
            ran[i] = new CountDownLatch(1);
        }
        HandlerRegistry handlers = HandlerRegistry.builder().register("ping", job -> {
            int seq = Integer.parseInt(job.args().replaceAll("[^0-9]", ""));
            startedAt.set(seq, System.nanoTime());
            ran[seq].countDown();
        }).build();
        long[] latencies = new long[samples];
        // A long poll interval, so only LISTEN/NOTIFY can explain a fast pickup.
        try (Worker worker = Worker.start(ds, schema, config(4).pollInterval(Duration.ofSeconds(5)).build(), handlers, QueueListener.NONE)) {
            for (int warm = 0; warm < 50; warm++) {
                client.enqueue(NewJob.of("bench", "ping").args("{\"seq\": 0}").build());
            }
            Thread.sleep(1_000);
            ran[0] = new CountDownLatch(1);
            for (int i = 0; i < samples; i++) {
                // An idle queue: the previous job has run, and the worker waits for the next.
                Thread.sleep(ThreadLocalRandom.current().nextInt(2, 6));
                long before = System.nanoTime();
                client.enqueue(NewJob.of("bench", "ping").args("{\"seq\": " + i + "}").build());
                if (!ran[i].await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("job " + i + " was not picked up within 10 s");
                }
                latencies[i] = startedAt.get(i) - before;
            }
        }
        Arrays.sort(latencies);
        System.out.printf(Locale.ROOT, "pickup latency (enqueue call to handler start), %d single jobs into an idle queue: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                samples, latencies[samples / 2] / 1e6, latencies[(int) Math.ceil(samples * 0.99) - 1] / 1e6, latencies[samples - 1] / 1e6);
    }

    private static void sql(HikariDataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** A worker of two queues drains its own jobs while 300,000 older jobs wait in a queue it does not serve. */
    private static void backlogInAnotherQueue(HikariDataSource ds, QueueSchema schema, int jobs, int threads) throws Exception {
        sql(ds, "TRUNCATE stevedore_bench.jobs, stevedore_bench.processes");
        sql(ds, "INSERT INTO stevedore_bench.jobs (queue, handler, state, run_at) SELECT 'backlog', 'noop', 'available', "
                + "now() - interval '1 day' + g * interval '1 millisecond' FROM generate_series(1, 300000) g");
        JobClient client = new JobClient(ds, schema);
        List<NewJob> batch = new ArrayList<>(10_000);
        for (int i = 0; i < 10_000; i++) {
            batch.add(NewJob.of(i % 2 == 0 ? "mail" : "sms", "noop").build());
        }
        for (int done = 0; done < jobs; done += batch.size()) {
            client.enqueueAll(batch.subList(0, Math.min(batch.size(), jobs - done)));
        }
        sql(ds, "ANALYZE stevedore_bench.jobs");
        CountDownLatch finished = new CountDownLatch(1);
        AtomicLong completed = new AtomicLong();
        QueueListener listener = new QueueListener() {
            @Override
            public void jobCompleted(String queue, String handler, Duration runtime) {
                if (completed.incrementAndGet() == jobs) {
                    finished.countDown();
                }
            }
        };
        long start = System.nanoTime();
        try (Worker worker = Worker.start(ds, schema, config(threads).queues(List.of("mail", "sms")).build(),
                HandlerRegistry.builder().register("noop", job -> {}).build(), listener)) {
            if (!finished.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("only " + completed.get() + " of " + jobs + " jobs completed in 10 minutes");
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "throughput: one worker of queues mail+sms, %d threads, 300,000 older jobs in another queue: "
                    + "%,d jobs in %.2f s = %,.0f jobs/s%n", threads, jobs, seconds, jobs / seconds);
        }
    }

    /** Completed jobs past their retention, deleted by one worker's janitor. */
    private static void retention(HikariDataSource ds, QueueSchema schema) throws Exception {
        sql(ds, "TRUNCATE stevedore_bench.jobs, stevedore_bench.processes");
        int rows = 1_000_000;
        sql(ds, "INSERT INTO stevedore_bench.jobs (queue, handler, state, finished_at) SELECT 'bench', 'noop', 'completed', "
                + "now() - interval '2 days' FROM generate_series(1, " + rows + ")");
        sql(ds, "ANALYZE stevedore_bench.jobs");
        QueueAdmin admin = new QueueAdmin(ds, schema);
        long start = System.nanoTime();
        try (Worker worker = Worker.start(ds, schema, config(1).queues(List.of("idle")).build(), HandlerRegistry.builder().build(),
                QueueListener.NONE)) {
            while (admin.stats().jobs().get(JobState.COMPLETED) > 0) {
                if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(10)) {
                    throw new IllegalStateException("retention did not delete " + rows + " rows in 10 minutes");
                }
                Thread.sleep(100);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "retention: one worker deletes %,d completed jobs past their retention in %.2f s = %,.0f rows/s%n",
                    rows, seconds, rows / seconds);
        }
    }
}
