package dev.stevedore.bench.peers;

import static org.jobrunr.server.BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration;

import dev.stevedore.bench.BenchSql;
import dev.stevedore.bench.QueueUnderTest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.jobrunr.jobs.details.CachingJobDetailsGenerator;
import org.jobrunr.jobs.mappers.JobMapper;
import org.jobrunr.scheduling.BackgroundJob;
import org.jobrunr.scheduling.JobScheduler;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.server.JobActivator;
import org.jobrunr.storage.StorageProviderUtils.DatabaseOptions;
import org.jobrunr.storage.sql.postgres.PostgresStorageProvider;
import org.jobrunr.utils.mapper.JsonMapper;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;

/**
 * JobRunr 8.7.0 (open-source edition) on PostgreSQL with the Jackson 2 JSON mapper. Every job is the IoC lambda
 * {@code job -> job.run(seq)} on {@link NoopJob}.
 *
 * <p>The parts are built directly, as the fluent API's {@code JobRunrConfiguration.initialize()} does, instead of
 * through {@code JobRunr.configure()}: that would keep the configuration in a static field and register a JVM shutdown
 * hook on every call, while the harness installs, closes and installs again in one JVM. The one static write left is
 * the {@link JobScheduler} constructor's {@code BackgroundJob.setJobScheduler(this)}; nothing here uses it, and
 * {@link #close()} clears it. No dashboard is started (that needs {@code useDashboard()} or a
 * {@code JobRunrDashboardWebServer}).
 *
 * <p>Configuration and where it comes from:
 * <ul>
 *   <li>Tables: created by {@link PostgresStorageProvider} itself ({@code DatabaseOptions.CREATE}, its default), which
 *       runs the migrations shipped in the jar; no table prefix. As the storage documentation says for a provider
 *       built by hand, it gets {@code setJobMapper(new JobMapper(jsonMapper))}.</li>
 *   <li>Poll interval 5 s: the smallest 8.7.0 accepts for a SQL or NoSQL store
 *       ({@code AbstractStorageProvider.validatePollInterval} throws below it; only the in-memory store may go to
 *       200 ms). The default is 15 s. The interval bounds how soon an idle server sees a new job; a busy one asks for
 *       more work whenever a worker thread goes idle ({@code JobSteward.notifyThreadIdle}).</li>
 *   <li>Worker count = threads ({@code andWorkerCount}, the fluent documentation's knob), of JobRunr's default thread
 *       type for the JVM: platform threads on Java 17, virtual threads from Java 21 on (docs, "Virtual Threads").</li>
 *   <li>Nothing else: the open-source docs name no other throughput setting
 *       ({@code andServerTimeoutPollIntervalMultiplicand} is documented for long GC pauses, not speed; the
 *       high-throughput queue is a Pro feature).</li>
 *   <li>Job details come from a {@link CachingJobDetailsGenerator}, the fluent API's default (the plain
 *       {@code JobScheduler(StorageProvider)} constructor would analyse the lambda's bytecode on every call).</li>
 *   <li>Batched enqueue uses {@code JobScheduler.enqueue(Stream, IocJobLambdaFromStream)}, the documented bulk API,
 *       which saves the stream in JDBC batches of up to {@code StorageProvider.BATCH_SIZE} (5000) jobs.</li>
 * </ul>
 *
 * <p>The job reaches the harness's {@link IntConsumer} through a {@link JobActivator} given to each
 * {@link BackgroundJobServer}: it hands out the {@link NoopJob} instance built around that consumer, so no static holder
 * is needed.
 */
public final class JobRunrQueue implements QueueUnderTest {

    /** The minimum JobRunr 8.7.0 accepts for a database-backed storage provider. */
    static final Duration POLL_INTERVAL = Duration.ofSeconds(5);

    private DataSource dataSource;
    private JsonMapper jsonMapper;
    private PostgresStorageProvider storageProvider;
    private JobScheduler jobScheduler;
    private volatile BenchSql.Handle runningWorker;

    /** The job class JobRunr records and, on a worker, asks the {@link JobActivator} for. */
    public static final class NoopJob {

        private final IntConsumer ran;

        public NoopJob(IntConsumer ran) {
            this.ran = ran;
        }

