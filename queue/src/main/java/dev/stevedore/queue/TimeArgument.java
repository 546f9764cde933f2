package dev.stevedore.queue;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * A point in time as a person types it (the CLI's --since, the dashboard's filters): an ISO-8601 instant
 * (2026-11-26T10:00:00Z), or a duration ago (90m).
 */
public final class TimeArgument {

    private TimeArgument() {}

    /** Null for null or blank; the error names {@code option}. */
    public static Instant parse(String value, String option) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(value.trim());
        } catch (DateTimeParseException notAnInstant) {
            try {
                return Instant.now().minus(Durations.parse(value.trim(), option));
            } catch (IllegalArgumentException notADuration) {
                throw new IllegalArgumentException(option + " must be an ISO-8601 time like 2026-11-26T10:00:00Z or a duration ago like 90m, got '" + value + "'");
            }
        }
    }
}
