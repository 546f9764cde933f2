package dev.stevedore.queue.internal;

/** The end of one attempt, to be written by the completer. */
public sealed interface Outcome {

    ClaimedJob job();

    record Completed(ClaimedJob job, long runtimeNanos) implements Outcome {}

    /** {@code retryDelayMs} null means no retry: the job ends failed. */
    record Failed(ClaimedJob job, String errorClass, String message, String backtrace, Long retryDelayMs) implements Outcome {}
}
