package dev.stevedore.queue;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;

/** Creates or upgrades the queue's tables in their schema with Flyway. Safe to run on every start. */
public final class QueueMigrator {

    private QueueMigrator() {}

    /** Migrates and returns the number of migrations applied (0 when already current). */
    public static int migrate(DataSource dataSource, QueueSchema schema) {
        MigrateResult result = flyway(dataSource, schema).migrate();
        return result.migrationsExecuted;
    }

    /**
     * Fails with {@link QueueException} unless the schema has every migration this version of Stevedore ships: a worker
     * started on an older schema would fail on every claim instead (a newer schema is fine: migrations only add).
     */
    public static void requireMigrated(DataSource dataSource, QueueSchema schema) {
        MigrationInfo[] pending;
        MigrationInfo current;
        try {
            var info = flyway(dataSource, schema).info();
            pending = info.pending();
            current = info.current();
        } catch (FlywayException e) {
            throw new QueueException("could not read the version of queue schema '" + schema.name() + "': " + Errors.rootMessage(e), e);
        }
        if (pending.length > 0) {
            String latest = pending[pending.length - 1].getVersion().getVersion();
            throw new QueueException((current == null
                    ? "queue schema '" + schema.name() + "' has no queue tables"
                    : "queue schema '" + schema.name() + "' is at version " + current.getVersion().getVersion())
                    + " and this version of Stevedore needs version " + latest
                    + ": run `stevedore migrate`, or start one worker with STEVEDORE_MIGRATE=true (QueueMigrator.migrate in Java)");
        }
    }

    private static Flyway flyway(DataSource dataSource, QueueSchema schema) {
        return Flyway.configure()
                .dataSource(dataSource)
                .schemas(schema.name())
                .defaultSchema(schema.name())
                .createSchemas(true)
                .table("schema_history")
                .locations("classpath:db/stevedore")
                .loggers("slf4j")
                .load();
    }
}
