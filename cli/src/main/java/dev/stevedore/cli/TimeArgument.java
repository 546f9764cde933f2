package dev.stevedore.cli;

import dev.stevedore.queue.Durations;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** A point in time on the command line: an ISO-8601 instant (2026-11-26T10:00:00Z), or a duration ago (90m). */
final class TimeArgument {

    private TimeArgument() {}

    static Instant parse(String value, String option) {
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException notAnInstant) {
            try {
                return Instant.now().minus(Durations.parse(value, option));
            } catch (IllegalArgumentException notADuration) {
                throw new IllegalArgumentException(option + " must be an ISO-8601 time like 2026-11-26T10:00:00Z or a duration ago like 90m, got '" + value + "'");
            }
        }
    }
}
