package dev.stevedore.queue;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a job waits before its next attempt after a handler error: exponential backoff,
 * {@code base * 2^(attempt-1)}, capped at {@code max}, with up to {@code jitter} (a fraction) added or
 * taken away at random so that jobs failing together do not retry together. Attempts stop at the job's
 * max attempts.
 */
public record RetryPolicy(Duration base, Duration max, double jitter) {

    public static final RetryPolicy DEFAULT = new RetryPolicy(Duration.ofSeconds(1), Duration.ofHours(1), 0.2);

    public RetryPolicy {
        if (base.isNegative() || max.compareTo(base) < 0) {
            throw new IllegalArgumentException("retry backoff needs 0 <= base <= max, got base " + base + ", max " + max);
        }
        if (jitter < 0 || jitter >= 1) {
            throw new IllegalArgumentException("retry jitter is a fraction in [0, 1), got " + jitter);
        }
    }

    /** The wait after failed attempt number {@code attempt} (1-based). */
    public Duration backoff(int attempt) {
        double exponential = base.toMillis() * Math.pow(2, Math.max(0, Math.min(attempt - 1, 40)));
        double capped = Math.min(exponential, max.toMillis());
        double factor = jitter == 0 ? 1 : 1 + ThreadLocalRandom.current().nextDouble(-jitter, jitter);
        return Duration.ofMillis(Math.round(capped * factor));
    }

    /** Whether a job that has used {@code attempts} of {@code maxAttempts} gets another. */
    public static boolean hasAttemptsLeft(int attempts, int maxAttempts) {
        return attempts < maxAttempts;
    }
}
