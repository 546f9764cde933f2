package dev.stevedore.queue;

import java.util.Locale;

/** The life of a job. Stored as the lower-case name. */
public enum JobState {
    /** Waiting for its run-at time: enqueued with a delay, or backing off before a retry. */
    SCHEDULED,
    /** Ready to be claimed. */
    AVAILABLE,
    /** Claimed by a worker process, which holds a fencing token for it. */
    RUNNING,
    /** Finished successfully; kept for the retention period, then deleted. */
    COMPLETED,
    /** Out of attempts, failed without retry, or pruned beyond the pool's retry limit. Can be retried by hand. */
    FAILED,
    /** Given up on by an operator. */
    DISCARDED;

    public String dbName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static JobState fromDb(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }

    /** Parses a user-supplied state, with an error that lists the valid ones. */
    public static JobState parse(String value) {
        for (JobState s : values()) {
            if (s.dbName().equalsIgnoreCase(value == null ? "" : value.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown job state '" + value + "': use one of scheduled, available, running, completed, failed, discarded");
    }
}
