package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    void backoffDoublesPerAttemptUpToTheCap() {
        RetryPolicy policy = new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(30), 0);
        assertThat(policy.backoff(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(policy.backoff(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.backoff(5)).isEqualTo(Duration.ofSeconds(16));
        assertThat(policy.backoff(6)).isEqualTo(Duration.ofSeconds(30));
        assertThat(policy.backoff(1_000)).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void jitterSpreadsRetriesWithinItsBounds() {
        RetryPolicy policy = new RetryPolicy(Duration.ofSeconds(10), Duration.ofHours(1), 0.2);
        var seen = new java.util.HashSet<Duration>();
        for (int i = 0; i < 200; i++) {
            Duration d = policy.backoff(1);
            assertThat(d).isBetween(Duration.ofSeconds(8), Duration.ofSeconds(12));
            seen.add(d);
        }
        assertThat(seen).hasSizeGreaterThan(50);
    }

    @Test
    void invalidPoliciesAreRefused() {
        assertThatThrownBy(() -> new RetryPolicy(Duration.ofSeconds(5), Duration.ofSeconds(1), 0)).hasMessageContaining("0 <= base <= max");
        assertThatThrownBy(() -> new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(5), 1.5)).hasMessageContaining("jitter");
        assertThatThrownBy(() -> new PrunedJobPolicy(-1, Duration.ZERO)).hasMessageContaining("pruned retry limit must be 0 or more");
    }
}
