package dev.stevedore.queue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** A migrated queue on a test database, with workers that are stopped at the end. */
final class QueueFixture implements AutoCloseable {

    final QueueSchema schema;
    final HikariDataSource dataSource;
    final JobClient client;
    final Pruner pruner;
    private final List<Worker> workers = new ArrayList<>();

    QueueFixture(TestDatabase db) {
        this(db, QueueSchema.DEFAULT);
    }

    QueueFixture(TestDatabase db, QueueSchema schema) {
        this.schema = schema;
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setUsername(db.user());
        config.setPassword(db.password());
        config.setMaximumPoolSize(40);
        config.setConnectionTimeout(5_000);
        this.dataSource = new HikariDataSource(config);
        QueueMigrator.migrate(dataSource, schema);
        this.client = new JobClient(dataSource, schema);
        this.pruner = new Pruner(dataSource, schema);
        sql("TRUNCATE " + schema.name() + ".jobs, " + schema.name() + ".processes, " + schema.name() + ".queue_pauses, " + schema.name() + ".schedules");
    }

    /** Fast settings for tests: 200 ms heartbeats, 1 s alive threshold. */
    static WorkerConfig.Builder fastConfig(String pool) {
        return WorkerConfig.builder(ProcessIdentity.local(pool))
                .heartbeatInterval(Duration.ofMillis(200))
                .aliveThreshold(Duration.ofSeconds(1))
                .pruneInterval(Duration.ofMillis(250))
                .promoteInterval(Duration.ofMillis(50))
                .pollInterval(Duration.ofMillis(200))
                .shutdownTimeout(Duration.ofSeconds(5))
                .retryPolicy(new RetryPolicy(Duration.ofMillis(20), Duration.ofMillis(200), 0));
    }

    Worker worker(Consumer<WorkerConfig.Builder> settings, HandlerRegistry handlers) {
        return worker(settings, handlers, QueueListener.NONE);
    }

    Worker worker(Consumer<WorkerConfig.Builder> settings, HandlerRegistry handlers, QueueListener listener) {
        WorkerConfig.Builder builder = fastConfig("test/pool");
        settings.accept(builder);
        Worker worker = Worker.start(dataSource, schema, builder.build(), handlers, listener);
        workers.add(worker);
        return worker;
    }

    long enqueue(NewJob.Builder job) {
        return client.enqueue(job.build()).orElseThrow();
    }

    Map<String, Object> job(long id) {
        List<Map<String, Object>> rows = rows("SELECT id, queue, handler, args::text AS args, state, attempts, prunes, claimed_by, "
                + "checkpoint::text AS checkpoint, errors::text AS errors, jsonb_array_length(errors) AS error_count, "
                + "errors->-1->>'class' AS last_error_class, errors->-1 AS last_error, run_at, finished_at FROM "
                + schema.name() + ".jobs WHERE id = ?", id);
        if (rows.isEmpty()) {
            throw new AssertionError("no job " + id);
        }
        return rows.get(0);
    }

    String state(long id) {
        return (String) job(id).get("state");
    }

    long count(String where) {
        return ((Number) rows("SELECT count(*) AS n FROM " + schema.name() + ".jobs WHERE " + where).get(0).get("n")).longValue();
    }

    long processCount() {
        return ((Number) rows("SELECT count(*) AS n FROM " + schema.name() + ".processes").get(0).get("n")).longValue();
    }

    List<Map<String, Object>> rows(String sql, Object... params) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        Object value = rs.getObject(i);
                        row.put(md.getColumnLabel(i), value instanceof org.postgresql.util.PGobject pg ? pg.getValue() : value);
                    }
                    rows.add(row);
                }
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    void sql(String sql, Object... params) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            ps.execute();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        workers.forEach(Worker::stop);
        dataSource.close();
    }
}
