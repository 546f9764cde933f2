package dev.stevedore.cli;

import dev.stevedore.queue.JobFilter;
import dev.stevedore.queue.JobView;
import dev.stevedore.queue.QueueAdmin;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.LongConsumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "jobs", mixinStandardHelpOptions = true, description = "List, show, retry, discard and cancel jobs.",
        subcommands = {JobsCommand.ListJobs.class, JobsCommand.Show.class, JobsCommand.Retry.class, JobsCommand.Discard.class,
                JobsCommand.Cancel.class})
final class JobsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is missing: list, show, retry, discard or cancel");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List jobs, newest first.")
    static final class ListJobs implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Mixin
        JobFilterOptions filter;

        @Option(names = "--limit", defaultValue = "50", description = "at most this many (default: 50)")
        int limit;

        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json")
        OutputFormat output;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            JobFilter selection = filter.toFilter(limit);
            List<JobView> jobs = new QueueAdmin(db.dataSource(), db.schema()).list(selection);
            PrintWriter out = spec.commandLine().getOut();
            if (output == OutputFormat.json) {
                Printer.json(out, jobs.stream().map(j -> Printer.job(j, false)).toList());
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JobView j : jobs) {
                rows.add(List.of(Long.toString(j.id()), j.queue(), j.handler(), j.state().dbName(), j.attempts() + "/" + j.maxAttempts(),
                        Printer.cell(Printer.text(j.createdAt())), j.lastError() == null ? "-" : shortError(j.lastError())));
            }
            Printer.table(out, List.of("ID", "QUEUE", "HANDLER", "STATE", "ATTEMPTS", "CREATED", "LAST ERROR"), rows);
            return 0;
        }

        private static String shortError(JobView.JobError e) {
            String where = e.pod() != null ? " pod " + e.pod() : e.host() != null ? " " + e.host() + " pid " + e.pid() : "";
            return e.errorClass() + (e.reason() != null ? " (" + e.reason() + where + ")" : "");
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one job: arguments, checkpoint, error history.")
    static final class Show implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Parameters(paramLabel = "ID", description = "job id")
        long id;

        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json")
        OutputFormat output;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            JobView job = new QueueAdmin(db.dataSource(), db.schema()).show(id).orElseThrow(() -> new CliFailure("job " + id + " not found"));
            PrintWriter out = spec.commandLine().getOut();
            Map<String, Object> fields = Printer.job(job, true);
            if (output == OutputFormat.json) {
                Printer.json(out, fields);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            fields.forEach((k, v) -> {
                if (!k.equals("lastError") && !k.equals("errors")) {
                    rows.add(List.of(k, Printer.cell(v)));
                }
            });
            Printer.table(out, List.of("FIELD", "VALUE"), rows);
            out.println();
            out.println("errors (oldest first):");
            out.println(job.errors());
            return 0;
        }
    }

    /** Shared by retry and discard: single jobs by id, or every job matching a filter. */
    abstract static class Change implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Parameters(paramLabel = "ID", arity = "0..*", description = "job ids; or leave them out and give a filter")
        List<Long> ids;

        @Mixin
        JobFilterOptions filter;

        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json")
        OutputFormat output;

        @Spec
        CommandSpec spec;

        abstract String verb();

        abstract String allowedStates();

        abstract List<Long> change(QueueAdmin admin, List<Long> ids);

        abstract long changeMatching(QueueAdmin admin, JobFilter filter, LongConsumer progress);

        @Override
        public Integer call() {
            boolean haveIds = ids != null && !ids.isEmpty();
            if (haveIds == !filter.isEmpty()) {
                throw new IllegalArgumentException("give job ids or a filter (--state, --queue, --handler, --error, --since, --until), not both and not neither");
            }
            JobFilter selection = haveIds ? null : filter.toFilter(1);
            QueueAdmin admin = new QueueAdmin(db.dataSource(), db.schema());
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (haveIds) {
                List<Long> missing = admin.missing(ids);
                if (!missing.isEmpty()) {
                    throw new CliFailure((missing.size() == 1 ? "job " : "jobs ") + join(missing) + " not found; nothing was changed");
                }
                List<Long> changed = change(admin, ids);
                List<Long> skipped = ids.stream().filter(id -> !changed.contains(id)).distinct().toList();
                if (output == OutputFormat.json) {
                    Map<String, Object> result = new LinkedHashMap<>();
                    result.put(verb(), changed);
                    result.put("skipped", skipped);
                    Printer.json(out, result);
                } else {
                    out.println(verb() + " " + changed.size() + (changed.size() == 1 ? " job" : " jobs") + (changed.isEmpty() ? "" : ": " + join(changed)));
                    if (!skipped.isEmpty()) {
                        out.println("skipped " + join(skipped) + ": only " + allowedStates() + " jobs can be " + verb());
                    }
                }
                return 0;
            }
            boolean showProgress = output == OutputFormat.table && System.console() != null;
            long total = changeMatching(admin, selection, n -> {
                if (showProgress) {
                    err.print("\r" + verb() + " " + n + " jobs...");
                    err.flush();
                }
            });
            if (showProgress) {
                err.println();
            }
            if (output == OutputFormat.json) {
                Printer.json(out, Map.of(verb(), total));
            } else {
                out.println(verb() + " " + total + (total == 1 ? " job" : " jobs"));
            }
            return 0;
        }

        private static String join(List<Long> ids) {
            return String.join(", ", ids.stream().map(String::valueOf).toList());
        }
    }

    @Command(name = "retry", mixinStandardHelpOptions = true,
            description = "Make failed, discarded or scheduled jobs available now (with at least one more attempt): by id, or all matching a filter.")
    static final class Retry extends Change {
        @Override
        String verb() {
            return "retried";
        }

        @Override
        String allowedStates() {
            return "failed, discarded or scheduled";
        }

        @Override
        List<Long> change(QueueAdmin admin, List<Long> ids) {
            return admin.retry(ids);
        }

        @Override
        long changeMatching(QueueAdmin admin, JobFilter filter, LongConsumer progress) {
            return admin.retry(filter, progress);
        }
    }

    @Command(name = "discard", mixinStandardHelpOptions = true,
            description = "Give up on failed, scheduled or available jobs: by id, or all matching a filter.")
    static final class Discard extends Change {
        @Override
        String verb() {
            return "discarded";
        }

        @Override
        String allowedStates() {
            return "failed, scheduled or available";
        }

        @Override
        List<Long> change(QueueAdmin admin, List<Long> ids) {
            return admin.discard(ids);
        }

        @Override
        long changeMatching(QueueAdmin admin, JobFilter filter, LongConsumer progress) {
            return admin.discard(filter, progress);
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = {"Cancel jobs, by id or all matching a filter: scheduled and available ones are discarded at once; a running",
                    "one's worker interrupts its handler and the job ends discarded (if the handler still completes, it stays completed).",
                    "Each gets a JobCancelledError in its history. If the worker dies first, the job is discarded when it is pruned."})
    static final class Cancel extends Change {
        @Option(names = "--by", description = "who cancels, recorded in the job's history (default: the user and host running this command)")
        String by;

        @Override
        String verb() {
            return "cancelled";
        }

        @Override
        String allowedStates() {
            return "scheduled, available or running";
        }

        @Override
        List<Long> change(QueueAdmin admin, List<Long> ids) {
            return admin.cancel(ids, who()).all();
        }

        @Override
        long changeMatching(QueueAdmin admin, JobFilter filter, LongConsumer progress) {
            return admin.cancel(filter, who(), progress);
        }

        private String who() {
            return by != null ? by : StevedoreCli.userAtHost();
        }
    }
}
