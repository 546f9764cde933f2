package dev.stevedore.queue.internal;

import dev.stevedore.queue.CronExpression;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.queue.Schedule;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enqueues the due runs of schedules; every worker runs it, about once a second. One tick is one transaction: it locks
 * the due schedules (skipping those another worker holds), inserts one job per run and moves each schedule on. A worker
 * killed in the middle commits nothing, and the next tick anywhere enqueues the run; no scheduled time ever gets two jobs
 * (jobs are unique per schedule and time).
 */
public final class Scheduler {

    private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);
    /** How far back a tick looks for the latest run before stepping run by run (bounds the work after a long outage). */
    private static final List<Duration> LOOK_BACK = List.of(Duration.ofMinutes(1), Duration.ofHours(1), Duration.ofDays(1),
            Duration.ofDays(31), Duration.ofDays(366));
    private static final int MAX_STEPS = 100_000;
    /** How long this worker leaves a schedule it cannot read to the others (one with newer time-zone data may read it). */
    private static final Duration UNREADABLE_PAUSE = Duration.ofHours(1);

    private final DataSource dataSource;
    private final ScheduleQueries queries;
    private final String logContext;
    /** Schedules this worker cannot read, and until when it leaves them alone; only the maintenance thread ticks. */
    private final java.util.Map<String, Instant> unreadable = new java.util.HashMap<>();

    public Scheduler(DataSource dataSource, QueueSchema schema, String logContext) {
        this.dataSource = dataSource;
        this.queries = new ScheduleQueries(schema);
        this.logContext = logContext;
    }

    /** Enqueues the runs now due; returns the ids of the jobs enqueued. */
    public List<Long> tick() throws SQLException {
        return Sql.inTransaction(dataSource, c -> {
            unreadable.values().removeIf(until -> until.isBefore(Instant.now()));
            List<ScheduleQueries.Due> due = queries.lockDue(c, unreadable.keySet());
            if (due.isEmpty()) {
                return List.of();
            }
            List<ScheduleQueries.Advance> advances = new ArrayList<>(due.size());
            for (ScheduleQueries.Due d : due) {
                ScheduleQueries.Advance a = advance(d);
                if (a != null) {
                    advances.add(a);
                }
            }
            return advances.isEmpty() ? List.<Long>of() : queries.enqueueAndAdvance(c, advances);
        });
    }

    private ScheduleQueries.Advance advance(ScheduleQueries.Due d) {
        CronExpression cron;
        ZoneId zone;
        try {
            cron = CronExpression.parse(d.cron());
            zone = Schedule.zone(d.timeZone());
        } catch (IllegalArgumentException e) {
            // A row edited by hand, or a zone this JVM's time-zone data lacks. Left as it is for the workers that can read it.
            LOG.error("schedule '{}' cannot be read here: {}; this worker leaves it alone for {}{}", d.name(), e.getMessage(),
                    UNREADABLE_PAUSE, logContext);
            unreadable.put(d.name(), Instant.now().plus(UNREADABLE_PAUSE));
            return null;
        }
        Decision decision = decide(cron, zone, Schedule.Missed.fromDb(d.missed()), d.nextRunAt(), d.now());
        if (decision.lastMissed() != null) {
            LOG.warn("schedule '{}': its runs from {} to {} were missed (no worker ran in time); {}{}", d.name(), d.nextRunAt(),
                    decision.lastMissed(), decision.runs().contains(decision.lastMissed()) ? "the latest runs once now" : "skipped", logContext);
        }
        return new ScheduleQueries.Advance(d.name(), decision.runs(), decision.next());
    }

    /**
     * What a tick at {@code now} enqueues for a schedule due since {@code nextRunAt}, and when to look next. A time at most
     * {@link Schedule#MISSED_AFTER} ago is on time, however late the tick: each such time gets its run. Older times were
     * missed: skipped, or with {@link Schedule.Missed#RUN_ONCE} the latest of them runs, unless an on-time run already does.
     * {@code lastMissed} is the latest missed time, if any.
     */
    public record Decision(List<Instant> runs, Instant next, Instant lastMissed) {}

    public static Decision decide(CronExpression cron, ZoneId zone, Schedule.Missed missed, Instant nextRunAt, Instant now) {
        Instant onTimeFrom = now.minus(Schedule.MISSED_AFTER);
        List<Instant> runs = new ArrayList<>();
        Instant t = nextRunAt.isBefore(onTimeFrom) ? cron.nextAfter(onTimeFrom.minusNanos(1), zone) : nextRunAt;
        for (int i = 0; i < MAX_STEPS && !t.isAfter(now); i++) {
            runs.add(t);
            t = cron.nextAfter(t, zone);
        }
        Instant lastMissed = nextRunAt.isBefore(onTimeFrom) ? latestRun(cron, zone, nextRunAt, onTimeFrom.minusNanos(1)) : null;
        if (lastMissed != null && missed == Schedule.Missed.RUN_ONCE && runs.isEmpty()) {
            runs.add(lastMissed);
        }
        return new Decision(runs, cron.nextAfter(now, zone), lastMissed);
    }

    /** The schedule's latest time in [{@code from}, {@code now}], where {@code from} (a time of the schedule) is not after now. */
    static Instant latestRun(CronExpression cron, ZoneId zone, Instant from, Instant now) {
        Instant latest = from;
        for (Duration back : LOOK_BACK) {
            Instant start = now.minus(back);
            if (!start.isAfter(latest)) {
                break;
            }
            Instant first = cron.nextAfter(start.minusNanos(1), zone);
            if (!first.isAfter(now)) {
                latest = first;
                break;
            }
        }
        for (int i = 0; i < MAX_STEPS; i++) {
            Instant next = cron.nextAfter(latest, zone);
            if (next.isAfter(now)) {
                break;
            }
            latest = next;
        }
        return latest;
    }
}
