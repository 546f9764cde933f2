package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {

    private static WorkerConfig.Builder builder() {
        return WorkerConfig.builder(ProcessIdentity.local("ns/pool"));
    }

    @Test
    void defaultsAreSafe() {
        WorkerConfig config = builder().build();
        assertThat(config.claimsAllQueues()).isTrue();
        assertThat(config.aliveThreshold()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.pruneInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.prunedJobPolicy()).isEqualTo(PrunedJobPolicy.NO_RETRY);
        assertThat(config.completedRetention()).isEqualTo(Duration.ofDays(1));
    }

    @Test
    void startingWithoutAReachableDatabaseFailsWithOneClearError() {
        org.postgresql.ds.PGSimpleDataSource unreachable = new org.postgresql.ds.PGSimpleDataSource();
        unreachable.setURL("jdbc:postgresql://127.0.0.1:1/nothing");
        assertThatThrownBy(() -> Worker.start(unreachable, QueueSchema.DEFAULT, builder().build(), HandlerRegistry.builder().build(), QueueListener.NONE))
                .isInstanceOf(QueueException.class)
                .hasMessageStartingWith("could not read the version of queue schema 'stevedore': Connection to 127.0.0.1:1 refused");
    }

    @Test
    void eachBadSettingIsNamed() {
        assertThatThrownBy(() -> builder().threads(0).build()).hasMessageContaining("threads must be between 1 and 10000");
        assertThatThrownBy(() -> builder().queues(List.of()).build()).hasMessageContaining("queues must name at least one queue");
        assertThatThrownBy(() -> builder().queues(List.of("*", "mail")).build()).hasMessageContaining("'*' already means every queue");
        assertThatThrownBy(() -> builder().queues(List.of("bad queue")).build()).hasMessageContaining("queue 'bad queue' is invalid");
        assertThatThrownBy(() -> builder().heartbeatInterval(Duration.ofSeconds(6)).build())
                .hasMessageContaining("aliveThreshold (PT10S) must be at least twice heartbeatInterval (PT6S)");
        assertThatThrownBy(() -> builder().shutdownTimeout(Duration.ofSeconds(-1)).build()).hasMessageContaining("shutdownTimeout must be 0 or more");
        assertThatThrownBy(() -> WorkerConfig.builder(ProcessIdentity.local(" ")).build()).hasMessageContaining("pool must not be blank");
    }
}
