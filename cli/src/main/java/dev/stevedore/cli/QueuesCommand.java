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
            Map<String, QueuePause> pauses = stats.pausedQueues().stream().collect(Collectors.toMap(QueuePause::queue, p -> p));
            TreeSet<String> names = new TreeSet<>(stats.queues().keySet());
            names.addAll(pauses.keySet());
            PrintWriter out = spec.commandLine().getOut();
            if (output == OutputFormat.json) {
                Printer.json(out, names.stream().map(q -> Printer.queue(q, stats.queues().get(q), pauses.get(q))).toList());
                return 0;
            }
            table(out, stats);
            return 0;
        }
    }

    /** Every queue with available jobs or paused, by name: depth, oldest job, and the pause (also 'stats'). */
    static void table(PrintWriter out, QueueStats stats) {
        Map<String, QueuePause> pauses = stats.pausedQueues().stream().collect(Collectors.toMap(QueuePause::queue, p -> p));
        TreeSet<String> names = new TreeSet<>(stats.queues().keySet());
        names.addAll(pauses.keySet());
        List<List<String>> rows = new ArrayList<>();
        for (String q : names) {
            QueueStats.QueueDepth depth = stats.queues().get(q);
            QueuePause pause = pauses.get(q);
            rows.add(List.of(q, depth == null ? "0" : Long.toString(depth.available()), depth == null ? "-" : depth.oldestAvailableAgeMs() + " ms",
                    pause == null ? "no" : "since " + Printer.text(pause.pausedAt()) + " by " + pause.pausedBy()
                            + (pause.reason() == null ? "" : ": " + pause.reason())));
        }
        Printer.table(out, List.of("QUEUE", "AVAILABLE", "OLDEST AVAILABLE", "PAUSED"), rows);
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
            String who = by != null ? by : userAtHost();
            PrintWriter out = spec.commandLine().getOut();
            for (String queue : queues) {
                out.println(admin.pause(queue, who, reason) ? "paused " + queue : queue + " was paused already");
            }
            return 0;
        }

        /** Who runs this command, for the records of a pause or a cancel. */
        static String userAtHost() {
            String host;
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                host = "unknown host";
            }
            return System.getProperty("user.name") + "@" + host;
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
