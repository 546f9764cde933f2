package dev.stevedore.operator.prune;

import java.time.Duration;
import java.time.Instant;

/** What the database says about one worker process row. Times are the database's. */
public record ProcessFacts(long processId, String podName, String podUid, Instant startedAt, Instant lastHeartbeatAt, Duration aliveThreshold) {

    /** When this process's heartbeat becomes stale, if it is not renewed. */
    public Instant staleAt() {
        return lastHeartbeatAt.plus(aliveThreshold);
    }

    public boolean heartbeatStale(Instant dbNow) {
        return dbNow.isAfter(staleAt());
    }
}
