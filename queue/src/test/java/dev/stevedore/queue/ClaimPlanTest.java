package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stevedore.queue.internal.ClaimedJob;
import dev.stevedore.queue.internal.JobQueries;
import dev.stevedore.queue.internal.Sql;
import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The claim statements read only the index ranges of the worker's own queues, however large the backlog of
 * other queues, and the completion statement finds its jobs by primary key: checked with EXPLAIN ANALYZE of the
 * statements the worker runs, on a table with 300,000 older jobs in a queue the worker does not serve.
 */
@ExtendWith(PostgresExtension.class)
class ClaimPlanTest {

    private static final Pattern REMOVED = Pattern.compile("Rows Removed by (?:Join )?Filter: (\\d+)");
    private static QueueFixture queue;
    private static long processId;

    @BeforeAll
    static void backlog(TestDatabase db) {
        queue = new QueueFixture(db);
        // The backlog is older than everything else, so an index walk in (priority, run_at, id) order meets it first.
        queue.sql("INSERT INTO stevedore.jobs (queue, handler, state, run_at) "
                + "SELECT 'backlog', 'h', 'available', now() - interval '1 day' + g * interval '1 millisecond' FROM generate_series(1, 300000) g");
        // The worker's queues are busy too, so the planner expects to meet their jobs early in an ordered walk.
        queue.sql("INSERT INTO stevedore.jobs (queue, handler, state) SELECT q, 'h', 'available' FROM unnest('{mail,sms,push}'::text[]) q, "
                + "generate_series(1, 20000)");
        queue.sql("ANALYZE stevedore.jobs");
        processId = (Long) queue.rows("INSERT INTO stevedore.processes (pool, host, pid, queues, slots, alive_threshold_ms) "
                + "VALUES ('t/p', 'h', 1, '{mail,sms}', 10, 10000) RETURNING id").get(0).get("id");
    }

    @AfterAll
    static void close() {
        queue.close();
    }

    @Test
    void aClaimForTwoQueuesReadsOnlyTheirIndexRanges() throws Exception {
        String plan = explainClaim(List.of("mail", "sms"), false);
        assertThat(plan).contains("jobs_claim_by_queue");
        assertThat(maxRowsRemoved(plan)).as(plan).isLessThan(100);
        assertThat(claimedQueues(List.of("mail", "sms"), false)).hasSize(10).isSubsetOf("mail", "sms");
    }

    @Test
    void aClaimForOneQueueAndForAllQueuesUseTheirIndexes() throws Exception {
        String one = explainClaim(List.of("push"), false);
        assertThat(one).contains("jobs_claim_by_queue");
        assertThat(maxRowsRemoved(one)).as(one).isLessThan(100);
        assertThat(explainClaim(List.of("*"), true)).contains("jobs_claim_any_queue").doesNotContain("Seq Scan on jobs");
    }

