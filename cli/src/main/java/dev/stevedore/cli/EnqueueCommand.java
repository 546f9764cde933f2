package dev.stevedore.cli;

import dev.stevedore.queue.Durations;
import dev.stevedore.queue.JobClient;
import dev.stevedore.queue.NewJob;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "enqueue", mixinStandardHelpOptions = true, description = "Enqueue one job, or --count copies of it in one statement.")
final class EnqueueCommand implements Callable<Integer> {

    @Mixin
    DatabaseOptions db;

    @Spec
    CommandSpec spec;

    @Option(names = "--queue", required = true, description = "queue name")
    String queue;

    @Option(names = "--handler", required = true, description = "handler name")
    String handler;

    @Option(names = "--args", defaultValue = "{}", paramLabel = "JSON", description = "arguments as JSON (default: {})")
    String args;

    @Option(names = "--count", defaultValue = "1", description = "how many copies to enqueue (default: 1)")
    int count;

    @Option(names = "--priority", defaultValue = "0", description = "lower runs first (default: 0)")
    int priority;

    @Option(names = "--run-at", paramLabel = "TIME", description = "not before this ISO-8601 time, e.g. 2026-11-26T10:00:00Z")
    String runAt;

    @Option(names = "--delay", paramLabel = "DURATION", description = "not before this long from now, e.g. 30s")
    String delay;

    @Option(names = "--max-attempts", defaultValue = "25", description = "attempts before the job fails for good (default: 25)")
    int maxAttempts;

    @Option(names = "--unique-key", paramLabel = "KEY", description = "skip the job while an unfinished job holds this key")
    String uniqueKey;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "fail an attempt that runs longer, e.g. 5m")
    String timeout;

    @Option(names = "--concurrency-key", paramLabel = "KEY", description = "run only while fewer than --concurrency-limit jobs of this key run")
    String concurrencyKey;

    @Option(names = "--concurrency-limit", paramLabel = "N", description = "how many jobs of --concurrency-key may run at once")
    Integer concurrencyLimit;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json")
    OutputFormat output;

    @Override
    public Integer call() {
        if (count < 1 || count > 1_000_000) {
            throw new IllegalArgumentException("--count must be between 1 and 1000000, got " + count);
        }
        if (uniqueKey != null && count > 1) {
            throw new IllegalArgumentException("--unique-key admits one job; it cannot be combined with --count " + count);
        }
        NewJob.Builder builder = NewJob.of(queue, handler).args(args).priority(priority).maxAttempts(maxAttempts).uniqueKey(uniqueKey);
        if (runAt != null && delay != null) {
            throw new IllegalArgumentException("give --run-at or --delay, not both");
        }
        if (runAt != null) {
            try {
                builder.runAt(Instant.parse(runAt));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("--run-at must be an ISO-8601 time like 2026-11-26T10:00:00Z, got '" + runAt + "'");
            }
        }
        if (delay != null) {
            builder.delay(Durations.parse(delay, "--delay"));
        }
        if (timeout != null) {
            builder.timeout(Durations.parse(timeout, "--timeout"));
        }
        if ((concurrencyKey == null) != (concurrencyLimit == null)) {
            throw new IllegalArgumentException("--concurrency-key and --concurrency-limit go together: give both, e.g. "
                    + "--concurrency-key account:42 --concurrency-limit 1");
        }
        if (concurrencyKey != null) {
            if (concurrencyLimit < 1) {
                throw new IllegalArgumentException("--concurrency-limit must be at least 1, got " + concurrencyLimit);
            }
            builder.concurrency(concurrencyKey, concurrencyLimit);
        }
        NewJob job = builder.build();
        JobClient client = new JobClient(db.dataSource(), db.schema());
        List<Long> ids = new ArrayList<>(count);
        for (int done = 0; done < count; done += 10_000) {
            ids.addAll(client.enqueueAll(java.util.Collections.nCopies(Math.min(10_000, count - done), job)));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output == OutputFormat.json) {
            Printer.json(out, Map.of("ids", ids));
        } else if (ids.isEmpty()) {
            out.println("not enqueued: an unfinished job already holds unique key " + uniqueKey);
        } else if (ids.size() == 1) {
            out.println("enqueued job " + ids.get(0));
        } else {
            out.println("enqueued " + ids.size() + " jobs, ids " + ids.get(0) + " to " + ids.get(ids.size() - 1));
        }
        return 0;
    }
}
