package dev.stevedore.queue;

import dev.stevedore.queue.internal.ClaimedJob;
import dev.stevedore.queue.internal.Completer;
import dev.stevedore.queue.internal.JobQueries;
import dev.stevedore.queue.internal.JobRunner;
import dev.stevedore.queue.internal.NotificationListener;
import dev.stevedore.queue.internal.ProcessQueries;
import dev.stevedore.queue.internal.Producer;
import dev.stevedore.queue.internal.SafeListener;
import dev.stevedore.queue.internal.Sql;
import dev.stevedore.queue.internal.WakeSignal;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker process: registers a process row, heartbeats it on its own thread, claims jobs into
 * {@code threads} execution slots, writes outcomes in batches, and runs the pool's maintenance (promote
 * due jobs, prune dead processes of its pool by heartbeat, sweep orphans, delete old completed jobs).
 *
 * <p>Shutdown is Solid Queue's graceful path: {@link #drain} stops claiming and waits for running jobs
 * (what a preStop hook calls); {@link #stop} drains for {@code shutdownTimeout}, hands the jobs still
 * running back to {@code available} without charging their attempt, and deletes the process row.
 */
public final class Worker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
    private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration HANDLER_STOP_GRACE = Duration.ofSeconds(2);
    private static final int JANITOR_BATCHES_PER_RUN = 20;

    private final DataSource dataSource;
    private final WorkerConfig config;
    private final QueueListener listener;
    private final JobQueries jobs;
    private final ProcessQueries processes;
    private final Pruner pruner;
    private final AtomicLong processId = new AtomicLong();
    private final AtomicLong lastHeartbeatNanos = new AtomicLong();
    /** Since when every heartbeat has succeeded; -1 after a failure. Pruning others waits for a settled view. */
    private final AtomicLong healthySinceNanos = new AtomicLong(-1);
    private final AtomicInteger running = new AtomicInteger();
    private final Object idle = new Object();
    private final Semaphore slots;
    private final WakeSignal wake = new WakeSignal();
    private final ExecutorService executor;
    private final ScheduledExecutorService heartbeats;
    private final ScheduledExecutorService maintenance;
    private final ScheduledExecutorService timeouts;
    private final Completer completer;
    private final NotificationListener notifications;
    private final Producer producer;
    private final JobRunner runner;
    private final String logContext;
    private volatile boolean claiming = true;
    private volatile boolean stopped;

    private Worker(DataSource dataSource, QueueSchema schema, WorkerConfig config, HandlerRegistry handlers, QueueListener listener) {
        this.dataSource = dataSource;
        this.config = config;
        this.listener = new SafeListener(listener);
        this.jobs = new JobQueries(schema);
        this.processes = new ProcessQueries(schema);
        this.pruner = new Pruner(dataSource, schema);
        this.slots = new Semaphore(config.threads());
        ProcessIdentity id = config.identity();
        this.logContext = " [pool " + id.pool() + (id.podName() == null ? ", host " + id.host() : ", pod " + id.podName())
                + ", pid " + id.pid() + "]";
        this.executor = Executors.newFixedThreadPool(config.threads(), named("stevedore-job-"));
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(named("stevedore-heartbeat"));
        this.maintenance = Executors.newSingleThreadScheduledExecutor(named("stevedore-maintenance"));
        ScheduledThreadPoolExecutor timeoutExecutor = new ScheduledThreadPoolExecutor(1, named("stevedore-timeouts"));
        timeoutExecutor.setRemoveOnCancelPolicy(true); // finished jobs must not leave their timeouts queued
        this.timeouts = timeoutExecutor;
        this.completer = new Completer(dataSource, jobs, this.listener, logContext);
        this.runner = new JobRunner(handlers, config.retryPolicy(), dataSource, jobs, completer, timeouts, this.listener, logContext);
        this.notifications = new NotificationListener(dataSource, schema.channel(),
                queue -> config.claimsAllQueues() || config.queues().contains(queue), wake::wake, logContext);
        this.producer = new Producer(slots, this::claim, this::dispatch, this::mayClaim, wake, config.pollInterval(), logContext);
    }

    /** Registers the process and starts working. Fails with {@link QueueException} if the database cannot be reached. */
    public static Worker start(DataSource dataSource, QueueSchema schema, WorkerConfig config, HandlerRegistry handlers,
                               QueueListener listener) {
        Worker worker = new Worker(dataSource, schema, config, handlers, listener);
        try {
            worker.register();
        } catch (RuntimeException e) {
            worker.executor.shutdownNow();
            worker.heartbeats.shutdownNow();
            worker.maintenance.shutdownNow();
            worker.timeouts.shutdownNow();
            throw e;
        }
        worker.completer.start();
        worker.notifications.start();
        worker.producer.start();
        long beat = config.heartbeatInterval().toMillis();
        worker.heartbeats.scheduleWithFixedDelay(worker::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
        worker.schedule(worker::promoteDueJobs, config.promoteInterval());
        worker.schedule(worker::pruneDeadProcesses, config.pruneInterval());
        worker.schedule(worker::sweepOrphans, config.orphanSweepInterval());
        worker.schedule(worker::deleteOldCompletedJobs, Duration.ofMinutes(5));
        LOG.info("worker started as process {}: queues {}, {} threads{}", worker.processId(), config.queues(), config.threads(), worker.logContext);
        return worker;
    }

    /** The id of this process's row (it changes if the process was pruned and registered again). */
    public long processId() {
        return processId.get();
    }

    /** Registered, heartbeating, and claiming. */
    public boolean isReady() {
        return claiming && heartbeatFresh();
    }

    /** Jobs running right now. */
    public int runningJobs() {
        return running.get();
    }

    /**
     * Stops claiming and waits until no job runs or {@code timeout} passes. Returns true when idle.
     * Idempotent; a drained worker does not claim again.
     */
    public boolean drain(Duration timeout) {
        if (claiming) {
            claiming = false;
            wake.wake();
            producer.quiesce(); // a claim in flight is dispatched, and counted, before we look
            LOG.info("draining: no more claims, {} jobs running{}", running.get(), logContext);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (running.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(idle, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Graceful stop: drain for {@code shutdownTimeout}, write the outcomes of finished jobs, release the
     * jobs still running back to available (attempt not charged), delete the process row, stop all threads.
     * Safe to call twice or from two threads; the second call waits for the first.
     */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        // An interrupted caller (e.g. a shutdown hook racing another) must still get the whole sequence.
        boolean interrupted = Thread.interrupted();
        try {
            boolean idleInTime = drain(config.shutdownTimeout());
            producer.stop();
            // Interrupt what still runs, and give it a moment, so no job is released while its handler goes on.
            runner.shutdown();
            executor.shutdownNow();
            if (!executor.awaitTermination(HANDLER_STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("{} handlers ignored the interrupt; their jobs are released anyway and may run twice{}", running.get(), logContext);
            }
            if (!completer.flush(FLUSH_TIMEOUT)) {
                LOG.warn("not every job outcome could be written within {} s; those jobs will be released{}", FLUSH_TIMEOUT.toSeconds(), logContext);
            }
            completer.close();
            // No heartbeat may run after the row is gone: it would take that for a prune and register again.
            heartbeats.shutdown();
            heartbeats.awaitTermination(10, TimeUnit.SECONDS);
            maintenance.shutdown();
            maintenance.awaitTermination(10, TimeUnit.SECONDS);
            int released = deregister();
            if (released > 0 || !idleInTime) {
                LOG.info("released {} unfinished jobs back to their queues{}", released, logContext);
            }
            notifications.close();
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            heartbeats.shutdownNow();
            maintenance.shutdownNow();
            timeouts.shutdownNow();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        LOG.info("worker stopped{}", logContext);
    }

    @Override
    public void close() {
        stop();
    }

    // --- internals -------------------------------------------------------------------------------

    private void register() {
        try {
            processId.set(Sql.withConnection(dataSource, c -> processes.register(c, config)));
            long now = System.nanoTime();
            lastHeartbeatNanos.set(now);
            healthySinceNanos.set(now);
        } catch (SQLException e) {
            throw new QueueException("could not register the worker process: " + e.getMessage(), e);
        }
    }

    private boolean mayClaim() {
        return claiming && heartbeatFresh();
    }

    /** Judged from the start of the last heartbeat that succeeded, which is never later than the database's view. */
    private boolean heartbeatFresh() {
        return System.nanoTime() - lastHeartbeatNanos.get() < config.aliveThreshold().toNanos();
    }

    private java.util.List<ClaimedJob> claim(int limit) throws SQLException {
        java.util.List<ClaimedJob> claimed = Sql.withConnection(dataSource,
                c -> jobs.claim(c, processId.get(), config.queues(), config.claimsAllQueues(), limit));
        for (ClaimedJob job : claimed) {
            listener.jobClaimed(job.queue(), job.handler(), Duration.ofMillis(job.waitedMs()));
        }
        return claimed;
    }

    private void dispatch(ClaimedJob job) {
        running.incrementAndGet();
        executor.execute(() -> {
            try {
                runner.run(job);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                slots.release();
                if (running.decrementAndGet() == 0) {
                    synchronized (idle) {
                        idle.notifyAll();
                    }
                }
            }
        });
    }

    private void heartbeat() {
        long started = System.nanoTime();
        try {
            boolean alive = Sql.withConnection(dataSource, c -> processes.heartbeat(c, processId.get()));
            if (alive) {
                long previous = lastHeartbeatNanos.getAndSet(started);
                // A gap between two good heartbeats (one was blocked, not failed) counts like a failure.
                if (healthySinceNanos.get() == -1 || started - previous > heartbeatGapNanos()) {
                    healthySinceNanos.set(started);
                }
                return;
            }
            // Another process judged us dead and failed our jobs; their writes from here on are refused.
            long old = processId.get();
            register();
            LOG.error("this worker's process row {} was pruned by another process (its jobs were failed there); registered again as process {}{}",
                    old, processId.get(), logContext);
            wake.wake();
        } catch (SQLException | RuntimeException e) {
            healthySinceNanos.set(-1);
            listener.heartbeatFailed(e);
            LOG.warn("heartbeat failed{}: {}{}", heartbeatFresh() ? "" : " (claiming paused until it succeeds)", e.getMessage(), logContext);
        }
    }

    private int deregister() {
        for (int attempt = 1; ; attempt++) {
            try {
                int released = Sql.inTransaction(dataSource, c -> processes.releaseAndDelete(c, processId.get()));
                listener.jobsReleased(released);
                return released;
            } catch (SQLException e) {
                if (attempt == 3) {
                    LOG.error("could not deregister process {}: {}; it will be pruned once its heartbeat expires{}", processId.get(),
                            e.getMessage(), logContext);
                    return 0;
                }
                try {
                    Thread.sleep(500L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return 0;
                }
            }
        }
    }

    private void promoteDueJobs() throws SQLException {
        Sql.withConnection(dataSource, jobs::promoteDue);
    }

    /**
     * Only a worker whose own heartbeats have succeeded for a whole alive threshold judges others: after a
     * database outage every heartbeat is stale, and the first worker back must not prune its live peers.
     */
    private void pruneDeadProcesses() {
        long now = System.nanoTime();
        long since = healthySinceNanos.get();
        boolean fresh = now - lastHeartbeatNanos.get() < heartbeatGapNanos();
        if (!fresh || since == -1 || now - since < config.aliveThreshold().toNanos()) {
            return;
        }
        for (Pruner.PrunedProcess p : pruner.pruneExpired(Optional.of(config.identity().pool()), processId.get())) {
            LOG.warn("pruned dead process {} ({}): {}; failed jobs {}, retried jobs {}{}", p.processId(),
                    p.pod() != null ? "pod " + p.pod() : p.host() + " pid " + p.pid(), p.reason(), p.failedJobIds(), p.retriedJobIds(), logContext);
            listener.processPruned(p.processId(), p.reason(), p.failedJobIds().size(), p.retriedJobIds().size());
            for (Pruner.PrunedJob job : p.jobs()) {
                listener.jobPruned(job.queue(), job.handler(), p.reason(), job.retried());
            }
        }
    }

    private long heartbeatGapNanos() {
        return config.heartbeatInterval().multipliedBy(3).toNanos();
    }

    private void sweepOrphans() {
        var orphans = pruner.sweepOrphans();
        if (!orphans.isEmpty()) {
            LOG.warn("failed {} jobs whose process no longer exists (ProcessMissingError): {}{}", orphans.size(), orphans, logContext);
        }
    }

    private void deleteOldCompletedJobs() throws SQLException {
        long retention = config.completedRetention().toMillis();
        // Bounded per run, so a large backlog does not hold up promotion and pruning on this thread.
        for (int batch = 0; batch < JANITOR_BATCHES_PER_RUN && !stopped; batch++) {
            if (Sql.withConnection(dataSource, c -> jobs.deleteCompletedBefore(c, retention)) < 5000) {
                return;
            }
        }
    }

    @FunctionalInterface
    private interface Task {
        void run() throws Exception;
    }

    /** Runs a maintenance task periodically; a failure is logged and the next run tries again. */
    private void schedule(Task task, Duration every) {
        maintenance.scheduleWithFixedDelay(() -> {
            try {
                task.run();
            } catch (Exception e) {
                LOG.warn("maintenance task failed, will retry: {}{}", e.getMessage(), logContext);
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix.endsWith("-") ? prefix + n.incrementAndGet() : prefix);
            t.setDaemon(true);
            return t;
        };
    }
}
