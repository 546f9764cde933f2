package dev.stevedore.cli;

import dev.stevedore.queue.JobFilter;
import dev.stevedore.queue.TimeArgument;
import dev.stevedore.queue.JobState;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/** The filter options shared by jobs list, retry and discard. */
final class JobFilterOptions {

    @Option(names = "--state", split = ",", paramLabel = "STATE",
            description = "scheduled, available, running, completed, failed or discarded (repeat or comma-separate)")
    List<String> states;

    @Option(names = "--queue", description = "only this queue")
    String queue;

    @Option(names = "--handler", description = "only this handler")
    String handler;

    @Option(names = "--error", paramLabel = "CLASS", description = "class of the last error, e.g. ProcessPrunedError")
    String errorClass;

    @Option(names = "--since", paramLabel = "TIME", description = "last step at or after: ISO-8601 time, or a duration ago like 1h")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "last step before: ISO-8601 time, or a duration ago like 10m")
    String until;

    JobFilter toFilter(int limit) {
        Set<JobState> parsed = states == null ? Set.of() : EnumSet.noneOf(JobState.class);
        if (states != null) {
            for (String s : states) {
                parsed.add(JobState.parse(s));
            }
        }
        return new JobFilter(parsed, queue, handler, errorClass, TimeArgument.parse(since, "--since"), TimeArgument.parse(until, "--until"), limit);
    }

    boolean isEmpty() {
        return states == null && queue == null && handler == null && errorClass == null && since == null && until == null;
    }
}
