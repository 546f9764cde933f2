package dev.stevedore.queue;

import java.time.Duration;

/**
 * What happens to the jobs a dead worker held. The default retries none, like Solid Queue, because the
 * job itself may be what kills workers. A bounded policy retries each job at most {@code retryLimit}
 * times after {@code backoff}; every job counts its own prunes, so a job that keeps killing workers ends
 * {@code failed} instead of crash-looping the pool. A retry also needs an attempt left (max attempts).
 */
public record PrunedJobPolicy(int retryLimit, Duration backoff) {

    public static final PrunedJobPolicy NO_RETRY = new PrunedJobPolicy(0, Duration.ZERO);

    public PrunedJobPolicy {
        if (retryLimit < 0) {
            throw new IllegalArgumentException("pruned retry limit must be 0 or more, got " + retryLimit);
        }
        if (backoff == null || backoff.isNegative()) {
            throw new IllegalArgumentException("pruned retry backoff must be 0 or more, got " + backoff);
        }
    }
}