        public void run(int seq) {
            ran.accept(seq);
        }
    }

    /** Gives JobRunr the one {@link NoopJob} of the running worker, and nothing for any other class. */
    private static final class NoopJobActivator implements JobActivator {

        private final NoopJob job;

        NoopJobActivator(NoopJob job) {
            this.job = job;
        }

        @Override
        public <T> T activateJob(Class<T> type) {
            return type.isInstance(job) ? type.cast(job) : null;
        }
    }

    @Override
    public String name() {
        return "JobRunr 8.7.0";
    }

    @Override
    public String configuration() {
        return "PostgresStorageProvider, Jackson 2 mapper; poll interval " + POLL_INTERVAL.toSeconds()
                + " s (the minimum 8.7.0 allows for SQL storage; default 15 s), a busy server fetches again as a "
                + "worker frees up; workerCount = threads (JobRunr's default thread type: platform threads before "
                + "Java 21); batched = JobScheduler.enqueue(Stream, lambda) (JDBC batches of up to 5000); "
                + "no dashboard; nothing else documented for throughput in the open-source edition";
    }

    @Override
    public void install(DataSource dataSource) {
        this.dataSource = dataSource;
        this.jsonMapper = new JacksonJsonMapper();
        // The constructor runs JobRunr's own migrations (DatabaseOptions.CREATE) and skips those already applied.
        this.storageProvider = new PostgresStorageProvider(dataSource, DatabaseOptions.CREATE);
        this.storageProvider.setJobMapper(new JobMapper(jsonMapper));
        this.jobScheduler = new JobScheduler(storageProvider, new CachingJobDetailsGenerator(), List.of());
    }

    @Override
    public void reset() throws Exception {
        // Jobs live in jobrunr_jobs alone; servers, metadata and migrations stay.
        BenchSql.execute(dataSource, "TRUNCATE jobrunr_jobs");
    }

    @Override
    public void enqueueSingly(int from, int count) {
        for (int i = from; i < from + count; i++) {
            final int seq = i;
            jobScheduler.<NoopJob>enqueue(job -> job.run(seq));
        }
    }

    @Override
    public void enqueueBatched(int from, int count, int batch) {
        int end = from + count;
        for (int start = from; start < end; start += batch) {
            int stop = Math.min(end, start + batch);
            jobScheduler.<NoopJob, Integer>enqueue(IntStream.range(start, stop).boxed(), (job, seq) -> job.run(seq));
        }
    }

    @Override
    public AutoCloseable startWorker(int threads, IntConsumer ran) throws Exception {
        if (runningWorker != null) {
            throw new IllegalStateException("a JobRunr worker is already running");
        }
        BackgroundJobServer server = new BackgroundJobServer(storageProvider, jsonMapper,
                new NoopJobActivator(new NoopJob(ran)),
                usingStandardBackgroundJobServerConfiguration()
                        .andWorkerCount(threads)
                        .andPollInterval(POLL_INTERVAL));
        server.start();
        awaitAnnounced(server);
        runningWorker = BenchSql.stopOnce(() -> {
            try {
                // Waits up to 10 s (JobRunr's default) for running jobs, then stops the zookeeper threads.
                server.stop();
            } finally {
                runningWorker = null;
            }
        });
        return runningWorker;
    }

    /**
     * The server announces itself to the database on a background thread; if that fails it only logs. Waiting here
     * turns a failed start into an exception instead of a benchmark that never drains.
     */
    private static void awaitAnnounced(BackgroundJobServer server) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!server.isAnnounced()) {
            if (System.nanoTime() > deadline) {
                server.stop();
                throw new IllegalStateException("JobRunr's BackgroundJobServer did not announce itself within 30 s");
            }
            Thread.sleep(10);
        }
    }

    @Override
    public long unfinished() throws Exception {
        return BenchSql.number(dataSource, "SELECT count(*) FROM jobrunr_jobs WHERE state NOT IN ('SUCCEEDED', 'DELETED')");
    }

    @Override
    public void close() {
        BenchSql.Handle worker = runningWorker;
        if (worker != null) {
            worker.close();
        }
        if (storageProvider != null) {
            storageProvider.close();
            storageProvider = null;
        }
        jobScheduler = null;
        BackgroundJob.setJobScheduler(null);
    }

}
