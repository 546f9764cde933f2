package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Retention keeps pace with completion, on a schedule of its own, for completed, failed and discarded jobs; the
 * admin filters on failed jobs read their indexes, not the whole history.
 */
@ExtendWith(PostgresExtension.class)
class RetentionTest {

    private final TestDatabase db;
    private QueueFixture queue;

    RetentionTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeEach
    void setUp() {
        queue = new QueueFixture(db);
    }

    @AfterEach
    void tearDown() {
        queue.close();
    }

    private void finished(String state, int count, String age, String errorClass) {
        queue.sql("INSERT INTO stevedore.jobs (queue, handler, state, finished_at, errors) SELECT 'q', 'h', ?, now() - ?::interval, "
                + "CASE WHEN ?::text IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(jsonb_build_object('class', ?::text)) END "
                + "FROM generate_series(1, ?)", state, age, errorClass, errorClass, count);
    }

    @Test
    void aWorkerDeletesFinishedJobsPastTheirRetentionAsFastAsTheyPileUp() {
        // A backlog larger than the old janitor's 100,000 rows per five minutes, already due when the worker starts.
        finished("completed", 300_000, "2 days", null);
        finished("completed", 100, "1 minute", null);
        finished("failed", 2_000, "2 days", "HandlerError");
        finished("failed", 50, "1 minute", "HandlerError");
        finished("discarded", 500, "30 days", null);

        long started = System.nanoTime();
        queue.worker(c -> c.queues(java.util.List.of("elsewhere")).failedRetention(Duration.ofDays(1)), HandlerRegistry.builder().build());
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> queue.count("state IN ('completed', 'failed') AND finished_at < now() - interval '1 day'") == 0);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("rows still due: " + queue.count("finished_at < now() - interval '1 day'") + "; sessions: "
                    + queue.rows("SELECT state, wait_event_type, wait_event, now() - query_start AS running, query FROM pg_stat_activity "
                            + "WHERE datname = current_database() AND pid <> pg_backend_pid()"), e);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("retention deleted 302,000 finished jobs in %.1f s (%.0f rows/s, worker start included)%n", seconds, 302_000 / seconds);

        assertThat(queue.count("state = 'completed'")).as("completed within retention are kept").isEqualTo(100);
        assertThat(queue.count("state = 'failed'")).as("failed within retention are kept").isEqualTo(50);
        assertThat(queue.count("state = 'discarded'")).as("discarded jobs are kept by default").isEqualTo(500);
    }

    @Test
    void aRetentionBatchCostsTheBatchNotTheTableWhateverJoinThePlannerPicks() throws Exception {
        finished("completed", 3_000, "2 days", null);
        String delete = new dev.stevedore.queue.internal.JobQueries(queue.schema).deleteFinishedSql(JobState.COMPLETED);
        String plan;
        try (java.sql.Connection c = queue.dataSource.getConnection(); java.sql.Statement s = c.createStatement()) {
            // What stale statistics (a table just truncated and refilled) can lead the planner to: a nested loop whose
            // inner side is the row-locking subquery, run again for every job. In CI that held one batch for over 60 s.
            // Or a plan that filters every row of the table through the whole batch (index scans look dear).
            s.execute("SET enable_hashagg = off; SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off; "
                    + "SET enable_sort = off; SET enable_indexscan = off; SET enable_bitmapscan = off");
            c.setAutoCommit(false);
            try (java.sql.PreparedStatement ps = c.prepareStatement("EXPLAIN (ANALYZE, FORMAT JSON) " + delete)) {
                ps.setLong(1, Duration.ofDays(1).toMillis());
                ps.setInt(2, 1_000);
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    plan = rs.getString(1);
                }
            } finally {
                c.rollback();
            }
        }
        // Rows produced over all loops of all plan nodes: a plan linear in the batch, not in table x batch.
        java.util.regex.Matcher node = java.util.regex.Pattern.compile("\"Actual Rows\": (\\d+),\\s*\"Actual Loops\": (\\d+)").matcher(plan);
        long work = 0;
        int nodes = 0;
        while (node.find()) {
            work += Long.parseLong(node.group(1)) * Long.parseLong(node.group(2));
            nodes++;
        }
        assertThat(nodes).as(plan).isPositive();
        assertThat(plan).as("the batch is deleted by ctid").contains("\"Node Type\": \"Tid Scan\"");
        assertThat(work).as("rows handled by the plan for a batch of 1,000 in a table of 3,000: %s", plan).isLessThan(10_000);
    }

    @Test
    void listingFailedJobsByErrorOrByTimeReadsAnIndexNotTheHistory() {
        finished("failed", 300_000, "10 days", "HandlerError");
        finished("failed", 20, "10 days", "ProcessPrunedError");
        finished("failed", 30, "10 minutes", "HandlerError");
        queue.sql("ANALYZE stevedore.jobs");
        QueueAdmin admin = new QueueAdmin(queue.dataSource, queue.schema);

        String byError = admin.explainList(new JobFilter(Set.of(JobState.FAILED), null, null, "ProcessPrunedError", null, null, 100));
        assertThat(byError).as(byError).contains("jobs_failed_by_error");
        assertThat(maxRowsRemoved(byError)).as(byError).isLessThan(1_000);

        String recent = admin.explainList(new JobFilter(Set.of(JobState.FAILED), null, null, null, Instant.now().minusSeconds(3600), null, 100));
        assertThat(recent).as(recent).contains("jobs_failed_finished_at");
        assertThat(maxRowsRemoved(recent)).as(recent).isLessThan(1_000);

        assertThat(admin.list(new JobFilter(Set.of(JobState.FAILED), null, null, "ProcessPrunedError", null, null, 100))).hasSize(20);
        assertThat(admin.list(new JobFilter(Set.of(JobState.FAILED), null, null, null, Instant.now().minusSeconds(3600), null, 100))).hasSize(30);
    }

    private static long maxRowsRemoved(String plan) {
        long max = 0;
        Matcher m = Pattern.compile("Rows Removed by Filter: (\\d+)").matcher(plan);
        while (m.find()) {
            max = Math.max(max, Long.parseLong(m.group(1)));
        }
        return max;
    }
}
