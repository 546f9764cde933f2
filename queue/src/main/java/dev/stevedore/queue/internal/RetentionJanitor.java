package dev.stevedore.queue.internal;

import dev.stevedore.queue.JobState;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes finished jobs past their retention, on a thread of its own, so that deletion keeps pace with
 * completion (a worker completes 20k jobs a second) without holding up promotion and pruning. Each round
 * deletes batches back to back, state by state, for at most {@link #ROUND}; when a round ends with work left,
 * the next starts at once, otherwise after {@link #IDLE}. Several workers' janitors split the rows (SKIP LOCKED).
 */
public final class RetentionJanitor {

    static final int BATCH = 10_000;
    static final Duration ROUND = Duration.ofSeconds(2);
    static final Duration IDLE = Duration.ofSeconds(10);
    private static final Logger LOG = LoggerFactory.getLogger(RetentionJanitor.class);

    private final DataSource dataSource;
    private final JobQueries queries;
    private final Map<JobState, Duration> retention;
    private final String logContext;
    private final Thread thread;
    private volatile boolean running = true;

    /** {@code retention}: for each finished state that is deleted, how long its jobs are kept. */
    public RetentionJanitor(DataSource dataSource, JobQueries queries, Map<JobState, Duration> retention, String logContext) {
        this.dataSource = dataSource;
        this.queries = queries;
        this.retention = Map.copyOf(retention);
        this.logContext = logContext;
        this.thread = new Thread(this::run, "stevedore-retention");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Stops after the batch in flight, waiting at most {@code timeoutMs}. */
    public void close(long timeoutMs) throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(Math.max(1, timeoutMs));
    }

    /** One round; true when it ran out of time with rows still due. */
    boolean round() throws SQLException {
        long deadline = System.nanoTime() + ROUND.toNanos();
        boolean more = false;
        for (Map.Entry<JobState, Duration> e : retention.entrySet()) {
            int deleted;
            do {
                deleted = Sql.withConnection(dataSource, c -> queries.deleteFinishedBefore(c, e.getKey(), e.getValue().toMillis(), BATCH));
            } while (running && deleted == BATCH && System.nanoTime() < deadline);
            more |= deleted == BATCH;
        }
        return more;
    }

    private void run() {
        Backoff backoff = new Backoff();
        while (running) {
            Duration pause;
            try {
                pause = round() ? Duration.ZERO : IDLE;
                backoff.reset();
            } catch (SQLException | RuntimeException e) {
                pause = backoff.next();
                LOG.warn("deleting jobs past their retention failed, retrying in {} ms: {}{}", pause.toMillis(), e.getMessage(), logContext);
            }
            try {
                Thread.sleep(pause.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
