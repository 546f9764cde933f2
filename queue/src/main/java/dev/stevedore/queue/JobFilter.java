package dev.stevedore.queue;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;

/**
 * Which jobs an admin call looks at. Every field is optional; {@code since}/{@code until} bound the time of
 * the job's last step (finished-at for finished jobs, else created-at). {@code errorClass} matches the
 * class of the last error, e.g. {@code ProcessPrunedError}. {@code beforeId} keeps only jobs with a smaller id: the
 * next page of a listing (the last id shown), or, for a bulk change, the jobs that existed when it was confirmed.
 */
public record JobFilter(Set<JobState> states, String queue, String handler, String errorClass, Instant since, Instant until,
                        Long beforeId, int limit) {

    public static final int DEFAULT_LIMIT = 100;

    public JobFilter {
        states = states == null || states.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(states));
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        }
        if (since != null && until != null && since.isAfter(until)) {
            throw new IllegalArgumentException("since (" + since + ") is after until (" + until + ")");
        }
        if (beforeId != null && beforeId < 1) {
            throw new IllegalArgumentException("beforeId must be a job id (at least 1), got " + beforeId);
        }
    }

    public JobFilter(Set<JobState> states, String queue, String handler, String errorClass, Instant since, Instant until, int limit) {
        this(states, queue, handler, errorClass, since, until, null, limit);
    }

    public static JobFilter all() {
        return new JobFilter(Set.of(), null, null, null, null, null, null, DEFAULT_LIMIT);
    }

    public JobFilter withStates(Set<JobState> s) {
        return new JobFilter(s, queue, handler, errorClass, since, until, beforeId, limit);
    }

    public JobFilter withQueue(String q) {
        return new JobFilter(states, q, handler, errorClass, since, until, beforeId, limit);
    }

    public JobFilter withHandler(String h) {
        return new JobFilter(states, queue, h, errorClass, since, until, beforeId, limit);
    }

    public JobFilter withErrorClass(String e) {
        return new JobFilter(states, queue, handler, e, since, until, beforeId, limit);
    }

    public JobFilter withTimeRange(Instant from, Instant to) {
        return new JobFilter(states, queue, handler, errorClass, from, to, beforeId, limit);
    }

    public JobFilter withBeforeId(Long id) {
        return new JobFilter(states, queue, handler, errorClass, since, until, id, limit);
    }

    public JobFilter withLimit(int l) {
        return new JobFilter(states, queue, handler, errorClass, since, until, beforeId, l);
    }

    /** True when nothing narrows the selection: bulk changes refuse that, to prevent accidents. */
    public boolean isUnbounded() {
        return states.isEmpty() && queue == null && handler == null && errorClass == null && since == null && until == null;
    }
}
