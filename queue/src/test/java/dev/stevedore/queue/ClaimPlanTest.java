package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;

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
 * other queues: checked with EXPLAIN ANALYZE of the statements the worker runs, on a table with 300,000 older
 * jobs in a queue the worker does not serve.
 */
@ExtendWith(PostgresExtension.class)
class ClaimPlanTest {

    private static final Pattern REMOVED = Pattern.compile("Rows Removed by Filter: (\\d+)");
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

    /** EXPLAIN ANALYZE of the worker's own claim statement, rolled back. */
    private static String explainClaim(List<String> queues, boolean all) throws Exception {
        JobQueries queries = new JobQueries(QueueSchema.DEFAULT);
        try (Connection c = queue.dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("EXPLAIN (ANALYZE, BUFFERS) " + queries.claimSql(queues, all))) {
                int i = 1;
                ps.setLong(i++, processId);
                if (!all && queues.size() == 1) {
                    ps.setString(i++, queues.get(0));
                } else if (!all) {
                    ps.setArray(i++, Sql.texts(c, queues.toArray(String[]::new)));
                }
                ps.setInt(i++, 10);
                if (!all && queues.size() > 1) {
                    ps.setInt(i, 10);
                }
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
        try (Connection c = queue.dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                List<String> claimed = new ArrayList<>();
                new JobQueries(QueueSchema.DEFAULT).claim(c, processId, queues, all, 10).forEach(j -> claimed.add(j.queue()));
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