    /**
     * Statistics say running jobs are rare (they are, at any instant), so a plan may start from the index of running
     * jobs and compare every running job with every completed one: at 32 completions per statement and thousands of
     * running jobs (or of dead index entries left by recent claims), that plan cost the drain two thirds of its speed.
     */
    @Test
    void completionsAreFoundByPrimaryKeyWhateverTheStatisticsSayOfRunningJobs() throws Exception {
        JobQueries queries = new JobQueries(QueueSchema.DEFAULT);
        try (Connection c = queue.dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                // After the ANALYZE: 2,000 jobs of this process running, the statistics still saying there are none.
                List<ClaimedJob> claimed = new ArrayList<>();
                for (int i = 0; i < 2_000; i += 500) {
                    claimed.addAll(queries.claim(c, processId, List.of("mail", "sms", "push"), false, false, 500));
                }
                assertThat(claimed).hasSize(2_000);
                List<ClaimedJob> done = claimed.subList(0, 32);
                try (PreparedStatement ps = c.prepareStatement("EXPLAIN (ANALYZE, BUFFERS) " + queries.outcomesSql())) {
                    Long[] ids = done.stream().map(ClaimedJob::id).toArray(Long[]::new);
                    Long[] tokens = done.stream().map(ClaimedJob::claimToken).toArray(Long[]::new);
                    ps.setArray(1, Sql.longs(c, ids));
                    ps.setArray(2, Sql.longs(c, tokens));
                    ps.setArray(3, Sql.longs(c, new Long[0]));
                    ps.setArray(4, Sql.texts(c, new String[0]));
                    ps.setArray(5, Sql.texts(c, new String[0]));
                    ps.setArray(6, Sql.texts(c, new String[0]));
                    ps.setArray(7, Sql.longs(c, new Long[0]));
                    ps.setArray(8, Sql.longs(c, new Long[0]));
                    ps.setArray(9, Sql.longs(c, new Long[0]));
                    StringBuilder plan = new StringBuilder();
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            plan.append(rs.getString(1)).append('\n');
                        }
                    }
                    // Found by primary key and locked (LockRows), so no version of the row newer than the one checked is written.
                    assertThat(plan.toString()).contains("Index Scan using jobs_pkey", "LockRows")
                            .containsPattern("Update on jobs j  \\(cost=[^)]*\\) \\(actual time=[0-9.]+ rows=32(\\.00)? loops=1");
                    assertThat(maxRowsRemoved(plan.toString())).as(plan.toString()).isLessThan(100);
                }
            } finally {
                c.rollback();
            }
        }
    }

    /**
     * A queue the statistics have never seen (new, or empty at the last ANALYZE), under the generic plan a prepared
     * statement gets after five runs: the estimate then says every job may be in the worker's queue, and an ordered
     * walk of the index of all queues looked cheapest; it read the other queue's whole backlog on every claim.
     */
    @Test
    void aClaimForQueuesUnknownToTheStatisticsStillReadsOnlyTheirIndexRanges() throws Exception {
        // In the transaction (ANALYZE is transactional): statistics that know only the backlog, then two new queues.
        String[] setup = {
            "DELETE FROM stevedore.jobs WHERE queue <> 'backlog'",
            "ANALYZE stevedore.jobs",
            "INSERT INTO stevedore.jobs (queue, handler, state) SELECT q, 'h', 'available' FROM unnest('{fresh1,fresh2}'::text[]) q, "
                    + "generate_series(1, 1000)"};
        for (String planMode : List.of("auto", "force_generic_plan")) {
            for (List<String> queues : List.of(List.of("fresh1"), List.of("fresh1", "fresh2"))) {
                String[] steps = java.util.Arrays.copyOf(setup, setup.length + 1);
                steps[setup.length] = "SET LOCAL plan_cache_mode = " + planMode;
                String plan = explainClaim(queues, false, steps);
                assertThat(plan).as(planMode + " " + queues).contains("jobs_claim_by_queue");
                assertThat(maxRowsRemoved(plan)).as(plan).isLessThan(100);
            }
        }
    }

    /**
     * A paused queue's backlog is read by no claim: named queues drop it before their index ranges, and a worker of every
     * queue, once it has seen a pause, claims queue by queue from the open ones. Until it has seen one, its claim finds
     * nothing and reads nothing.
     */
    @Test
    void aPausedBacklogIsReadByNoClaim() throws Exception {
        String pause = "INSERT INTO stevedore.queue_pauses (queue, paused_by) VALUES ('backlog', 'test')";
        String open = explainClaim(List.of("*"), true, true, pause);
        assertThat(open).contains("jobs_claim_by_queue").doesNotContain("Seq Scan on jobs");
        assertThat(maxRowsRemoved(open)).as(open).isLessThan(100);
        assertThat(claimedQueues(List.of("*"), true, true, pause)).hasSize(10).doesNotContain("backlog");
        assertThat(explainClaim(List.of("*"), true, false, pause)).contains("One-Time Filter").contains("never executed");
        assertThat(claimedQueues(List.of("*"), true, false, pause)).isEmpty();

        assertThat(claimedQueues(List.of("backlog"), false, false, pause)).isEmpty();
        String named = explainClaim(List.of("backlog", "mail"), false, false, pause);
        assertThat(maxRowsRemoved(named)).as(named).isLessThan(100);
        assertThat(claimedQueues(List.of("backlog", "mail"), false, false, pause)).hasSize(10).containsOnly("mail");
        // Without the pause, the backlog is first in line.
        assertThat(claimedQueues(List.of("*"), true, true)).hasSize(10).containsOnly("backlog");
    }

    /**
     * Jobs with a concurrency key have a claim of their own, and the claims of the other jobs do not read them: a backlog
     * held back by its limit, first in line, costs the other claims nothing.
     */
    @Test
    void aBacklogHeldBackByItsLimitIsReadByNoClaimOfOtherJobs() throws Exception {
        String limited = "INSERT INTO stevedore.jobs (queue, handler, state, run_at, concurrency_key, concurrency_limit) "
                + "SELECT q, 'h', 'available', now() - interval '2 days', 'account:1', 1 FROM unnest('{mail,sms,backlog}'::text[]) q, "
                + "generate_series(1, 30000)";
        for (boolean all : new boolean[] {false, true}) {
            List<String> queues = all ? List.of("*") : List.of("mail", "sms");
            String plan = explainClaim(queues, all, false, limited);
            assertThat(maxRowsRemoved(plan)).as(plan).isLessThan(100);
            assertThat(plan).doesNotContain("Seq Scan on jobs");
        }
        String open = explainClaim(List.of("*"), true, true, limited);
        assertThat(maxRowsRemoved(open)).as(open).isLessThan(100);
        assertThat(claimedQueues(List.of("mail", "sms"), false, false, limited)).hasSize(10);
    }

    private static String explainClaim(List<String> queues, boolean all, String... setup) throws Exception {
        return explainClaim(queues, all, false, setup);
    }

    /** EXPLAIN ANALYZE of the worker's own claim statement, after {@code setup} in the same transaction, rolled back. */
    private static String explainClaim(List<String> queues, boolean all, boolean somePaused, String... setup) throws Exception {
        JobQueries queries = new JobQueries(QueueSchema.DEFAULT);
        try (Connection c = queue.dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (var statement = c.createStatement()) {
                for (String sql : setup) {
                    statement.execute(sql);
                }
            }
            try (PreparedStatement ps = queries.claimStatement(c, "EXPLAIN (ANALYZE, BUFFERS) ", processId, queues, all, somePaused, 10)) {
                StringBuilder plan = new StringBuilder();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        plan.append(rs.getString(1)).append('\n');
                    }
                }
                return plan.toString();
            } finally {
                c.rollback();
            }
        }
    }

    private static List<String> claimedQueues(List<String> queues, boolean all) throws Exception {
        return claimedQueues(queues, all, false);
    }

    /** The queues of the jobs the worker's claim takes, after {@code setup} in the same transaction, rolled back. */
    private static List<String> claimedQueues(List<String> queues, boolean all, boolean somePaused, String... setup) throws Exception {
        try (Connection c = queue.dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (var statement = c.createStatement()) {
                for (String sql : setup) {
                    statement.execute(sql);
                }
                List<String> claimed = new ArrayList<>();
                new JobQueries(QueueSchema.DEFAULT).claim(c, processId, queues, all, somePaused, 10).forEach(j -> claimed.add(j.queue()));
                return claimed;
            } finally {
                c.rollback();
            }
        }
    }

    private static long maxRowsRemoved(String plan) {
        long max = 0;
        Matcher m = REMOVED.matcher(plan);
        while (m.find()) {
            max = Math.max(max, Long.parseLong(m.group(1)));
        }
        return max;
    }
}
