package dev.stevedore.bench.peers;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.TaskDescriptor;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.stevedore.bench.BenchSql;
import dev.stevedore.bench.QueueUnderTest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import javax.sql.DataSource;

/**
 * db-scheduler 16.12.0 on PostgreSQL: one {@link OneTimeTask} named "noop" whose data is the job's sequence number.
 *
 * <p>Configuration and where it comes from (README of tag v16.12.0):
 * <ul>
 *   <li>Schema: {@code db-scheduler/src/test/resources/postgresql_tables.sql} of that tag, which the README's
 *       "Getting started" links to; the jar ships no SQL. Table, primary key and its three indexes, verbatim.
 *       Priority is opt-in ("Consider tuning", {@code enablePriority()}) and stays off; its column and index are
 *       part of the published schema, so they are created anyway.</li>
 *   <li>Polling strategy lock-and-fetch ({@code SELECT ... FOR UPDATE SKIP LOCKED}), which the README recommends above
 *       1000 executions/s, with {@code 1.0, 4.0}: "For high throughput (i.e. keep threads busy), set to for example
 *       1.0, 4.0".</li>
 *   <li>Polling interval 100 ms instead of the default 10 s: the README says precision depends on the polling interval
 *       and that the scheduler can be told to look early; the lock-and-fetch poll is one indexed query, so ten per
 *       second on an idle table is cheap. When a fetch comes back full the scheduler fetches again as soon as its
 *       queue drops to the lower limit, without waiting for the interval.</li>
 *   <li>{@code enableImmediateExecution()} is set, but it only wakes the scheduler for {@code schedule(..)} calls made
 *       through that same {@code Scheduler} (it listens to its own client's events). Jobs here are enqueued through a
 *       separate {@link SchedulerClient}, as a producer in another process would, so it does not fire and pickup of
 *       a new job waits for the next poll.</li>
 *   <li>Batched enqueue uses {@code SchedulerClient.scheduleBatch(List, Instant)}: one JDBC batch per call.</li>
 *   <li>Not set: {@code registerShutdownHook()} (the harness stops the worker), {@code deleteUnresolvedAfter}
 *       (only one task exists, so nothing is unresolved). Data is serialized with the default Java serializer.</li>
 * </ul>
 *
 * <p>A finished one-time task is deleted ({@code OneTimeTask.execute} returns {@code OnCompleteRemove}), so every row
 * of {@code scheduled_tasks} is an unfinished job.
 */
public final class DbSchedulerQueue implements QueueUnderTest {

    static final TaskDescriptor<Integer> NOOP = TaskDescriptor.of("noop", Integer.class);

    /** README, "Polling strategy", pollUsingLockAndFetch: "For high throughput ... set to for example 1.0, 4.0". */
    static final double LOWER_LIMIT_FRACTION_OF_THREADS = 1.0;
    static final double EXECUTIONS_PER_BATCH_FRACTION_OF_THREADS = 4.0;

    /** See the class comment: low enough that pickup latency is not dominated by the wait between polls. */
    static final Duration POLLING_INTERVAL = Duration.ofMillis(100);

    /** postgresql_tables.sql of tag v16.12.0, statement by statement (its trailing comment left out). */
    private static final List<String> SCHEMA = List.of(
            """
            create table scheduled_tasks (
              task_name text not null,
              task_instance text not null,
              task_data bytea,
              execution_time timestamp with time zone not null,
              picked BOOLEAN not null,
              picked_by text,
              last_success timestamp with time zone,
              last_failure timestamp with time zone,
              consecutive_failures INT,
              last_heartbeat timestamp with time zone,
              version BIGINT not null,
              priority SMALLINT,
              PRIMARY KEY (task_name, task_instance)
            )""",
            "CREATE INDEX execution_time_idx ON scheduled_tasks (execution_time)",
            "CREATE INDEX last_heartbeat_idx ON scheduled_tasks (last_heartbeat)",
            "CREATE INDEX priority_execution_time_idx on scheduled_tasks (priority desc, execution_time asc)");

