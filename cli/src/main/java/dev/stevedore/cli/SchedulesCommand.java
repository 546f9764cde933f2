package dev.stevedore.cli;

import dev.stevedore.queue.Durations;
import dev.stevedore.queue.NewJob;
import dev.stevedore.queue.Schedule;
import dev.stevedore.queue.ScheduleView;
import dev.stevedore.queue.Schedules;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "schedules", mixinStandardHelpOptions = true, description = "Recurring jobs: list, set, delete, run now.",
        subcommands = {SchedulesCommand.ListSchedules.class, SchedulesCommand.Set.class, SchedulesCommand.Delete.class, SchedulesCommand.RunNow.class})
final class SchedulesCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is missing: list, set, delete or run-now");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every schedule with its last and next run.")
    static final class ListSchedules implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json")
        OutputFormat output;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            List<ScheduleView> all = new Schedules(db.dataSource(), db.schema()).list();
            PrintWriter out = spec.commandLine().getOut();
            if (output == OutputFormat.json) {
                Printer.json(out, all.stream().map(Printer::schedule).toList());
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (ScheduleView v : all) {
                Schedule s = v.schedule();
                rows.add(List.of(s.name(), s.cron().expression(), s.timeZone().getId(), s.queue(), s.handler(), s.missed().dbName(),
                        Printer.text(v.nextRunAt()), v.lastRunAt() == null ? "-" : Printer.text(v.lastRunAt()),
                        v.lastJobId() == null ? "-" : v.lastJobId() + (v.lastJobState() == null ? "" : " (" + v.lastJobState().dbName() + ")"),
                        v.pool() == null ? "by hand" : "JobWorkerPool " + v.pool()));
            }
            Printer.table(out, List.of("NAME", "CRON", "TIME ZONE", "QUEUE", "HANDLER", "MISSED", "NEXT RUN", "LAST RUN", "LAST JOB", "DECLARED"), rows);
            return 0;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = {"Create or change a schedule. A new cron expression or time zone starts from the next time after now;",
                    "other changes keep the next run. Schedules declared in a JobWorkerPool's spec.schedules are changed there."})
    static final class Set implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Parameters(index = "0", paramLabel = "NAME", description = "the schedule's name")
        String name;

        @Option(names = "--cron", required = true, paramLabel = "EXPR",
                description = "5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or @hourly, @daily, @weekly, @monthly, @yearly")
        String cron;

        @Option(names = "--time-zone", defaultValue = "UTC", paramLabel = "ZONE", description = "the zone the expression is read in (default: UTC)")
        String timeZone;

        @Option(names = "--queue", required = true, description = "queue of the jobs")
        String queue;

        @Option(names = "--handler", required = true, description = "handler of the jobs")
        String handler;

        @Option(names = "--args", defaultValue = "{}", paramLabel = "JSON", description = "arguments of every job (default: {})")
        String args;

        @Option(names = "--priority", defaultValue = "0", description = "lower runs first (default: 0)")
        int priority;

        @Option(names = "--max-attempts", defaultValue = "" + NewJob.DEFAULT_MAX_ATTEMPTS, description = "attempts of each job (default: 25)")
        int maxAttempts;

        @Option(names = "--timeout", paramLabel = "DURATION", description = "fail an attempt that runs longer, e.g. 5m")
        String timeout;

        @Option(names = "--missed", defaultValue = "skip", paramLabel = "skip|run_once",
                description = "runs missed while no worker ran: skip them, or run the latest once (default: skip)")
        String missed;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Schedule.Missed policy;
            try {
                policy = Schedule.Missed.fromDb(missed.toLowerCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--missed must be skip or run_once, got '" + missed + "'");
            }
            Schedule.Builder builder = Schedule.of(name, cron, queue, handler).timeZone(timeZone).args(args).priority(priority)
                    .maxAttempts(maxAttempts).missed(policy);
            if (timeout != null) {
                builder.timeout(Durations.parse(timeout, "--timeout"));
            }
            ScheduleView view = new Schedules(db.dataSource(), db.schema()).set(builder.build());
            spec.commandLine().getOut().println("schedule " + name + " set: next run " + Printer.text(view.nextRunAt()));
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = {"Delete schedules set by hand; the jobs they enqueued stay.",
                    "--pool deletes every schedule of a JobWorkerPool that no longer exists (the operator does this itself",
                    "while another pool of the database remains)."})
    static final class Delete implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Parameters(arity = "0..*", paramLabel = "NAME", description = "the schedules to delete")
        List<String> names = List.of();

        @Option(names = "--pool", paramLabel = "NAMESPACE/NAME", description = "delete the schedules of this deleted JobWorkerPool")
        String pool;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (names.isEmpty() == (pool == null)) {
                throw new IllegalArgumentException("give the names of schedules to delete, or --pool NAMESPACE/NAME, not both");
            }
            Schedules schedules = new Schedules(db.dataSource(), db.schema());
            PrintWriter out = spec.commandLine().getOut();
            if (pool != null) {
                List<String> deleted = schedules.deletePool(pool);
                out.println(deleted.isEmpty() ? "JobWorkerPool " + pool + " declares no schedule" : "deleted schedules " + String.join(", ", deleted)
                        + " of JobWorkerPool " + pool + " (if the pool still exists, its operator writes them again)");
                return 0;
            }
            int missing = 0;
            for (String name : names) {
                if (schedules.delete(name)) {
                    out.println("deleted schedule " + name);
                } else {
                    spec.commandLine().getErr().println("no schedule named " + name);
                    missing++;
                }
            }
            return missing == 0 ? 0 : StevedoreCli.FAILED;
        }
    }

    @Command(name = "run-now", mixinStandardHelpOptions = true,
            description = "Enqueue a run of each schedule now, beside its regular runs (which go on as they were).")
    static final class RunNow implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Parameters(arity = "1..*", paramLabel = "NAME", description = "the schedules to run")
        List<String> names;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Schedules schedules = new Schedules(db.dataSource(), db.schema());
            PrintWriter out = spec.commandLine().getOut();
            int missing = 0;
            for (String name : names) {
                var id = schedules.runNow(name);
                if (id.isPresent()) {
                    out.println("enqueued job " + id.get() + " for schedule " + name);
                } else {
                    spec.commandLine().getErr().println("no schedule named " + name);
                    missing++;
                }
            }
            return missing == 0 ? 0 : StevedoreCli.FAILED;
        }
    }
}
