package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stevedore.queue.internal.Scheduler;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** What one tick enqueues for a due schedule, by how late it is. */
class SchedulerDecisionTest {

    private static final CronExpression HOURLY = CronExpression.parse("@hourly");
    private static final CronExpression EVERY_SECOND = CronExpression.parse("* * * * * *");

    @Test
    void aRunTickedOnTimeIsEnqueuedAndTheNextTimeFollowsNow() {
        Scheduler.Decision d = Scheduler.decide(HOURLY, ZoneOffset.UTC, Schedule.Missed.SKIP, at("10:00:00"), at("10:00:00.400"));
        assertThat(d.runs()).containsExactly(at("10:00:00"));
        assertThat(d.next()).isEqualTo(at("11:00:00"));
        assertThat(d.lastMissed()).isNull();
    }

    @Test
    void everyTimeWithinTheLastMinuteIsOnTimeAndEnqueuedHoweverLateTheTick() {
        Scheduler.Decision d = Scheduler.decide(EVERY_SECOND, ZoneOffset.UTC, Schedule.Missed.SKIP, at("10:00:01"), at("10:00:04.2"));
        assertThat(d.runs()).containsExactly(at("10:00:01"), at("10:00:02"), at("10:00:03"), at("10:00:04"));
        assertThat(d.next()).isEqualTo(at("10:00:05"));
    }

    @Test
    void runsMissedInAnOutageAreSkipped() {
        Scheduler.Decision d = Scheduler.decide(HOURLY, ZoneOffset.UTC, Schedule.Missed.SKIP, at("07:00:00"), at("10:30:00"));
        assertThat(d.runs()).isEmpty();
        assertThat(d.lastMissed()).isEqualTo(at("10:00:00"));
        assertThat(d.next()).isEqualTo(at("11:00:00"));
    }

    @Test
    void orTheLatestOfThemRunsOnce() {
        Scheduler.Decision d = Scheduler.decide(HOURLY, ZoneOffset.UTC, Schedule.Missed.RUN_ONCE, at("07:00:00"), at("10:30:00"));
        assertThat(d.runs()).containsExactly(at("10:00:00"));
        assertThat(d.next()).isEqualTo(at("11:00:00"));
    }

    /** Back 20 seconds after the hour: that run is on time and makes up for the missed ones. */
    @Test
    void anOnTimeRunMakesUpForTheMissedOnes() {
        Scheduler.Decision d = Scheduler.decide(HOURLY, ZoneOffset.UTC, Schedule.Missed.RUN_ONCE, at("07:00:00"), at("10:00:20"));
        assertThat(d.runs()).containsExactly(at("10:00:00"));
        assertThat(d.lastMissed()).isEqualTo(at("09:00:00"));
    }

    @Test
    void aLongOutageOfAFrequentScheduleCostsNoBurst() {
        Scheduler.Decision d = Scheduler.decide(EVERY_SECOND, ZoneOffset.UTC, Schedule.Missed.RUN_ONCE, Instant.parse("2026-01-01T00:00:00Z"),
                at("10:00:00.5"));
        assertThat(d.runs()).hasSize(60).startsWith(at("09:59:01")).endsWith(at("10:00:00"));
    }

    private static Instant at(String time) {
        return Instant.parse("2026-03-10T" + time + "Z");
    }
}
