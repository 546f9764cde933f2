package dev.stevedore.queue;

import java.time.Instant;

/**
 * A job as the admin API shows it. {@code errors} is the whole error history as a JSON array;
 * {@code lastError} its newest entry, already split into fields. {@code concurrencyKey} and {@code concurrencyLimit} are
 * null for a job without a concurrency limit.
 */
public record JobView(long id, String queue, String handler, JobState state, int priority, int attempts, int maxAttempts, int prunes,
                      String args, String checkpoint, String uniqueKey, String concurrencyKey, Integer concurrencyLimit, Long claimedBy, Instant runAt, Instant createdAt,
                      Instant claimedAt, Instant finishedAt, JobError lastError, String errors) {

    /**
     * One entry of a job's error history. {@code errorClass} is the exception class, or
     * {@code ProcessPrunedError}, {@code ProcessMissingError}, {@code JobTimeoutError}, {@code UnknownHandlerError}.
     * The process fields are set for pruned jobs.
     */
    public record JobError(String errorClass, String message, Instant at, Integer attempt, String reason, Long process, String pod,
                           String node, String host, Long pid, Integer exitCode, String signal, Instant lastHeartbeatAt, Instant prunedAt) {}
}
