package dev.stevedore.cli;

import dev.stevedore.queue.QueueAdmin;
import dev.stevedore.queue.QueuePause;
import dev.stevedore.queue.QueueStats;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "queues", mixinStandardHelpOptions = true, description = "List queues; pause and resume them.",
        subcommands = {QueuesCommand.ListQueues.class, QueuesCommand.Pause.class, QueuesCommand.Resume.class})
final class QueuesCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is missing: list, pause or resume");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Queues with available jobs or paused: depth, oldest job, pause.")
    static final class ListQueues implements Callable<Integer> {
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
                Printer.json(out, rows(stats).stream().map(r -> Printer.queue(r.queue(), r.depth(), r.pause())).toList());
                return 0;
            }
            table(out, stats);
            return 0;
        }
    }

    /** A queue with available jobs or paused: its depth (null without available jobs) and its pause (null when running). */
    record Row(String queue, QueueStats.QueueDepth depth, QueuePause pause) {}

    /** Every queue with available jobs or paused, by name. */
    static List<Row> rows(QueueStats stats) {
        Map<String, QueuePause> pauses = stats.pausedQueues().stream().collect(Collectors.toMap(QueuePause::queue, p -> p));
        TreeSet<String> names = new TreeSet<>(stats.queues().keySet());
        names.addAll(pauses.keySet());
        return names.stream().map(q -> new Row(q, stats.queues().get(q), pauses.get(q))).toList();
    }

    /** The rows as a table: depth, oldest job, and the pause (also 'stats'). */
    static void table(PrintWriter out, QueueStats stats) {
        List<List<String>> cells = new ArrayList<>();
        for (Row r : rows(stats)) {
            cells.add(List.of(r.queue(), r.depth() == null ? "0" : Long.toString(r.depth().available()),
                    r.depth() == null ? "-" : r.depth().oldestAvailableAgeMs() + " ms",
                    r.pause() == null ? "no" : "since " + Printer.text(r.pause().pausedAt()) + " by " + r.pause().pausedBy()
                            + (r.pause().reason() == null ? "" : ": " + r.pause().reason())));
        }
        Printer.table(out, List.of("QUEUE", "AVAILABLE", "OLDEST AVAILABLE", "PAUSED"), cells);
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = {"Pause queues: they keep their jobs and accept new ones, no worker claims from them until they are resumed,",
                    "and jobs already running finish."})
    static final class Pause implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Parameters(arity = "1..*", paramLabel = "QUEUE", description = "the queues to pause")
        List<String> queues;

        @Option(names = "--reason", description = "why, shown by 'queues list' and 'stats'")
        String reason;

        @Option(names = "--by", description = "who pauses (default: the user and host running this command)")
        String by;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            QueueAdmin admin = new QueueAdmin(db.dataSource(), db.schema());
            String who = by != null ? by : StevedoreCli.userAtHost();
            PrintWriter out = spec.commandLine().getOut();
            for (String queue : queues) {
                out.println(admin.pause(queue, who, reason) ? "paused " + queue : queue + " was paused already");
            }
            return 0;
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume paused queues: their idle workers claim at once.")
    static final class Resume implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Parameters(arity = "1..*", paramLabel = "QUEUE", description = "the queues to resume")
        List<String> queues;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            QueueAdmin admin = new QueueAdmin(db.dataSource(), db.schema());
            PrintWriter out = spec.commandLine().getOut();
            for (String queue : queues) {
                out.println(admin.resume(queue) ? "resumed " + queue : queue + " was not paused");
            }
            return 0;
        }
    }
}
