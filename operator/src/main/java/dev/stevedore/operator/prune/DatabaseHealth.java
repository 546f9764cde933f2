package dev.stevedore.operator.prune;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * The operator's own record of how a queue database has answered it: when each read happened, how long it
 * took, and whether it failed. A stale heartbeat is proof of death only when the database has been answering
 * normally for the whole time the heartbeat had to land: after an outage (a CloudNativePG failover) or while
 * every statement is slow, heartbeats are stale because the database was away, not because workers died.
 *
 * <p>{@link #settledFor} is that rule: over the last alive threshold, every read succeeded, none took longer
 * than a quarter of the threshold, and no two were further apart than half of it (so no outage can hide
 * between them). The reconciler reads at least every third of a threshold, so a healthy database is settled
 * one threshold after the operator starts or the database returns.
 */
public final class DatabaseHealth {

    private static final Duration KEEP = Duration.ofMinutes(10);
    private static final int MAX_OBSERVATIONS = 1024;

    private record Observation(Instant at, Duration latency, boolean ok) {}

    private final Deque<Observation> recent = new ArrayDeque<>();

    /** A read that returned after {@code latency}, completing at {@code at}. */
    public synchronized void answered(Instant at, Duration latency) {
        add(new Observation(at, latency, true));
    }

    /** A read that failed at {@code at}. */
    public synchronized void failed(Instant at) {
        add(new Observation(at, Duration.ZERO, false));
    }

    /**
     * True when the reads of the last {@code aliveThreshold} before {@code now} all succeeded, each within a
     * quarter of the threshold, spaced at most half of it apart, the newest no older than that.
     */
    public synchronized boolean settledFor(Duration aliveThreshold, Instant now) {
        Duration maxGap = aliveThreshold.dividedBy(2);
        Duration maxLatency = aliveThreshold.dividedBy(4);
        Instant windowStart = now.minus(aliveThreshold);
        Instant newer = now;
        for (Iterator<Observation> it = recent.descendingIterator(); it.hasNext(); ) {
            Observation o = it.next();
            if (Duration.between(o.at(), newer).compareTo(maxGap) > 0 || !o.ok() || o.latency().compareTo(maxLatency) > 0) {
                return false;
            }
            if (!o.at().isAfter(windowStart)) {
                return true;
            }
            newer = o.at();
        }
        return false;
    }

    private void add(Observation o) {
        recent.addLast(o);
        Instant cutoff = o.at().minus(KEEP);
        while (recent.size() > MAX_OBSERVATIONS || (!recent.isEmpty() && recent.peekFirst().at().isBefore(cutoff))) {
            recent.removeFirst();
        }
    }
}
