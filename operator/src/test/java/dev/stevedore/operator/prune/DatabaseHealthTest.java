package dev.stevedore.operator.prune;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The rule for a settled view of the database, on observations with chosen times. */
class DatabaseHealthTest {

    private static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");
    private static final Duration ALIVE = Duration.ofSeconds(10);
    private static final Duration FAST = Duration.ofMillis(5);

    /** Reads every {@code everyMs} from T0 up to and including {@code untilMs}. */
    private static DatabaseHealth reads(long everyMs, long untilMs, Duration latency) {
        DatabaseHealth h = new DatabaseHealth();
        for (long t = 0; t <= untilMs; t += everyMs) {
            h.answered(T0.plusMillis(t), latency);
        }
        return h;
    }

    @Test
    void promptReadsCoveringAWholeThresholdAreSettled() {
        assertThat(reads(3_000, 12_000, FAST).settledFor(ALIVE, T0.plusMillis(12_000))).isTrue();
    }

    @Test
    void readsForLessThanAThresholdAreNotSettledYet() {
        assertThat(reads(3_000, 9_000, FAST).settledFor(ALIVE, T0.plusMillis(9_000))).isFalse();
    }

    @Test
    void aFailureWithinTheThresholdUnsettlesUntilAThresholdHasPassedWithout() {
        DatabaseHealth h = reads(3_000, 12_000, FAST);
        h.failed(T0.plusMillis(13_000));
        for (long t = 15_000; t <= 30_000; t += 3_000) {
            h.answered(T0.plusMillis(t), FAST);
        }
        assertThat(h.settledFor(ALIVE, T0.plusMillis(21_000))).isFalse();
        assertThat(h.settledFor(ALIVE, T0.plusMillis(27_000))).as("the failure is more than a threshold ago").isTrue();
    }

    @Test
    void aSlowReadUnsettlesLikeAFailure() {
        DatabaseHealth h = reads(3_000, 6_000, FAST);
        h.answered(T0.plusMillis(9_000), Duration.ofMillis(2_600)); // more than a quarter of the threshold
        h.answered(T0.plusMillis(12_000), FAST);
        assertThat(h.settledFor(ALIVE, T0.plusMillis(12_000))).isFalse();
    }

    @Test
    void aGapWiderThanHalfAThresholdCouldHideAnOutage() {
        DatabaseHealth h = new DatabaseHealth();
        h.answered(T0, FAST);
        h.answered(T0.plusMillis(6_000), FAST);
        h.answered(T0.plusMillis(12_000), FAST);
        assertThat(h.settledFor(ALIVE, T0.plusMillis(12_000))).isFalse();
        assertThat(reads(3_000, 12_000, FAST).settledFor(ALIVE, T0.plusMillis(17_500))).as("no read for too long").isFalse();
    }
}
