package dev.stevedore.operator.pool;

import dev.stevedore.operator.model.JobWorkerPoolSpec;
import dev.stevedore.operator.model.PrunedJobsSpec;
import dev.stevedore.operator.model.RetentionSpec;
import dev.stevedore.queue.Durations;
import java.time.Duration;
import dev.stevedore.operator.model.ScheduleSpec;
import dev.stevedore.queue.NewJob;
import dev.stevedore.queue.Schedule;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A pool's spec read into typed values, with the checks the CRD schema cannot express. Problems are
 * collected as one message each, naming the field and the fix.
 */
public record PoolSettings(Duration shutdownTimeout, Duration drainTimeout, Duration heartbeatInterval, Duration aliveThreshold,
                           int prunedRetryLimit, Duration prunedRetryBackoff, Duration completedRetention, Duration failedRetention,
                           Duration discardedRetention, List<Schedule> schedules, List<String> problems) {

    /** Added to drain + shutdown for the JVM to exit and the kubelet to notice. */
    public static final Duration GRACE_MARGIN = Duration.ofSeconds(10);

    public static PoolSettings of(JobWorkerPoolSpec spec) {
        List<String> problems = new ArrayList<>();
        Duration shutdown = duration(spec.getShutdownTimeout(), "25s", "spec.shutdownTimeout", problems);
        Duration drain = duration(spec.getDrainTimeout(), "30s", "spec.drainTimeout", problems);
        Duration heartbeat = duration(spec.getHeartbeatInterval(), "2s", "spec.heartbeatInterval", problems);
        Duration alive = duration(spec.getAliveThreshold(), "10s", "spec.aliveThreshold", problems);
        if (alive.compareTo(heartbeat.multipliedBy(2)) < 0) {
            problems.add("spec.aliveThreshold (" + Durations.format(alive) + ") must be at least twice spec.heartbeatInterval ("
                    + Durations.format(heartbeat) + "), or one late heartbeat gets a live worker pruned");
        }
        if (heartbeat.isZero()) {
            problems.add("spec.heartbeatInterval must be longer than 0");
        }
        PrunedJobsSpec pruned = spec.getPrunedJobs() == null ? new PrunedJobsSpec() : spec.getPrunedJobs();
        boolean bounded = pruned.getRetryPolicy() == PrunedJobsSpec.RetryPolicy.Bounded;
        int limit = bounded ? (pruned.getRetryLimit() == null ? 1 : pruned.getRetryLimit()) : 0;
        Duration backoff = duration(pruned.getRetryBackoff(), "30s", "spec.prunedJobs.retryBackoff", problems);
        RetentionSpec retention = spec.getRetention() == null ? new RetentionSpec() : spec.getRetention();
        Duration completed = duration(retention.getCompleted(), "1d", "spec.retention.completed", problems);
        Duration failed = retention.getFailed() == null ? null : duration(retention.getFailed(), "1d", "spec.retention.failed", problems);
        Duration discarded = retention.getDiscarded() == null ? null
                : duration(retention.getDiscarded(), "1d", "spec.retention.discarded", problems);
        for (Duration d : new Duration[] {completed, failed, discarded}) {
            if (d != null && d.isZero()) {
                problems.add("spec.retention: a retention must be longer than 0; leave failed or discarded unset to keep those jobs");
                break;
            }
        }
        if (spec.getQueues() != null) {
            for (String q : spec.getQueues()) {
                if (!q.equals("*") && !q.matches("[A-Za-z0-9_.:-]{1,100}")) {
                    problems.add("spec.queues: '" + q + "' is not a queue name (letters, digits, '_', '.', ':', '-'), nor * for all queues");
                }
            }
            if (spec.getQueues().contains("*") && spec.getQueues().size() > 1) {
                problems.add("spec.queues: '*' already means every queue; give it alone");
            }
        }
        List<Schedule> schedules = schedules(spec.getSchedules(), problems);
        return new PoolSettings(shutdown, drain, heartbeat, alive, limit, backoff, completed, failed, discarded, schedules, List.copyOf(problems));
    }

    /** The schedules of the spec, each checked as the queue would check it; a problem names the entry and its field. */
    private static List<Schedule> schedules(List<ScheduleSpec> specs, List<String> problems) {
        List<Schedule> schedules = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; specs != null && i < specs.size(); i++) {
            ScheduleSpec s = specs.get(i);
            String field = "spec.schedules[" + i + "]";
            if (s.getName() != null && !names.add(s.getName())) {
                problems.add(field + ".name: '" + s.getName() + "' is used twice; give each schedule its own name");
                continue;
            }
            try {
                Schedule.Builder b = Schedule.of(s.getName(), s.getCron(), s.getQueue(), s.getHandler())
                        .timeZone(s.getTimeZone() == null ? "UTC" : s.getTimeZone())
                        .args(args(s, field))
                        .priority(s.getPriority() == null ? 0 : s.getPriority())
                        .maxAttempts(s.getMaxAttempts() == null ? NewJob.DEFAULT_MAX_ATTEMPTS : s.getMaxAttempts())
                        .missed(s.getMissed() == ScheduleSpec.Missed.RunOnce ? Schedule.Missed.RUN_ONCE : Schedule.Missed.SKIP);
                if (s.getTimeout() != null) {
                    b.timeout(Durations.parse(s.getTimeout(), field + ".timeout"));
                }
                schedules.add(b.build());
            } catch (IllegalArgumentException e) {
                problems.add(field + ": " + e.getMessage());
            }
        }
        return List.copyOf(schedules);
    }

    /** The args as JSON text: a JSON object, or none. */
    private static String args(ScheduleSpec s, String field) {
        if (s.getArgs() == null || s.getArgs().isNull()) {
            return "{}";
        }
        if (!s.getArgs().isObject()) {
            throw new IllegalArgumentException("args must be a JSON object such as {\"kind\": \"sales\"}, got " + s.getArgs().getNodeType());
        }
        return s.getArgs().toString();
    }

    /** Drain (preStop), then the shutdown timeout after SIGTERM, plus a margin: the kubelet never kills a worker inside its budget. */
    public long terminationGracePeriodSeconds() {
        Duration total = drainTimeout.plus(shutdownTimeout).plus(GRACE_MARGIN);
        return (total.toMillis() + 999) / 1000;
    }

    public boolean valid() {
        return problems.isEmpty();
    }

    private static Duration duration(String value, String fallback, String field, List<String> problems) {
        try {
            return Durations.parse(value == null ? fallback : value, field);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
            return Durations.parse(fallback, field);
        }
    }
}
