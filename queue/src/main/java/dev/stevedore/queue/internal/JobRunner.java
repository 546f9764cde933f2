package dev.stevedore.queue.internal;

import dev.stevedore.queue.HandlerRegistry;
import dev.stevedore.queue.JobContext;
import dev.stevedore.queue.JobHandler;
import dev.stevedore.queue.JobLostException;
import dev.stevedore.queue.PermanentJobFailure;
import dev.stevedore.queue.QueueException;
import dev.stevedore.queue.QueueListener;
import dev.stevedore.queue.RetryPolicy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one attempt of a claimed job: finds its handler, enforces its timeout, turns the result into an
 * {@link Outcome} (with the retry decision) and hands it to the completer.
 */
public final class JobRunner {

    public static final String UNKNOWN_HANDLER = "UnknownHandlerError";
    public static final String TIMEOUT = "JobTimeoutError";
    public static final String CANCELLED = "JobCancelledError";
    private static final Logger LOG = LoggerFactory.getLogger(JobRunner.class);
    private static final int MAX_BACKTRACE = 4_000;

    private final HandlerRegistry handlers;
    private final RetryPolicy retryPolicy;
    private final DataSource dataSource;
    private final JobQueries queries;
    private final Completer completer;
    private final ScheduledExecutorService timeouts;
    private final QueueListener listener;
    private final String logContext;
    private volatile boolean shuttingDown;
    /** The attempts running now, by claim token, so that a cancel can reach the one it concerns. */
    private final Map<Long, Deadline> running = new ConcurrentHashMap<>();

    public JobRunner(HandlerRegistry handlers, RetryPolicy retryPolicy, DataSource dataSource, JobQueries queries, Completer completer,
                     ScheduledExecutorService timeouts, QueueListener listener, String logContext) {
        this.handlers = handlers;
        this.retryPolicy = retryPolicy;
        this.dataSource = dataSource;
        this.queries = queries;
        this.completer = completer;
        this.timeouts = timeouts;
        this.listener = listener;
        this.logContext = logContext;
    }

    /**
     * A cancel asked for the job of this claim: its handler is interrupted, and unless it still completes, the job ends
     * discarded with a JobCancelledError. Nothing happens if the attempt has ended.
     */
    public void cancel(long claimToken, String by) {
        Deadline attempt = running.get(claimToken);
        if (attempt != null && attempt.cancel(by == null ? "someone" : by)) {
            LOG.info("job of claim {}: cancelled by {}, interrupting its handler{}", claimToken, by, logContext);
        }
    }

    /** From now on an interrupted job is being released by shutdown, not failing. */
    public void shutdown() {
        shuttingDown = true;
    }

    public void run(ClaimedJob job) throws InterruptedException {
        Outcome outcome = attempt(job);
        Thread.interrupted(); // a timeout's interrupt must not hit the completer hand-off
        if (outcome != null) {
            completer.submit(outcome);
        }
    }

    private Outcome attempt(ClaimedJob job) {
        Optional<JobHandler> handler = handlers.find(job.handler());
        if (handler.isEmpty()) {
            String message = "no handler named '" + job.handler() + "' is registered in this worker (registered: "
                    + String.join(", ", handlers.names()) + ")";
            LOG.warn("job {} failed without retry: {}{}", job.id(), message, logContext);
            return new Outcome.Failed(job, UNKNOWN_HANDLER, message, null, null);
        }
        Deadline deadline = new Deadline(Thread.currentThread());
        running.put(job.claimToken(), deadline);
        ScheduledFuture<?> timeout = job.timeoutMs() == null ? null
                : timeouts.schedule(deadline::expire, job.timeoutMs(), TimeUnit.MILLISECONDS);
        long started = System.nanoTime();
        try {
            handler.get().handle(new Context(job));
            if (deadline.finish()) {
                return timedOut(job);
            }
            return new Outcome.Completed(job, System.nanoTime() - started);
        } catch (JobLostException lost) {
            deadline.finish();
            LOG.info("job {}: handler stopped, the job was taken from this worker{}", job.id(), logContext);
            return null;
        } catch (Throwable error) {
            boolean timedOut = deadline.finish();
            String cancelledBy = deadline.cancelledBy();
            if (cancelledBy != null) {
                LOG.info("job {}: cancelled by {} while running, discarded{}", job.id(), cancelledBy, logContext);
                return new Outcome.Failed(job, CANCELLED, "cancelled by " + cancelledBy + " while running; its handler was interrupted", null, null);
            }
            if (timedOut) {
                return timedOut(job);
            }
            if (shuttingDown) {
                LOG.info("job {}: interrupted by shutdown, released back to its queue{}", job.id(), logContext);
                return null;
            }
            boolean retryable = !(error instanceof PermanentJobFailure);
            return failed(job, error.getClass().getName(), String.valueOf(error.getMessage()), backtrace(error), retryable);
        } finally {
            running.remove(job.claimToken());
            if (timeout != null) {
                timeout.cancel(false);
            }
        }
    }

