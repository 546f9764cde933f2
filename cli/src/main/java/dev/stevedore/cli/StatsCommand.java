package dev.stevedore.cli;

import dev.stevedore.queue.QueueAdmin;
import dev.stevedore.queue.QueueStats;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "stats", mixinStandardHelpOptions = true, description = "Jobs per state, queue depth and age, live processes.")
final class StatsCommand implements Callable<Integer> {

    @Mixin
    DatabaseOptions db;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json")
    OutputFormat output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        QueueStats stats = new QueueAdmin(db.dataSource(), db.schema()).stats();
        PrintWriter out = spec.commandLine().getOut();
        if (output == OutputFormat.json) {
            Printer.json(out, Printer.stats(stats));
            return 0;
        }
        List<List<String>> states = new ArrayList<>();
        stats.jobs().forEach((state, n) -> states.add(List.of(state.dbName(), Long.toString(n))));
        Printer.table(out, List.of("STATE", "JOBS"), states);
        out.println();
        QueuesCommand.table(out, stats);
        out.println();
        out.println("processes: " + stats.aliveProcesses() + " alive of " + stats.processes() + " registered");
        return 0;
    }
}
