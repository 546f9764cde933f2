package dev.stevedore.queue;

import java.time.Duration;
import java.util.List;

/**
 * Hooks for metrics and logs. Called on the worker's own threads: keep implementations quick and
 * non-blocking. Every method has a no-op default.
 */
public interface QueueListener {

    QueueListener NONE = new QueueListener() {};

    default void jobsClaimed(int count) {}

    default void jobCompleted(String queue, String handler, Duration runtime) {}

    /** A handler error (or timeout); {@code willRetry} says whether the job was rescheduled. */
    default void jobFailed(String queue, String handler, String errorClass, boolean willRetry) {}

    /** Jobs of a dead process: {@code failed} ended failed, {@code retried} were rescheduled. */
    default void processPruned(long processId, String reason, int failed, int retried) {}

    /** A completion, failure or checkpoint for a job this worker no longer holds was refused. */
    default void lateWriteRejected(long jobId, String what) {}

    default void heartbeatFailed(Exception cause) {}

    /** Unfinished jobs handed back on shutdown, attempt not charged. */
    default void jobsReleased(int count) {}
}
