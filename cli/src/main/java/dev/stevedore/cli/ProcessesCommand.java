package dev.stevedore.cli;

import dev.stevedore.queue.ProcessView;
import dev.stevedore.queue.QueueAdmin;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "processes", mixinStandardHelpOptions = true, description = "Worker processes.", subcommands = ProcessesCommand.ListProcesses.class)
final class ProcessesCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is missing: list");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List registered worker processes and whether their heartbeat is fresh.")
    static final class ListProcesses implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json")
        OutputFormat output;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            List<ProcessView> processes = new QueueAdmin(db.dataSource(), db.schema()).processes();
            PrintWriter out = spec.commandLine().getOut();
            if (output == OutputFormat.json) {
                Printer.json(out, processes.stream().map(Printer::process).toList());
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (ProcessView p : processes) {
                rows.add(List.of(Long.toString(p.id()), p.pool(), Printer.cell(p.pod()), Printer.cell(p.node()), p.host(), Long.toString(p.pid()),
                        String.join(",", p.queues()), Integer.toString(p.threads()), Printer.text(p.lastHeartbeatAt()), p.alive() ? "yes" : "NO"));
            }
            Printer.table(out, List.of("ID", "POOL", "POD", "NODE", "HOST", "PID", "QUEUES", "THREADS", "LAST HEARTBEAT", "ALIVE"), rows);
            return 0;
        }
    }
}
