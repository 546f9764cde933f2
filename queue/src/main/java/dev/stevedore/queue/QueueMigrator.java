package dev.stevedore.queue;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/** Creates or upgrades the queue's tables in their schema with Flyway. Safe to run on every start. */
public final class QueueMigrator {

    private QueueMigrator() {}

    /** Migrates and returns the number of migrations applied (0 when already current). */
    public static int migrate(DataSource dataSource, QueueSchema schema) {
        MigrateResult result = Flyway.configure()
                .dataSource(dataSource)
                .schemas(schema.name())
                .defaultSchema(schema.name())
                .createSchemas(true)
                .table("schema_history")
                .locations("classpath:db/stevedore")
                .loggers("slf4j")
                .load()
                .migrate();
        return result.migrationsExecuted;
    }
}
