package dev.stevedore.queue.internal;

import dev.stevedore.queue.QueueListener;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the outcomes of attempts in batches: one thread takes whatever has accumulated (up to 1000) and
 * writes it in one transaction, so batches grow with load and cost nothing when idle. A failed write is
 * retried, keeping the batch, until the database answers again. Writes are fenced by claim token;
 * refused ones are reported as late writes.
 */
public final class Completer {

    private static final Logger LOG = LoggerFactory.getLogger(Completer.class);
    private static final int MAX_BATCH = 1000;

    private final DataSource dataSource;
    private final JobQueries queries;
    private final QueueListener listener;
    private final String logContext;
    private final LongConsumer settled;
    private final BlockingQueue<Outcome> queue = new LinkedBlockingQueue<>(50_000);
    private final Object progress = new Object();
    private final Thread thread;
    private long submitted;
    private long written;
    private volatile boolean accepting = true;
    private volatile boolean running = true;

    /** {@code settled} hears the claim token of every outcome once it is written, refused or given up. */
    public Completer(DataSource dataSource, JobQueries queries, QueueListener listener, String logContext, LongConsumer settled) {
        this.settled = settled;
        this.dataSource = dataSource;
        this.queries = queries;
        this.listener = listener;
        this.logContext = logContext;
        this.thread = new Thread(this::run, "stevedore-completer");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Queues an outcome; blocks when 50k are waiting (the database is down or slow). Dropped after {@link #close}. */
    public void submit(Outcome outcome) throws InterruptedException {
        if (!accepting) {
            LOG.info("job {}: outcome not written, the worker has shut down and released it{}", outcome.job().id(), logContext);
            return;
        }
        synchronized (progress) {
            submitted++;
        }
        queue.put(outcome);
    }

    /** Waits until everything submitted so far is written; false on timeout. */
    public boolean flush(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (progress) {
            long target = submitted;
            while (written < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(progress, left);
            }
            return true;
        }
    }

    /** Stops accepting outcomes and ends the thread; what is still queued is dropped. */
    public void close() throws InterruptedException {
        accepting = false;
        running = false;
        thread.interrupt();
        thread.join(TimeUnit.SECONDS.toMillis(10));
    }

    private void run() {
        List<Outcome> batch = new ArrayList<>(MAX_BATCH);
        Backoff backoff = new Backoff();
        while (running) {
            try {
                if (batch.isEmpty()) {
                    Outcome first = queue.poll(200, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    batch.add(first);
                    queue.drainTo(batch, MAX_BATCH - 1);
                }
                write(batch);
                backoff.reset();
                synchronized (progress) {
                    written += batch.size();
                    progress.notifyAll();
                }
                batch.clear();
            } catch (InterruptedException e) {
                return;
            } catch (SQLException e) {
                if (isDataError(e)) {
                    // The batch holds a row the database refuses (and always will): write one by one, drop only that one.
                    writeOneByOne(batch);
                    synchronized (progress) {
                        written += batch.size();
                        progress.notifyAll();
                    }
                    batch.clear();
                    continue;
                }
                Duration pause = backoff.next();
                LOG.warn("writing {} job outcomes failed, retrying in {} ms: {}{}", batch.size(), pause.toMillis(), e.getMessage(), logContext);
                try {
                    Thread.sleep(pause.toMillis());
                } catch (InterruptedException interrupted) {
                    return;
                }
            } catch (RuntimeException e) {
                Duration pause = backoff.next();
                LOG.warn("writing {} job outcomes failed, retrying in {} ms: {}{}", batch.size(), pause.toMillis(), e.getMessage(), logContext);
                try {
                    Thread.sleep(pause.toMillis());
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    /** Errors about the data itself (SQLState classes 22 and 23), as opposed to a lost connection. */
    private static boolean isDataError(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }

    private void writeOneByOne(List<Outcome> batch) {
        for (Outcome o : batch) {
            try {
                write(List.of(o));
            } catch (SQLException e) {
                LOG.error("job {}: outcome could not be written and was dropped ({}); the job will be released and run again{}",
                        o.job().id(), e.getMessage(), logContext);
                settled.accept(o.job().claimToken());
            }
        }
    }

    private void write(List<Outcome> batch) throws SQLException {
        List<Outcome.Completed> completed = new ArrayList<>();
        List<Outcome.Failed> failed = new ArrayList<>();
        for (Outcome o : batch) {
            if (o instanceof Outcome.Completed c) {
                completed.add(c);
            } else {
                failed.add((Outcome.Failed) o);
            }
        }
        // One statement in autocommit: no transaction is ever left open across round trips, holding row locks.
        Set<Long>[] written = Sql.withConnection(dataSource, c -> queries.writeOutcomes(c, completed, failed));
        for (Outcome o : batch) {
            settled.accept(o.job().claimToken());
        }
        for (Outcome.Completed c : completed) {
            if (written[0].contains(c.job().id())) {
                listener.jobCompleted(c.job().queue(), c.job().handler(), Duration.ofNanos(c.runtimeNanos()));
            } else {
                rejected(c, "completion");
            }
        }
        for (Outcome.Failed f : failed) {
            if (written[1].contains(f.job().id())) {
                listener.jobFailed(f.job().queue(), f.job().handler(), f.errorClass(), f.retryDelayMs() != null);
            } else {
                rejected(f, "failure");
            }
        }
        wakeLimited(batch, written);
    }

    /**
     * Jobs with a concurrency key that ended here freed a slot of their key: wake the workers of their queues, which
     * claim the key's next jobs. Best effort: a worker also looks for such jobs every second.
     */
    private void wakeLimited(List<Outcome> batch, Set<Long>[] written) {
        Set<String> queues = new java.util.HashSet<>();
        for (Outcome o : batch) {
            if (o.job().concurrencyKey() != null && (written[0].contains(o.job().id()) || written[1].contains(o.job().id()))) {
                queues.add(o.job().queue());
            }
        }
        if (queues.isEmpty()) {
            return;
        }
        try {
            Sql.withConnection(dataSource, c -> {
                queries.notifyLimitedFreed(c, queues);
                return null;
            });
        } catch (SQLException | RuntimeException e) {
            LOG.debug("could not wake the workers of {} after jobs with a concurrency key ended: {}{}", queues, e.getMessage(), logContext);
        }
    }

    private void rejected(Outcome o, String what) {
        LOG.warn("job {}: {} refused, this worker no longer holds the job (pruned or released meanwhile){}", o.job().id(), what, logContext);
        listener.lateWriteRejected(o.job().id(), what);
    }
}
