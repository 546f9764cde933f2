package dev.stevedore.queue.internal;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The claim loop. It waits for a free execution slot, claims as many jobs as there are free slots in one
 * statement, and hands them to the executor. While slots are busy it claims at most once per cooldown, so one
 * claim gathers every slot freed meanwhile. When a claim comes back short the queue is empty, and it sleeps
 * until a notification or the poll interval.
 */
public final class Producer {

    /** Claims up to {@code limit} jobs. */
    @FunctionalInterface
    public interface Claimer {
        List<ClaimedJob> claim(int limit) throws SQLException;
    }

    /** Hands back the jobs the database says this process holds but it is not running. */
    @FunctionalInterface
    public interface Reconciler {
        void reconcile() throws SQLException;
    }

    /** Starts a claimed job; must release one slot when the job is done. */
    @FunctionalInterface
    public interface Dispatcher {
        void dispatch(ClaimedJob job);
    }

    private static final Logger LOG = LoggerFactory.getLogger(Producer.class);
    /**
     * While fewer than half the slots are free, the shortest spacing of two claims (after Oban's dispatch cooldown).
     * Without it a loaded worker claims again as soon as one slot frees, so each claim fetches a handful of jobs and
     * the statements, not the jobs, use the database. An idle worker claims at once, and a worker with half its
     * slots free too, so a small pool of short jobs is never held to one batch per cooldown.
     */
    static final long COOLDOWN_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final Semaphore slots;
    private final int halfTheSlots;
    private final Claimer claimer;
    private final Dispatcher dispatcher;
    private final Reconciler reconciler;
    /** A claim failed: it may have committed with its reply lost, so reconcile before claiming again. */
    private boolean reconcileFirst;
    private final BooleanSupplier mayClaim;
    private final WakeSignal wake;
    private final Duration pollInterval;
    private final String logContext;
    private final Thread thread;
    private volatile boolean running = true;
    /** Held from a claim until its jobs are dispatched, so {@link #quiesce} can wait for both. */
    private final Object claiming = new Object();

    public Producer(Semaphore slots, Claimer claimer, Dispatcher dispatcher, Reconciler reconciler, BooleanSupplier mayClaim, WakeSignal wake,
                    Duration pollInterval, String logContext) {
        this.reconciler = reconciler;
        this.slots = slots;
        this.halfTheSlots = Math.max(1, (slots.availablePermits() + 1) / 2);
        this.claimer = claimer;
        this.dispatcher = dispatcher;
        this.mayClaim = mayClaim;
        this.wake = wake;
        this.pollInterval = pollInterval;
        this.logContext = logContext;
        this.thread = new Thread(this::run, "stevedore-producer");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /**
     * Returns once no claim is between the database and the executor. Call after making {@code mayClaim}
     * false: from then on every claimed job is counted as running.
     */
    public void quiesce() {
        synchronized (claiming) {
            // nothing: entering means the producer is outside a claim
        }
    }

    /** Runs {@code work} while no claim is between the database and the executor. */
    public void exclusive(Reconciler work) throws SQLException {
        synchronized (claiming) {
            work.reconcile();
        }
    }

    /** Stops claiming; returns once no claim is in progress. */
    public void stop() throws InterruptedException {
        running = false;
        wake.wake();
        thread.join();
    }

    private void run() {
        Backoff backoff = new Backoff();
        long lastClaim = System.nanoTime() - COOLDOWN_NANOS;
        try {
            while (running) {
                if (!mayClaim.getAsBoolean()) {
                    wake.await(pollInterval);
                    continue;
                }
                // Within the cooldown of the last claim, wait for half the slots; after it, for one.
                long cooldown = lastClaim + COOLDOWN_NANOS - System.nanoTime();
                int first = cooldown > 0 ? halfTheSlots : 1;
                if (!slots.tryAcquire(first, cooldown > 0 ? cooldown : pollInterval.toNanos(), TimeUnit.NANOSECONDS)) {
                    continue;
                }
                int free = first + slots.drainPermits();
                List<ClaimedJob> jobs = List.of();
                Exception failure = null;
                lastClaim = System.nanoTime();
                synchronized (claiming) {
                    try {
                        if (reconcileFirst) {
                            reconciler.reconcile();
                            reconcileFirst = false;
                        }
                        // Checked again under the lock: a drain that has passed quiesce() sees no later claim.
                        jobs = running && mayClaim.getAsBoolean() ? claimer.claim(free) : List.of();
                    } catch (SQLException | RuntimeException e) {
                        failure = e;
                        reconcileFirst = true;
                    }
                    slots.release(free - jobs.size());
                    for (ClaimedJob job : jobs) {
                        dispatcher.dispatch(job);
                    }
                }
                if (failure != null) {
                    Duration pause = backoff.next();
                    LOG.warn("claiming jobs failed, retrying in {} ms: {}{}", pause.toMillis(), failure.getMessage(), logContext);
                    wake.await(pause);
                    continue;
                }
                backoff.reset();
                if (jobs.size() < free) {
                    wake.await(pollInterval);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
