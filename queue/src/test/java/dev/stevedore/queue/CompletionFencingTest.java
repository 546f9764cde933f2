package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.queue.internal.ClaimedJob;
import dev.stevedore.queue.internal.JobQueries;
import dev.stevedore.queue.internal.Outcome;
import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An outcome races with whoever takes the job from its worker (a prune, a release): the write is fenced by the claim
 * token even when it finds the row before the other transaction commits and has to wait for its lock.
 */
@ExtendWith(PostgresExtension.class)
class CompletionFencingTest {

    @Test
    void aCompletionThatWaitsForAPruneOfItsJobIsRefusedOnceThePruneCommits(TestDatabase db) throws Exception {
        try (QueueFixture queue = new QueueFixture(db)) {
            JobQueries queries = new JobQueries(QueueSchema.DEFAULT);
            long processId = (Long) queue.rows("INSERT INTO stevedore.processes (pool, host, pid, queues, slots, alive_threshold_ms) "
                    + "VALUES ('t/p', 'h', 1, '{q}', 1, 10000) RETURNING id").get(0).get("id");
            long id = queue.enqueue(NewJob.of("q", "h"));
            ClaimedJob job;
            try (Connection c = queue.dataSource.getConnection()) {
                job = queries.claim(c, processId, List.of("q"), false, false, 1).get(0);
            }
            assertThat(job.id()).isEqualTo(id);

            CompletableFuture<Set<Long>[]> completion;
            try (Connection pruner = queue.dataSource.getConnection(); Statement s = pruner.createStatement()) {
                pruner.setAutoCommit(false);
                // What a prune does to the job, not yet committed: the worker no longer holds it.
                s.executeUpdate("UPDATE stevedore.jobs SET state = 'failed', finished_at = now(), claimed_by = NULL WHERE id = " + id);
                completion = CompletableFuture.supplyAsync(() -> {
                    try (Connection c = queue.dataSource.getConnection()) {
                        return queries.writeOutcomes(c, List.of(new Outcome.Completed(job, 1_000)), List.of());
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                // The completion has found the row and waits for the prune's lock on it.
                await().atMost(Duration.ofSeconds(10)).until(() -> (Long) queue.rows(
                        "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
                        .get(0).get("n") > 0);
                pruner.commit();
            }
            Set<Long>[] written = completion.get(10, TimeUnit.SECONDS);
            assertThat(written[0]).as("completions written").isEmpty();
            assertThat(queue.job(id)).containsEntry("state", "failed");
        }
    }
}
