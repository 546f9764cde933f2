package dev.stevedore.queue;

import java.time.Duration;
import java.util.List;

/**
 * Hooks for metrics and logs. Called on the worker's own threads: keep implementations quick and
 * non-blocking. Every method has a no-op default.
 */
public interface QueueListener {

    QueueListener NONE = new QueueListener() {};

    /** A job was claimed; {@code waited} is how long it had been due (claim time minus run-at, on the database clock). */
    default void jobClaimed(String queue, String handler, Duration waited) {}

    default void jobCompleted(String queue, String handler, Duration runtime) {}

    /** A handler error (or timeout); {@code willRetry} says whether the job was rescheduled. */
    default void jobFailed(String queue, String handler, String errorClass, boolean willRetry) {}

    /** A dead process was pruned by this worker: {@code failed} of its jobs ended failed, {@code retried} were rescheduled. */
    default void processPruned(long processId, String reason, int failed, int retried) {}

    /** One job of a process this worker pruned. */
    default void jobPruned(String queue, String handler, String reason, boolean willRetry) {}

    /** A completion, failure or checkpoint for a job this worker no longer holds was refused. */
    default void lateWriteRejected(long jobId, String what) {}

    default void heartbeatFailed(Exception cause) {}

    /** Unfinished jobs handed back on shutdown, attempt not charged. */
    default void jobsReleased(int count) {}
}
