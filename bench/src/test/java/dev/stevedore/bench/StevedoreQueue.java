package dev.stevedore.bench;

import dev.stevedore.queue.HandlerRegistry;
import dev.stevedore.queue.JobClient;
import dev.stevedore.queue.NewJob;
import dev.stevedore.queue.ProcessIdentity;
import dev.stevedore.queue.QueueListener;
import dev.stevedore.queue.QueueMigrator;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.queue.Worker;
import dev.stevedore.queue.WorkerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import javax.sql.DataSource;

/** Stevedore at its defaults, but for the thread count and the queue. */
final class StevedoreQueue implements QueueUnderTest {

    private static final QueueSchema SCHEMA = QueueSchema.DEFAULT;
    private DataSource dataSource;
    private JobClient client;

    @Override
    public String name() {
        return "Stevedore";
    }

    @Override
    public String configuration() {
        return "defaults (LISTEN/NOTIFY wake-up, 1 s fallback poll); JobClient.enqueue per job, JobClient.enqueueAll per batch";
    }

    @Override
    public void install(DataSource dataSource) {
        this.dataSource = dataSource;
        QueueMigrator.migrate(dataSource, SCHEMA);
        this.client = new JobClient(dataSource, SCHEMA);
    }

    @Override
    public void reset() throws Exception {
        BenchSql.execute(dataSource, "TRUNCATE stevedore.jobs, stevedore.processes");
    }

    private static NewJob job(int seq) {
        return NewJob.of("bench", "noop").args("{\"seq\":" + seq + "}").build();
    }

    @Override
    public void enqueueSingly(int from, int count) {
        for (int i = from; i < from + count; i++) {
            client.enqueue(job(i));
        }
    }

    @Override
    public void enqueueBatched(int from, int count, int batch) {
        List<NewJob> jobs = new ArrayList<>(batch);
        for (int i = from; i < from + count; i++) {
            jobs.add(job(i));
            if (jobs.size() == batch) {
                client.enqueueAll(jobs);
                jobs.clear();
            }
        }
        if (!jobs.isEmpty()) {
            client.enqueueAll(jobs);
        }
    }

    @Override
    public AutoCloseable startWorker(int threads, IntConsumer ran) {
        HandlerRegistry handlers = HandlerRegistry.builder().register("noop", job -> ran.accept(sequence(job.args()))).build();
        WorkerConfig config = WorkerConfig.builder(ProcessIdentity.local("bench")).queues(List.of("bench")).threads(threads).build();
        return Worker.start(dataSource, SCHEMA, config, handlers, QueueListener.NONE);
    }

    /** The number in {"seq": N}, without a JSON library in the hot path of every system alike. */
    static int sequence(String args) {
        int colon = args.indexOf(':');
        int end = colon + 1;
        while (end < args.length() && (Character.isDigit(args.charAt(end)) || args.charAt(end) == ' ')) {
            end++;
        }
        return Integer.parseInt(args.substring(colon + 1, end).strip());
    }

    @Override
    public long unfinished() throws Exception {
        return BenchSql.number(dataSource, "SELECT count(*) FROM stevedore.jobs WHERE state <> 'completed'");
    }

    @Override
    public void close() {
        // The harness owns the data source.
    }
}