    private DataSource dataSource;
    private SchedulerClient client;
    private volatile BenchSql.Handle runningWorker;

    @Override
    public String name() {
        return "db-scheduler 16.12.0";
    }

    @Override
    public String configuration() {
        return "lock-and-fetch (FOR UPDATE SKIP LOCKED), pollUsingLockAndFetch(" + LOWER_LIMIT_FRACTION_OF_THREADS + ", "
                + EXECUTIONS_PER_BATCH_FRACTION_OF_THREADS + ") as the README advises for high throughput; polling "
                + "interval " + POLLING_INTERVAL.toMillis() + " ms (default 10 s); enableImmediateExecution on, but "
                + "inert here: jobs come from a separate SchedulerClient; batched = SchedulerClient.scheduleBatch "
                + "(one JDBC batch per call); schema and indexes of postgresql_tables.sql v16.12.0; priority off";
    }

    @Override
    public void install(DataSource dataSource) throws Exception {
        this.dataSource = dataSource;
        try (Connection connection = dataSource.getConnection()) {
            if (!tableExists(connection)) {
                boolean autoCommit = connection.getAutoCommit();
                connection.setAutoCommit(false);
                try (Statement statement = connection.createStatement()) {
                    for (String ddl : SCHEMA) {
                        statement.execute(ddl);
                    }
                    connection.commit();
                } catch (SQLException e) {
                    connection.rollback();
                    throw e;
                } finally {
                    connection.setAutoCommit(autoCommit);
                }
            }
        }
        // The client only needs the task's name and data class; it never runs a job.
        client = SchedulerClient.Builder.create(dataSource, noopTask(seq -> { })).build();
    }

    private static boolean tableExists(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT to_regclass('scheduled_tasks') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static OneTimeTask<Integer> noopTask(IntConsumer ran) {
        return Tasks.oneTime(NOOP).execute((instance, context) -> ran.accept(instance.getData()));
    }

    private static TaskInstance<Integer> instance(int seq) {
        return NOOP.instance("job-" + seq).data(seq).build();
    }

    @Override
    public void reset() throws Exception {
        BenchSql.execute(dataSource, "TRUNCATE scheduled_tasks");
    }

    @Override
    public void enqueueSingly(int from, int count) {
        for (int seq = from; seq < from + count; seq++) {
            if (!client.scheduleIfNotExists(instance(seq), Instant.now())) {
                throw new IllegalStateException("job-" + seq + " already exists: reset() was not called");
            }
        }
    }

    @Override
    public void enqueueBatched(int from, int count, int batch) {
        int end = from + count;
        for (int start = from; start < end; start += batch) {
            int stop = Math.min(end, start + batch);
            List<TaskInstance<?>> instances = new ArrayList<>(stop - start);
            for (int seq = start; seq < stop; seq++) {
                instances.add(instance(seq));
            }
            client.scheduleBatch(instances, Instant.now());
        }
    }

    @Override
    public AutoCloseable startWorker(int threads, IntConsumer ran) {
        if (runningWorker != null) {
            throw new IllegalStateException("a db-scheduler worker is already running");
        }
        Scheduler scheduler = Scheduler.create(dataSource, noopTask(ran))
                .threads(threads)
                .pollUsingLockAndFetch(LOWER_LIMIT_FRACTION_OF_THREADS, EXECUTIONS_PER_BATCH_FRACTION_OF_THREADS)
                .pollingInterval(POLLING_INTERVAL)
                .enableImmediateExecution()
                .build();
        scheduler.start();
        runningWorker = BenchSql.stopOnce(() -> {
            try {
                // Blocks until the executor has run the executions it had already picked.
                scheduler.stop();
            } finally {
                runningWorker = null;
            }
        });
        return runningWorker;
    }

    @Override
    public long unfinished() throws Exception {
        return BenchSql.number(dataSource, "SELECT count(*) FROM scheduled_tasks");
    }

    @Override
    public void close() {
        BenchSql.Handle worker = runningWorker;
        if (worker != null) {
            worker.close();
        }
        client = null;
    }

}
