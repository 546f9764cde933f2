package dev.stevedore.queue;

import dev.stevedore.queue.internal.ClaimedJob;
import dev.stevedore.queue.internal.Completer;
import dev.stevedore.queue.internal.JobQueries;
import dev.stevedore.queue.internal.JobRunner;
import dev.stevedore.queue.internal.NotificationListener;
import dev.stevedore.queue.internal.ProcessQueries;
import dev.stevedore.queue.internal.RetentionJanitor;
import dev.stevedore.queue.internal.Producer;
import dev.stevedore.queue.internal.SafeListener;
import dev.stevedore.queue.internal.Scheduler;
import dev.stevedore.queue.internal.Sql;
import dev.stevedore.queue.internal.WakeSignal;
import java.sql.SQLException;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * due jobs, enqueue the due runs of schedules, prune dead processes of its pool by heartbeat, sweep orphans), and
 * deletes finished jobs past their
 * retention on a thread of its own.
 *
 * <p>Shutdown is Solid Queue's graceful path: {@link #drain} stops claiming and waits for running jobs
 * (what a preStop hook calls); {@link #stop} drains for {@code shutdownTimeout}, hands the jobs still
 * running back to {@code available} without charging their attempt, and deletes the process row.
 */
public final class Worker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
    /**
     * What a stop may take beyond {@code shutdownTimeout}: handler grace, outcome flush, deregistration. Less than
     * the 10 s the operator adds to the grace period, so the kubelet never has to SIGKILL a stopping worker.
     */
    public static final Duration STOP_MARGIN = Duration.ofSeconds(7);
    private static final Duration HANDLER_STOP_GRACE = Duration.ofSeconds(2);
    private static final Duration DEREGISTER_RESERVE = Duration.ofSeconds(3);
    private static final long PAUSE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How often a worker enqueues the due runs of schedules: any worker may, and each run is enqueued once. */
    private static final Duration SCHEDULE_INTERVAL = Duration.ofSeconds(1);
    /** How often a worker looks for jobs with a concurrency key when it was not told of any. */
    private static final long LIMITED_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final DataSource dataSource;
    private final WorkerConfig config;
    private final QueueListener listener;
    private final JobQueries jobs;
    private final ProcessQueries processes;
    private final Pruner pruner;
    private final Scheduler scheduler;
    private final AtomicLong processId = new AtomicLong();
    private final AtomicLong lastHeartbeatNanos = new AtomicLong();
    /** Only the producer's thread claims: whether a queue was paused when it last looked, and when that was. */
    private boolean somePaused;
    private long pausesCheckedNanos = System.nanoTime() - PAUSE_CHECK_NANOS;
    /**
     * Jobs with a concurrency key are claimed by a statement of their own, run while the last one found a key with room,
     * when a notification says such jobs may be claimable, and otherwise once a second.
     */
    private boolean limitedWaiting = true;
    private long limitedCheckedNanos = System.nanoTime();
    private volatile boolean limitedHinted;
    private boolean limitedFirst;
    /** The key the next claim of jobs with a concurrency key starts after: keys take turns. */
    private String limitedCursor = "";
    /** Since when every heartbeat has succeeded; -1 after a failure. Pruning others waits for a settled view. */
    private final AtomicLong healthySinceNanos = new AtomicLong(-1);
    private final AtomicInteger running = new AtomicInteger();
    /** Claim tokens of the jobs dispatched here whose outcome is not yet written: what this process holds. */
    private final Set<Long> held = ConcurrentHashMap.newKeySet();
    private final Object idle = new Object();
    private final Semaphore slots;
    private final WakeSignal wake = new WakeSignal();
    private final ExecutorService executor;
    private final ScheduledExecutorService heartbeats;
    private final ScheduledExecutorService maintenance;
    private final ScheduledExecutorService timeouts;
    private final Completer completer;
    private final RetentionJanitor retention;
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
        this.completer = new Completer(dataSource, jobs, this.listener, logContext, held::remove);
        Map<JobState, Duration> keep = new EnumMap<>(JobState.class);
        keep.put(JobState.COMPLETED, config.completedRetention());
        if (config.failedRetention() != null) {
            keep.put(JobState.FAILED, config.failedRetention());
        }
        if (config.discardedRetention() != null) {
            keep.put(JobState.DISCARDED, config.discardedRetention());
        }
        this.retention = new RetentionJanitor(dataSource, jobs, keep, logContext);
        this.scheduler = new Scheduler(dataSource, schema, logContext);
        this.runner = new JobRunner(handlers, config.retryPolicy(), dataSource, jobs, completer, timeouts, this.listener, logContext);
        this.notifications = new NotificationListener(dataSource, schema.channel(),
                queue -> config.claimsAllQueues() || config.queues().contains(queue), wake::wake, this::cancelRequested,
                () -> limitedHinted = true, logContext);
        this.producer = new Producer(slots, this::claim, this::dispatch, this::releaseUnheldClaims, this::mayClaim, wake, config.pollInterval(),
                logContext);
    }

    /**
     * Registers the process and starts working. Fails with {@link QueueException} if the database cannot be reached, or
     * its queue schema lacks a migration this version needs.
     */
    public static Worker start(DataSource dataSource, QueueSchema schema, WorkerConfig config, HandlerRegistry handlers,
                               QueueListener listener) {
        QueueMigrator.requireMigrated(dataSource, schema);
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
        // The NOTIFY of a cancel can be missed (the listener reconnecting): look for cancels every heartbeat interval too.
        worker.schedule(worker::applyCancels, config.heartbeatInterval());
        worker.schedule(worker::promoteDueJobs, config.promoteInterval());
        worker.schedule(worker.scheduler::tick, SCHEDULE_INTERVAL);
        worker.schedule(worker::pruneDeadProcesses, config.pruneInterval());
        worker.schedule(worker::sweepOrphans, config.orphanSweepInterval());
        worker.schedule(worker::pruneAbandonedProcesses, config.orphanSweepInterval());
        worker.schedule(() -> worker.producer.exclusive(worker::releaseUnheldClaims), config.orphanSweepInterval());
        worker.retention.start();
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
     * The whole sequence ends within {@code shutdownTimeout} + {@link #STOP_MARGIN}, even with the database
     * gone, and the process keeps heartbeating until its row is deleted, so no peer prunes a worker that is
     * still stopping. Safe to call twice or from two threads; the second call waits for the first.
     */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        long deadline = System.nanoTime() + config.shutdownTimeout().plus(STOP_MARGIN).toNanos();
        // An interrupted caller (e.g. a shutdown hook racing another) must still get the whole sequence.
        boolean interrupted = Thread.interrupted();
        try {
            boolean idleInTime = drain(config.shutdownTimeout());
            producer.stop();
            maintenance.shutdown();
            retention.close(leftMs(deadline, DEREGISTER_RESERVE));
            // Interrupt what still runs, and give it a moment, so no job is released while its handler goes on.
            runner.shutdown();
            executor.shutdownNow();
            if (!executor.awaitTermination(Math.min(HANDLER_STOP_GRACE.toMillis(), leftMs(deadline, DEREGISTER_RESERVE)), TimeUnit.MILLISECONDS)) {
                LOG.warn("{} handlers ignored the interrupt; their jobs are released anyway and may run twice{}", running.get(), logContext);
            }
            if (!completer.flush(Duration.ofMillis(leftMs(deadline, DEREGISTER_RESERVE)))) {
                LOG.warn("not every job outcome could be written in time; those jobs will be released{}", logContext);
            }
            completer.close();
            maintenance.awaitTermination(leftMs(deadline, DEREGISTER_RESERVE), TimeUnit.MILLISECONDS);
            int released = deregister(deadline);
            if (released > 0 || !idleInTime) {
                LOG.info("released {} unfinished jobs back to their queues{}", released, logContext);
            }
            // Only now: until the row was gone, the heartbeat told peers this process is alive.
            heartbeats.shutdown();
            heartbeats.awaitTermination(leftMs(deadline, Duration.ZERO), TimeUnit.MILLISECONDS);
            notifications.close(leftMs(deadline, Duration.ZERO));
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

    /** Milliseconds left before {@code deadline}, keeping {@code reserve} for what comes after; at least 0. */
    private static long leftMs(long deadline, Duration reserve) {
        return Math.max(0, (deadline - System.nanoTime() - reserve.toNanos()) / 1_000_000);
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

    private List<ClaimedJob> claim(int limit) throws SQLException {
        // Jobs with and without a concurrency key take turns to claim first, so that a backlog of either cannot starve the
        // other; priority orders the jobs within each.
        limitedFirst = !limitedFirst;
        List<ClaimedJob> claimed = new ArrayList<>(limitedFirst ? claimLimited(limit) : claimUnlimited(limit));
        if (claimed.size() < limit) {
            try {
                claimed.addAll(limitedFirst ? claimUnlimited(limit - claimed.size()) : claimLimited(limit - claimed.size()));
            } catch (SQLException | RuntimeException e) {
                if (claimed.isEmpty()) {
                    throw e;
                }
                // The jobs of the first claim are ours and must run. If the second committed with its reply lost, the
                // periodic release hands its jobs back.
                LOG.warn("claiming jobs failed after {} were claimed, running those: {}{}", claimed.size(), e.getMessage(), logContext);
            }
        }
        for (ClaimedJob job : claimed) {
            listener.jobClaimed(job.queue(), job.handler(), Duration.ofMillis(job.waitedMs()));
        }
        return claimed;
    }

    /** Jobs with a concurrency key, when any may be waiting. */
    private List<ClaimedJob> claimLimited(int limit) throws SQLException {
        long now = System.nanoTime();
        if (!limitedHinted && !limitedWaiting && now - limitedCheckedNanos < LIMITED_CHECK_NANOS) {
            return List.of();
        }
        limitedHinted = false;
        // READ COMMITTED whatever the default: the count must come from a snapshot taken after the key locks.
        JobQueries.LimitedClaim result = Sql.inTransaction(dataSource, Connection.TRANSACTION_READ_COMMITTED,
                c -> jobs.claimLimited(c, processId.get(), config.queues(), config.claimsAllQueues(), pausesSeen(c), limit, limitedCursor));
        limitedWaiting = result.keysWithRoom();
        limitedCursor = result.cursor();
        limitedCheckedNanos = now;
        return result.jobs();
    }

    /**
     * Whether any queue was paused when this worker last looked, at most a second ago. It only chooses between claim
     * statements (each skips paused queues): a worker of every queue, and every claim of limited jobs, has a faster one
     * for when no queue is paused.
     */
    private boolean pausesSeen(Connection c) throws SQLException {
        if (System.nanoTime() - pausesCheckedNanos >= PAUSE_CHECK_NANOS) {
            somePaused = jobs.anyQueuePaused(c);
            pausesCheckedNanos = System.nanoTime();
        }
        return somePaused;
    }

    private List<ClaimedJob> claimUnlimited(int limit) throws SQLException {
        return Sql.withConnection(dataSource, c -> {
            // A worker of every queue claims by the index of all queues while none is paused, and skips the paused
            // ones queue by queue otherwise; it looks again at most once a second. (Either statement skips paused
            // queues: this only picks the faster one.)
            return jobs.claim(c, processId.get(), config.queues(), config.claimsAllQueues(), config.claimsAllQueues() && pausesSeen(c), limit);
        });
    }

    private void dispatch(ClaimedJob job) {
        held.add(job.claimToken());
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

    /**
     * Releases what the database says this process holds but it is not running: the jobs of a claim that
     * committed while its reply was lost. Called by the producer after a failed claim and, periodically, with
     * no claim in flight, so every job claimed so far is in {@link #held}.
     */
    private void releaseUnheldClaims() throws SQLException {
        Long[] tokens = held.toArray(Long[]::new);
        List<Long> released = Sql.withConnection(dataSource, c -> jobs.releaseUnheld(c, processId.get(), tokens));
        if (!released.isEmpty()) {
            LOG.warn("released {} jobs claimed by this process that it was not running (a claim whose reply was lost): {}{}",
                    released.size(), released, logContext);
            listener.jobsReleased(released.size());
        }
    }

    private void heartbeat() {
        long started = System.nanoTime();
        try {
            boolean alive = Sql.withConnection(dataSource, c -> {
                boundWait(c);
                return processes.heartbeat(c, processId.get());
            });
            if (alive) {
                long previous = lastHeartbeatNanos.getAndSet(started);
                // A gap between two good heartbeats (one was blocked, not failed) counts like a failure.
                if (healthySinceNanos.get() == -1 || started - previous > heartbeatGapNanos()) {
                    healthySinceNanos.set(started);
                }
                return;
            }
            if (stopped) {
                return; // deregistered (or pruned) while stopping: nothing to come back for
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

    /**
     * A heartbeat never waits longer than half the alive threshold for the database: on a dead connection (a
     * partition delivers nothing, not even a reset) the read times out, the heartbeat counts as failed, and the
     * worker stops claiming before anyone may judge it dead. The pool resets the timeout when it takes the
     * connection back.
     */
    private void boundWait(Connection c) {
        try {
            c.setNetworkTimeout(Runnable::run, (int) Math.max(250, config.aliveThreshold().toMillis() / 2));
        } catch (SQLException e) {
            // a driver without network timeouts: the pool's socket timeout is the bound
        }
    }

    /**
     * Deletes the process row and releases what is left, retrying until {@code deadline}. It runs on a thread of
     * its own so that a connection attempt that hangs cannot hold the stop past its budget; if the deadline
     * passes, the row is left to be pruned by its heartbeat.
     */
    private int deregister(long deadline) throws InterruptedException {
        AtomicInteger released = new AtomicInteger(-1);
        Thread t = new Thread(() -> {
            for (int attempt = 1; System.nanoTime() < deadline; attempt++) {
                try {
                    int n = Sql.inTransaction(dataSource, c -> processes.releaseAndDelete(c, processId.get()));
                    listener.jobsReleased(n);
                    released.set(n);
                    return;
                } catch (SQLException e) {
                    LOG.warn("could not deregister process {} (attempt {}): {}{}", processId.get(), attempt, e.getMessage(), logContext);
                    try {
                        Thread.sleep(Math.min(500L * attempt, leftMs(deadline, Duration.ZERO)));
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                }
            }
        }, "stevedore-deregister");
        t.setDaemon(true);
        t.start();
        t.join(Math.max(1, leftMs(deadline, Duration.ZERO)));
        if (released.get() < 0) {
            t.interrupt();
            LOG.error("could not deregister process {} in time; it will be pruned once its heartbeat expires{}", processId.get(), logContext);
            return 0;
        }
        return released.get();
    }

    private void promoteDueJobs() throws SQLException {
        Sql.withConnection(dataSource, jobs::promoteDue);
    }

    /**
     * Only a worker whose own heartbeats have succeeded for a whole alive threshold judges others: after a
     * database outage every heartbeat is stale, and the first worker back must not prune its live peers.
     */
    private void pruneDeadProcesses() {
        if (settledView()) {
            reportPruned(pruner.pruneExpired(Optional.of(config.identity().pool()), processId.get()));
        }
    }

    /**
     * True when this worker's own heartbeats have succeeded, spaced no wider than {@link #heartbeatGapNanos()},
     * for a whole alive threshold: the database has answered promptly long enough that a stale heartbeat of
     * another process means that process, not the database, stopped.
     */
    private boolean settledView() {
        long now = System.nanoTime();
        long since = healthySinceNanos.get();
        boolean fresh = now - lastHeartbeatNanos.get() < heartbeatGapNanos();
        return fresh && since != -1 && now - since >= config.aliveThreshold().toNanos();
    }

    private void reportPruned(List<Pruner.PrunedProcess> pruned) {
        for (Pruner.PrunedProcess p : pruned) {
            LOG.warn("pruned dead process {} ({}): {}; failed jobs {}, retried jobs {}{}", p.processId(),
                    p.pod() != null ? "pod " + p.pod() : p.host() + " pid " + p.pid(), p.reason(), p.failedJobIds(), p.retriedJobIds(), logContext);
            listener.processPruned(p.processId(), p.reason(), p.failedJobIds().size(), p.retriedJobIds().size());
            for (Pruner.PrunedJob job : p.jobs()) {
                listener.jobPruned(job.queue(), job.handler(), p.reason(), job.retried());
            }
        }
    }

    /**
     * The widest spacing of two heartbeats that still counts as a database answering promptly: three heartbeat
     * intervals, and never more than half the alive threshold, so that a database slow enough to make heartbeats
     * go stale is never taken as settled.
     */
    private long heartbeatGapNanos() {
        return Math.min(config.heartbeatInterval().multipliedBy(3).toNanos(), config.aliveThreshold().dividedBy(2).toNanos());
    }

    private void sweepOrphans() {
        var orphans = pruner.sweepOrphans();
        if (!orphans.isEmpty()) {
            LOG.warn("settled {} jobs whose process no longer exists (ProcessMissingError, the pool's policy for pruned jobs applied): {}{}",
                    orphans.size(), orphans, logContext);
        }
    }

    /** Processes of any pool, long past their alive threshold: their pool may be gone, and nobody else prunes them. */
    private void pruneAbandonedProcesses() {
        if (settledView()) {
            reportPruned(pruner.pruneAbandoned(processId.get()));
        }
    }

    /** A cancel of running jobs was asked for somewhere: look on the maintenance thread, not the listener's. */
    private void cancelRequested() {
        try {
            maintenance.execute(() -> {
                try {
                    applyCancels();
                } catch (SQLException | RuntimeException e) {
                    LOG.warn("looking for cancelled jobs failed, will look again: {}{}", e.getMessage(), logContext);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // stopping: running jobs are released, and a release discards a job whose cancel was asked for
        }
    }

    /** Interrupts the handlers of this process's running jobs whose cancel was asked for. */
    private void applyCancels() throws SQLException {
        if (running.get() == 0) {
            return;
        }
        Sql.withConnection(dataSource, c -> jobs.cancelRequests(c, processId.get())).forEach(runner::cancel);
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