    /**
     * A job's timeout, and its cancel: each interrupts the runner only while the job still runs, never the next job on
     * that thread.
     */
    private static final class Deadline {
        private final Thread runner;
        private boolean finished;
        private boolean expired;
        private String cancelledBy;

        /** True when this cancel interrupted the job (it still ran, and was not cancelled already). */
        synchronized boolean cancel(String by) {
            if (finished || cancelledBy != null) {
                return false;
            }
            cancelledBy = by;
            runner.interrupt();
            return true;
        }

        synchronized String cancelledBy() {
            return cancelledBy;
        }

        Deadline(Thread runner) {
            this.runner = runner;
        }

        synchronized void expire() {
            if (!finished) {
                expired = true;
                runner.interrupt();
            }
        }

        /** Marks the job finished; returns whether it had timed out. */
        synchronized boolean finish() {
            finished = true;
            return expired;
        }
    }

    private Outcome timedOut(ClaimedJob job) {
        return failed(job, TIMEOUT, "the job ran longer than its timeout of " + job.timeoutMs() + " ms and was interrupted", null, true);
    }

    private Outcome failed(ClaimedJob job, String errorClass, String message, String backtrace, boolean retryable) {
        boolean retry = retryable && RetryPolicy.hasAttemptsLeft(job.attempt(), job.maxAttempts());
        Long delay = retry ? retryPolicy.backoff(job.attempt()).toMillis() : null;
        LOG.warn("job {} ({} on {}) failed on attempt {}/{}: {}: {}; {}{}", job.id(), job.handler(), job.queue(), job.attempt(),
                job.maxAttempts(), errorClass, message, retry ? "retry in " + delay + " ms" : retryable ? "no attempts left" : "not retryable",
                logContext);
        return new Outcome.Failed(job, errorClass, withoutNul(message), withoutNul(backtrace), delay);
    }

    /** PostgreSQL text cannot hold NUL characters, and an exception message may. */
    private static String withoutNul(String text) {
        return text == null ? null : text.replace('\u0000', '?');
    }

    private static String backtrace(Throwable error) {
        StringWriter out = new StringWriter();
        error.printStackTrace(new PrintWriter(out));
        String text = out.toString();
        return text.length() <= MAX_BACKTRACE ? text : text.substring(0, MAX_BACKTRACE) + "\n\t...";
    }

    private final class Context implements JobContext {
        private final ClaimedJob job;
        private volatile String checkpoint;

        Context(ClaimedJob job) {
            this.job = job;
            this.checkpoint = job.checkpoint();
        }

        @Override
        public long id() {
            return job.id();
        }

        @Override
        public String queue() {
            return job.queue();
        }

        @Override
        public String handler() {
            return job.handler();
        }

        @Override
        public String args() {
            return job.args();
        }

        @Override
        public int attempt() {
            return job.attempt();
        }

        @Override
        public int maxAttempts() {
            return job.maxAttempts();
        }

        @Override
        public Optional<String> checkpoint() {
            return Optional.ofNullable(checkpoint);
        }

        @Override
        public void saveCheckpoint(String json) {
            Json.requireValid(json, "checkpoint of job " + job.id());
            boolean saved;
            try {
                saved = Sql.withConnection(dataSource, c -> queries.saveCheckpoint(c, job, json));
            } catch (SQLException e) {
                throw new QueueException("job " + job.id() + ": could not save checkpoint: " + e.getMessage(), e);
            }
            if (!saved) {
                listener.lateWriteRejected(job.id(), "checkpoint");
                throw new JobLostException(job.id(), "checkpoint");
            }
            checkpoint = json;
        }
    }
}
