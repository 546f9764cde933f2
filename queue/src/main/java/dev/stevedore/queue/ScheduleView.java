package dev.stevedore.queue;

import java.time.Instant;

/**
 * A schedule as stored, with its state: the next time it runs, the time of the last run enqueued and that job (its state
 * is null once retention has deleted it). {@code pool} is the JobWorkerPool ("namespace/name") whose spec declares it, or
 * null for a schedule set by hand.
 */
public record ScheduleView(Schedule schedule, String pool, Instant nextRunAt, Instant lastRunAt, Long lastJobId, JobState lastJobState,
                           Instant updatedAt) {}
