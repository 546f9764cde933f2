package dev.stevedore.queue;

import dev.stevedore.queue.internal.Json;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.regex.Pattern;

/**
 * A recurring job: at each time {@code cron} names, in {@code timeZone}, one job of {@code handler} is enqueued on
 * {@code queue}. Build one with {@link #of(String, String, String, String)}:
 *
 * <pre>{@code
 * Schedule.of("nightly-report", "0 2 * * *", "reports", "build-report").timeZone("Europe/Berlin").missed(Missed.RUN_ONCE).build()
 * }</pre>
 *
 * @param missed what happens to runs missed while no worker ran (see {@link Missed})
 */
public record Schedule(String name, CronExpression cron, ZoneId timeZone, String queue, String handler, String args, int priority,
                       int maxAttempts, Duration timeout, Missed missed) {

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,100}");

    /**
     * Runs missed while no worker ran: a run is missed when it is enqueued more than {@link Schedule#MISSED_AFTER} after its
     * time. Runs less late than that are all enqueued, so an outage ends in at most a minute's worth of runs, never in a run
     * per missed time.
     */
    public enum Missed {
        /** Missed runs are skipped; the schedule carries on from its next time (cron's behaviour). */
        SKIP("skip"),
        /** The latest missed run is enqueued once, as soon as a worker runs again; earlier ones are skipped. */
        RUN_ONCE("run_once");

        private final String dbName;

        Missed(String dbName) {
            this.dbName = dbName;
        }

        public String dbName() {
            return dbName;
        }

        public static Missed fromDb(String name) {
            for (Missed m : values()) {
                if (m.dbName.equals(name)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("missed must be skip or run_once, got '" + name + "'");
        }
    }

    /** How late a run may be enqueued and still count as on time; later, it is missed. */
    public static final Duration MISSED_AFTER = Duration.ofMinutes(1);

    public Schedule {
        checkName(name);
        if (cron == null) {
            throw new IllegalArgumentException("schedule '" + name + "': cron is required, e.g. \"0 2 * * *\" or @hourly");
        }
        if (timeZone == null) {
            throw new IllegalArgumentException("schedule '" + name + "': timeZone is required, e.g. UTC or Europe/Berlin");
        }
        NewJob.checkQueueName(queue);
        // The job it enqueues must be valid, so a bad handler, args, priority or timeout is refused here, not at its first run.
        new NewJob(queue, handler, args, priority, null, null, maxAttempts, null, timeout, null, null);
        Json.requireValid(args, "args");
        if (missed == null) {
            throw new IllegalArgumentException("schedule '" + name + "': missed must be skip or run_once");
        }
    }

    /** Refuses a schedule name the table would refuse, saying what a name may hold. */
    static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("schedule name '" + name + "' is invalid: use 1 to 100 letters, digits, '_', '.', ':' or '-'");
        }
    }

    /** Parses a time zone id, naming the field and the fix when it is unknown. */
    public static ZoneId zone(String id) {
        try {
            return ZoneId.of(id);
        } catch (DateTimeException | NullPointerException e) {
            throw new IllegalArgumentException("time zone '" + id + "' is unknown: use an IANA name such as UTC or Europe/Berlin");
        }
    }

    public static Builder of(String name, String cron, String queue, String handler) {
        return new Builder(name, cron, queue, handler);
    }

    public static final class Builder {
        private final String name;
        private final String cron;
        private final String queue;
        private final String handler;
        private ZoneId timeZone = ZoneId.of("UTC");
        private String args = "{}";
        private int priority;
        private int maxAttempts = NewJob.DEFAULT_MAX_ATTEMPTS;
        private Duration timeout;
        private Missed missed = Missed.SKIP;

        private Builder(String name, String cron, String queue, String handler) {
            this.name = name;
            this.cron = cron;
            this.queue = queue;
            this.handler = handler;
        }

        /** The zone the cron expression is read in; UTC when not set. */
        public Builder timeZone(String zoneId) {
            this.timeZone = zone(zoneId);
            return this;
        }

        public Builder timeZone(ZoneId zone) {
            this.timeZone = zone;
            return this;
        }

        /** Arguments of every job, as a JSON text; {@code {}} when not set. */
        public Builder args(String json) {
            this.args = json;
            return this;
        }

        public Builder priority(int priority) {
            this.priority = priority;
            return this;
        }

        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public Builder missed(Missed missed) {
            this.missed = missed;
            return this;
        }

        public Schedule build() {
            checkName(name);
            CronExpression parsed;
            try {
                parsed = CronExpression.parse(cron);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("schedule '" + name + "': " + e.getMessage(), e);
            }
            return new Schedule(name, parsed, timeZone, queue, handler, args, priority, maxAttempts, timeout, missed);
        }
    }
}
