package dev.stevedore.cli;

import dev.stevedore.queue.QueueMigrator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "migrate", mixinStandardHelpOptions = true, description = "Create or upgrade the queue's tables (safe to repeat).")
final class MigrateCommand implements Callable<Integer> {

    @Mixin
    DatabaseOptions db;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        int applied = QueueMigrator.migrate(db.dataSource(), db.schema());
        spec.commandLine().getOut().println(applied == 0 ? "schema " + db.schema() + " is up to date"
                : "schema " + db.schema() + ": applied " + applied + (applied == 1 ? " migration" : " migrations"));
        return 0;
    }
}
