package dev.stevedore.cli;

import dev.stevedore.queue.QueueException;
import dev.stevedore.queue.Secrets;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code stevedore}: operate a Stevedore queue from a shell. Exit codes: 0 success, 1 the command could
 * not be carried out (database unreachable, job not found), 2 bad usage.
 */
@Command(name = "stevedore", mixinStandardHelpOptions = true, versionProvider = StevedoreCli.Version.class,
        description = "Operate a Stevedore job queue: migrate, enqueue, inspect, retry and discard jobs.",
        subcommands = {MigrateCommand.class, EnqueueCommand.class, JobsCommand.class, ProcessesCommand.class, QueuesCommand.class, SchedulesCommand.class, StatsCommand.class,
                CommandLine.HelpCommand.class})
public final class StevedoreCli implements Runnable {

    public static final int FAILED = 1;
    public static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is missing: migrate, enqueue, jobs, processes, queues or stats");
    }

    public static void main(String[] args) {
        System.exit(execute(args, System.getenv(), new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line with the given environment and streams; returns the exit code. */
    public static int execute(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new StevedoreCli(), new Factory(env));
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(e -> FAILED);
        cli.setParameterExceptionHandler((e, a) -> {
            err.println("stevedore: " + Secrets.mask(e.getMessage()));
            err.println("Try 'stevedore " + commandPath(e.getCommandLine()) + "--help' for usage.");
            return USAGE;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            err.println("stevedore: " + Secrets.mask(message(e)));
            return e instanceof IllegalArgumentException ? USAGE : FAILED;
        });
        return cli.execute(args);
    }

    private static String commandPath(CommandLine commandLine) {
        StringBuilder path = new StringBuilder();
        for (CommandLine c = commandLine; c != null && c.getParent() != null; c = c.getParent()) {
            path.insert(0, c.getCommandName() + " ");
        }
        return path.toString();
    }

    /** Who runs this command (user@host), for the records of a pause or a cancel. */
    static String userAtHost() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            host = "unknown host";
        }
        return System.getProperty("user.name") + "@" + host;
    }

    /** One line for the user; the cause's message only where it adds something. */
    static String message(Exception e) {
        if (e instanceof CliFailure || e instanceof IllegalArgumentException || e instanceof QueueException) {
            return e.getMessage();
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** Gives commands the environment they run in, so tests can pass their own. */
    static final class Factory implements CommandLine.IFactory {
        private final Map<String, String> env;

        Factory(Map<String, String> env) {
            this.env = env;
        }

        @Override
        public <K> K create(Class<K> cls) throws Exception {
            K instance = CommandLine.defaultFactory().create(cls);
            if (instance instanceof DatabaseOptions db) {
                db.environment = env;
            }
            return instance;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = StevedoreCli.class.getPackage().getImplementationVersion();
            return new String[] {"stevedore " + (v == null ? "development build" : v)};
        }
    }
}
