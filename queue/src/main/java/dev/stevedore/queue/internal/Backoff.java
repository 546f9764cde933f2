package dev.stevedore.queue.internal;

import java.time.Duration;

/** Growing pauses between retries of a failing database call: 100 ms doubling up to 5 s. */
public final class Backoff {

    private static final long FIRST_MS = 100;
    private static final long MAX_MS = 5_000;
    private long nextMs = FIRST_MS;

    public Duration next() {
        Duration d = Duration.ofMillis(nextMs);
        nextMs = Math.min(MAX_MS, nextMs * 2);
        return d;
    }

    public void reset() {
        nextMs = FIRST_MS;
    }
}
