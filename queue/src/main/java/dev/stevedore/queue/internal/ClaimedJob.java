package dev.stevedore.queue.internal;

/** A job this process claimed; {@code claimToken} fences every write made on its behalf. */
public record ClaimedJob(long id, String queue, String handler, String args, int attempt, int maxAttempts, int prunes,
                         Long timeoutMs, String checkpoint, long claimToken, long waitedMs) {}
