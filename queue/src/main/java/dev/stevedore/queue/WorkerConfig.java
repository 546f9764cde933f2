package dev.stevedore.queue;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Settings of one worker process. Build with {@link #builder(ProcessIdentity)}; every field has a
 * documented default and {@code build()} checks them together.
 *
 * @param queues             queue names to claim from; {@code ["*"]} claims from every queue
 * @param threads            execution slots: jobs run at once
 * @param heartbeatInterval  how often the process row's heartbeat is renewed (default 2 s)
 * @param aliveThreshold     a process whose heartbeat is older than this is dead and may be pruned (default 10 s);
 *                           the worker itself stops claiming once it has failed to heartbeat for this long
 * @param shutdownTimeout    how long a graceful stop waits for running jobs before releasing them (default 25 s)
 * @param pollInterval       fallback claim poll when no notification arrives (default 1 s)
 * @param pruneInterval      how often this worker prunes dead processes of its own pool (default: alive threshold / 2)
 * @param orphanSweepInterval how often jobs claimed by a process without a row are failed (default 1 min)
 * @param promoteInterval    how often due scheduled jobs become available (default 250 ms)
 * @param completedRetention how long completed jobs are kept (default 1 day)
 * @param failedRetention    how long failed jobs are kept; null (the default) keeps them until discarded or retried
 * @param discardedRetention how long discarded jobs are kept; null (the default) keeps them
 * @param retryPolicy        backoff after handler errors
 * @param prunedJobPolicy    what happens to the jobs of a dead process of this pool (default: no retry)
 */
public record WorkerConfig(ProcessIdentity identity, List<String> queues, int threads, Duration heartbeatInterval,
                           Duration aliveThreshold, Duration shutdownTimeout, Duration pollInterval, Duration pruneInterval,
                           Duration orphanSweepInterval, Duration promoteInterval, Duration completedRetention,
                           Duration failedRetention, Duration discardedRetention, RetryPolicy retryPolicy, PrunedJobPolicy prunedJobPolicy) {

    public static final String ALL_QUEUES = "*";

    public WorkerConfig {
        Objects.requireNonNull(identity, "identity");
        queues = List.copyOf(queues);
        if (queues.isEmpty()) {
            throw new IllegalArgumentException("queues must name at least one queue, or '*' for all");
        }
        for (String q : queues) {
            if (!q.equals(ALL_QUEUES) && !NewJob.QUEUE.matcher(q).matches()) {
                throw new IllegalArgumentException("queue '" + q + "' is invalid: use letters, digits, '_', '.', ':' or '-', or '*' for all queues");
            }
        }
        if (queues.contains(ALL_QUEUES) && queues.size() > 1) {
            throw new IllegalArgumentException("queues: '*' already means every queue; give it alone");
        }
        if (threads < 1 || threads > 10_000) {
            throw new IllegalArgumentException("threads must be between 1 and 10000, got " + threads);
        }
        positive("heartbeatInterval", heartbeatInterval);
        positive("aliveThreshold", aliveThreshold);
        positive("pollInterval", pollInterval);
        positive("pruneInterval", pruneInterval);
        positive("orphanSweepInterval", orphanSweepInterval);
        positive("promoteInterval", promoteInterval);
        positive("completedRetention", completedRetention);
        if (failedRetention != null) {
            positive("failedRetention", failedRetention);
        }
        if (discardedRetention != null) {
            positive("discardedRetention", discardedRetention);
        }
        if (shutdownTimeout == null || shutdownTimeout.isNegative()) {
            throw new IllegalArgumentException("shutdownTimeout must be 0 or more, got " + shutdownTimeout);
        }
        if (aliveThreshold.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("aliveThreshold (" + aliveThreshold + ") must be at least twice heartbeatInterval ("
                    + heartbeatInterval + "), or one late heartbeat gets a live worker pruned");
        }
        Objects.requireNonNull(retryPolicy, "retryPolicy");
        Objects.requireNonNull(prunedJobPolicy, "prunedJobPolicy");
    }

    public boolean claimsAllQueues() {
        return queues.equals(List.of(ALL_QUEUES));
    }

    public static Builder builder(ProcessIdentity identity) {
        return new Builder(identity);
    }

    private static void positive(String name, Duration value) {
        if (value == null || value.toMillis() < 1) {
            throw new IllegalArgumentException(name + " must be at least 1ms, got " + value);
        }
    }

    public static final class Builder {
        private ProcessIdentity identity;
        private List<String> queues = List.of(ALL_QUEUES);
        private int threads = 10;
        private Duration heartbeatInterval = Duration.ofSeconds(2);
        private Duration aliveThreshold = Duration.ofSeconds(10);
        private Duration shutdownTimeout = Duration.ofSeconds(25);
        private Duration pollInterval = Duration.ofSeconds(1);
        private Duration pruneInterval;
        private Duration orphanSweepInterval = Duration.ofMinutes(1);
        private Duration promoteInterval = Duration.ofMillis(250);
        private Duration completedRetention = Duration.ofDays(1);
        private Duration failedRetention;
        private Duration discardedRetention;
        private RetryPolicy retryPolicy = RetryPolicy.DEFAULT;
        private PrunedJobPolicy prunedJobPolicy = PrunedJobPolicy.NO_RETRY;

        private Builder(ProcessIdentity identity) {
            this.identity = identity;
        }

        public Builder identity(ProcessIdentity identity) {
            this.identity = identity;
            return this;
        }

        public Builder queues(List<String> queues) {
            this.queues = queues;
            return this;
        }

        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        public Builder heartbeatInterval(Duration d) {
            this.heartbeatInterval = d;
            return this;
        }

        public Builder aliveThreshold(Duration d) {
            this.aliveThreshold = d;
            return this;
        }

        public Builder shutdownTimeout(Duration d) {
            this.shutdownTimeout = d;
            return this;
        }

        public Builder pollInterval(Duration d) {
            this.pollInterval = d;
            return this;
        }

        public Builder pruneInterval(Duration d) {
            this.pruneInterval = d;
            return this;
        }

        public Builder orphanSweepInterval(Duration d) {
            this.orphanSweepInterval = d;
            return this;
        }

        public Builder promoteInterval(Duration d) {
            this.promoteInterval = d;
            return this;
        }

        public Builder completedRetention(Duration d) {
            this.completedRetention = d;
            return this;
        }

        /** How long failed jobs are kept; null keeps them until discarded or retried (the default). */
        public Builder failedRetention(Duration d) {
            this.failedRetention = d;
            return this;
        }

        /** How long discarded jobs are kept; null keeps them (the default). */
        public Builder discardedRetention(Duration d) {
            this.discardedRetention = d;
            return this;
        }

        public Builder retryPolicy(RetryPolicy p) {
            this.retryPolicy = p;
            return this;
        }

        public Builder prunedJobPolicy(PrunedJobPolicy p) {
            this.prunedJobPolicy = p;
            return this;
        }

        public WorkerConfig build() {
            Duration prune = pruneInterval != null ? pruneInterval
                    : aliveThreshold == null ? null : aliveThreshold.dividedBy(2);
            return new WorkerConfig(identity, queues, threads, heartbeatInterval, aliveThreshold, shutdownTimeout, pollInterval,
                    prune, orphanSweepInterval, promoteInterval, completedRetention, failedRetention, discardedRetention, retryPolicy,
                    prunedJobPolicy);
        }
    }
}
