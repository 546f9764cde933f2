package dev.stevedore.cli;

import dev.stevedore.queue.Durations;
import dev.stevedore.queue.ProcessView;
import dev.stevedore.queue.Pruner;
import dev.stevedore.queue.QueueAdmin;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "processes", mixinStandardHelpOptions = true, description = "Worker processes.", subcommands = {ProcessesCommand.ListProcesses.class, ProcessesCommand.PruneProcesses.class})
final class ProcessesCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is missing: list or prune");
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

    @Command(name = "prune", mixinStandardHelpOptions = true,
            description = {"Prune processes whose heartbeat is stale: their jobs fail with ProcessPrunedError (HeartbeatExpired), or are",
                    "retried under their pool's policy for pruned jobs, and their rows are deleted.",
                    "For processes no worker or operator prunes, e.g. of a pool that was deleted or renamed. Only processes stale for",
                    "longer than their own alive threshold (and than --stale-for) are touched; run it only while the database is healthy."})
    static final class PruneProcesses implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Option(names = "--pool", paramLabel = "NAMESPACE/NAME", description = "only this pool (default: every pool)")
        String pool;

        @Option(names = "--stale-for", paramLabel = "DURATION", description = "only heartbeats older than this, e.g. 10m (default: the alive threshold)")
        String staleFor;

        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json")
        OutputFormat output;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Duration stale = staleFor == null ? Duration.ZERO : Durations.parse(staleFor, "--stale-for");
            List<Pruner.PrunedProcess> pruned = new Pruner(db.dataSource(), db.schema()).pruneStale(Optional.ofNullable(pool), stale);
            PrintWriter out = spec.commandLine().getOut();
            if (output == OutputFormat.json) {
                Printer.json(out, Map.of("pruned", pruned.stream().map(Printer::prunedProcess).toList()));
                return 0;
            }
            for (Pruner.PrunedProcess p : pruned) {
                out.println("pruned process " + p.processId() + " of pool " + p.pool() + " (" + (p.pod() != null ? "pod " + p.pod() : p.host()
                        + " pid " + p.pid()) + ", last heartbeat " + Printer.text(p.lastHeartbeatAt()) + "): failed jobs " + p.failedJobIds()
                        + ", retried jobs " + p.retriedJobIds());
            }
            out.println("pruned " + pruned.size() + (pruned.size() == 1 ? " process" : " processes"));
            return 0;
        }
    }
}
