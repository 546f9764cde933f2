package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.*;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class CronExpressionTest {

    private static final ZoneId UTC = ZoneOffset.UTC;
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    private static Instant next(String cron, String after, ZoneId zone) {
        return CronExpression.parse(cron).nextAfter(Instant.parse(after), zone);
    }

    private static Instant at(String instant) {
        return Instant.parse(instant);
    }

    @Test
    void everyFifteenMinutesIsStrictlyAfter() {
        assertThat(next("*/15 * * * *", "2026-03-10T10:07:30Z", UTC)).isEqualTo(at("2026-03-10T10:15:00Z"));
        assertThat(next("*/15 * * * *", "2026-03-10T10:15:00Z", UTC)).isEqualTo(at("2026-03-10T10:30:00Z"));
        assertThat(next("*/15 * * * *", "2026-03-10T10:14:59.999Z", UTC)).isEqualTo(at("2026-03-10T10:15:00Z"));
        assertThat(next("*/15 * * * *", "2026-03-10T23:50:00Z", UTC)).isEqualTo(at("2026-03-11T00:00:00Z"));
    }

    @Test
    void weekdaysInLocalTime() {
        // Friday 13 March 2026; Berlin is on CET (+01:00) until 29 March.
        assertThat(next("0 9 * * MON-FRI", "2026-03-13T12:00:00Z", BERLIN)).isEqualTo(at("2026-03-16T08:00:00Z"));
        assertThat(next("0 9 * * MON-FRI", "2026-03-16T07:00:00Z", BERLIN)).isEqualTo(at("2026-03-16T08:00:00Z"));
    }

    @Test
    void shorthands() {
        // 2026-03-10 is a Tuesday.
        String after = "2026-03-10T10:07:30Z";
        assertThat(next("@hourly", after, UTC)).isEqualTo(at("2026-03-10T11:00:00Z"));
        assertThat(next("@daily", after, UTC)).isEqualTo(at("2026-03-11T00:00:00Z"));
        assertThat(next("@midnight", after, UTC)).isEqualTo(at("2026-03-11T00:00:00Z"));
        assertThat(next("@weekly", after, UTC)).isEqualTo(at("2026-03-15T00:00:00Z"));
        assertThat(next("@monthly", after, UTC)).isEqualTo(at("2026-04-01T00:00:00Z"));
        assertThat(next("@yearly", after, UTC)).isEqualTo(at("2027-01-01T00:00:00Z"));
        assertThat(next("@Annually", after, UTC)).isEqualTo(at("2027-01-01T00:00:00Z"));
        assertThat(next("@HOURLY", "2026-12-31T23:00:00Z", UTC)).isEqualTo(at("2027-01-01T00:00:00Z"));
    }

    @Test
    void dayOfMonthOrDayOfWeekWhenBothAreRestricted() {
        // 2026-02-01 is a Sunday, 2026-02-06 the first Friday.
        assertThat(next("0 0 13 * FRI", "2026-02-01T00:00:00Z", UTC)).isEqualTo(at("2026-02-06T00:00:00Z"));
        // Monday 13 April 2026 matches by day of month alone.
        assertThat(next("0 0 13 * FRI", "2026-04-10T00:00:00Z", UTC)).isEqualTo(at("2026-04-13T00:00:00Z"));
        assertThat(next("0 0 13 * *", "2026-02-01T00:00:00Z", UTC)).isEqualTo(at("2026-02-13T00:00:00Z"));
        // With day of month '*', day of week alone decides.
        assertThat(next("0 0 * * FRI", "2026-02-01T00:00:00Z", UTC)).isEqualTo(at("2026-02-06T00:00:00Z"));
        // A stepped '*' still counts as unrestricted: both must match (odd days that are Fridays; 13 March 2026).
        assertThat(next("0 0 */2 * FRI", "2026-03-01T00:00:00Z", UTC)).isEqualTo(at("2026-03-13T00:00:00Z"));
    }

    @Test
    void secondsFirstExtension() {
        assertThat(next("*/10 * * * * *", "2026-03-10T10:00:03Z", UTC)).isEqualTo(at("2026-03-10T10:00:10Z"));
        assertThat(next("*/10 * * * * *", "2026-03-10T10:00:50Z", UTC)).isEqualTo(at("2026-03-10T10:01:00Z"));
        assertThat(next("30 0 12 * * *", "2026-03-10T12:00:30Z", UTC)).isEqualTo(at("2026-03-11T12:00:30Z"));
    }

    @Test
    void listsRangesAndSteps() {
        CronExpression cron = CronExpression.parse("5,10-12,20-30/5 * * * *");
        String[] expected = {"10:05", "10:10", "10:11", "10:12", "10:20", "10:25", "10:30", "11:05"};
        Instant t = at("2026-03-10T10:00:00Z");
        for (String hhmm : expected) {
            t = cron.nextAfter(t, UTC);
            assertThat(t).isEqualTo(at("2026-03-10T" + hhmm + ":00Z"));
        }
        // a/n runs to the end of the field.
        assertThat(next("50/4 * * * *", "2026-03-10T10:55:00Z", UTC)).isEqualTo(at("2026-03-10T10:58:00Z"));
        assertThat(next("50/4 * * * *", "2026-03-10T10:58:00Z", UTC)).isEqualTo(at("2026-03-10T11:50:00Z"));
    }

    @Test
    void sundayIsZeroOrSevenAndNamesIgnoreCase() {
        // The first Sunday after Tuesday 2026-03-10 is the 15th.
        assertThat(next("0 0 * * 0", "2026-03-10T00:00:00Z", UTC)).isEqualTo(at("2026-03-15T00:00:00Z"));
        assertThat(next("0 0 * * 7", "2026-03-10T00:00:00Z", UTC)).isEqualTo(at("2026-03-15T00:00:00Z"));
        assertThat(next("0 0 * * sun", "2026-03-10T00:00:00Z", UTC)).isEqualTo(at("2026-03-15T00:00:00Z"));
        assertThat(next("0 0 * * 5-7", "2026-03-14T12:00:00Z", UTC)).isEqualTo(at("2026-03-15T00:00:00Z"));
        // 1 January 2027 is a Friday, so the first Sunday in January is the 3rd.
        assertThat(next("0 0 * jan sun", "2026-03-10T00:00:00Z", UTC)).isEqualTo(at("2027-01-03T00:00:00Z"));
        assertThat(next("0 0 * Jan SUN", "2026-03-10T00:00:00Z", UTC)).isEqualTo(at("2027-01-03T00:00:00Z"));
    }

    @Test
    void springForwardGapFiresAtTheShiftedTime() {
        // 2026-03-29: Berlin jumps from 02:00 CET to 03:00 CEST, so 02:30 becomes 03:30 +02:00.
        assertThat(next("30 2 * * *", "2026-03-28T12:00:00Z", BERLIN)).isEqualTo(at("2026-03-29T01:30:00Z"));
        assertThat(next("30 2 * * *", "2026-03-29T01:30:00Z", BERLIN)).isEqualTo(at("2026-03-30T00:30:00Z"));
    }

    @Test
    void fallBackOverlapFiresOnceAtTheEarlierOffset() {
        // 2026-10-25: Berlin goes back from 03:00 CEST to 02:00 CET, so 02:30 happens at +02:00 and again at +01:00.
        assertThat(next("30 2 * * *", "2026-10-24T12:00:00Z", BERLIN)).isEqualTo(at("2026-10-25T00:30:00Z"));
        assertThat(next("30 2 * * *", "2026-10-25T00:30:00Z", BERLIN)).isEqualTo(at("2026-10-26T01:30:00Z"));
        // Even from inside the second pass through 02:xx, the repeated 02:30 does not fire again.
        assertThat(next("30 2 * * *", "2026-10-25T01:10:00Z", BERLIN)).isEqualTo(at("2026-10-26T01:30:00Z"));
        assertThat(next("*/15 * * * *", "2026-10-25T01:10:00Z", BERLIN)).isEqualTo(at("2026-10-25T02:00:00Z"));
    }

    @Test
    void leapDay() {
        assertThat(next("0 0 29 2 *", "2026-03-01T00:00:00Z", UTC)).isEqualTo(at("2028-02-29T00:00:00Z"));
        assertThat(next("0 0 29 2 *", "2028-02-29T00:00:00Z", UTC)).isEqualTo(at("2032-02-29T00:00:00Z"));
    }

    @Test
    void expressionTextIdentity() {
        CronExpression cron = CronExpression.parse("  0 9 * * 1  ");
        assertThat(cron.expression()).isEqualTo("0 9 * * 1");
        assertThat(cron).hasToString("0 9 * * 1");
        assertThat(cron).isEqualTo(CronExpression.parse("0 9 * * 1"));
        assertThat(cron).hasSameHashCodeAs(CronExpression.parse("0 9 * * 1"));
        assertThat(cron).isNotEqualTo(CronExpression.parse("0 9 * * MON"));
    }

    @Test
    void rejectsBadInputWithOneClearMessage() {
        assertInvalid("61 * * * *", "cron \"61 * * * *\": minute 61 is out of range 0-59");
        assertInvalid("* * *", "expected 5 fields (minute hour day-of-month month day-of-week)", "got 3");
        assertInvalid("* * * * * * *", "6 with seconds first", "got 7");
        assertInvalid("60 * * * * *", "second 60 is out of range 0-59");
        assertInvalid("0 24 * * *", "hour 24 is out of range 0-23");
        assertInvalid("0 0 32 * *", "day of month 32 is out of range 1-31");
        assertInvalid("0 0 0 * *", "day of month 0 is out of range 1-31");
        assertInvalid("0 0 * 13 *", "month 13 is out of range 1-12");
        assertInvalid("0 0 * * 8", "day of week 8 is out of range 0-7");
        assertInvalid("0 0 * FOO *", "month \"FOO\"", "JAN-DEC");
        assertInvalid("0 0 * * MONDAY", "day of week \"MONDAY\"", "SUN-SAT");
        assertInvalid("*/0 * * * *", "minute step", "1 or more");
        assertInvalid("0 5-2 * * *", "hour range 5-2 is reversed", "0-23");
        assertInvalid("1,,2 * * * *", "minute has an empty element");
        assertInvalid("0 0 * * 1,", "day of week has an empty element");
        assertInvalid("@fortnightly", "unknown shorthand", "@yearly", "@hourly");
        assertInvalid("0 0 30 2 *", "never fires");
        assertInvalid("0 0 31 4,6,9,11 *", "never fires");
        assertInvalid("   ", "blank", "expected 5 fields");
        assertThatIllegalArgumentException().isThrownBy(() -> CronExpression.parse(null)).withMessageContaining("null");
    }

    @Test
    void acceptsDaysThatSomeAllowedMonthHas() {
        // 30 February never comes, but 30 March does.
        assertThat(next("0 0 30 2,3 *", "2026-01-01T00:00:00Z", UTC)).isEqualTo(at("2026-03-30T00:00:00Z"));
        // Restricted on both days, the Fridays of February fire although the 30th never does.
        assertThat(next("0 0 30 2 FRI", "2026-01-01T00:00:00Z", UTC)).isEqualTo(at("2026-02-06T00:00:00Z"));
    }

    private static void assertInvalid(String cron, String... fragments) {
        assertThatIllegalArgumentException().isThrownBy(() -> CronExpression.parse(cron))
                .satisfies(e -> {
                    for (String fragment : fragments) {
                        assertThat(e).hasMessageContaining(fragment);
                    }
                });
    }
}
