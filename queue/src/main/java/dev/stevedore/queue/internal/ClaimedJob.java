package dev.stevedore.queue.internal;

/**
 * A job this process claimed; {@code claimToken} fences every write made on its behalf. {@code concurrencyKey} is null
 * for a job without a concurrency limit.
 */
public record ClaimedJob(long id, String queue, String handler, String args, int attempt, int maxAttempts, int prunes,
                         Long timeoutMs, String checkpoint, long claimToken, long waitedMs, String concurrencyKey) {}
