package dev.stevedore.operator.pool;

import dev.stevedore.operator.model.JobWorkerPool;
import dev.stevedore.operator.model.JobWorkerPoolStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** The pool's status, built in one place from what the operator observed. */
public final class PoolStatus {

    public static final String AVAILABLE = "Available";
    public static final String PROGRESSING = "Progressing";
    public static final String DEGRADED = "Degraded";
    public static final String DATABASE_REACHABLE = "DatabaseReachable";

    private PoolStatus() {}

    /** What the last dead-worker round found: database reachable or why not, live processes, new prunes. */
    public record Workers(boolean databaseReachable, String databaseMessage, Integer aliveProcesses, List<JobWorkerPoolStatus.PruneRecord> newPrunes) {

        public static Workers unknown() {
            return new Workers(false, null, null, List.of());
        }
    }

    public static final int RECENT_PRUNES = 10;

    public static JobWorkerPoolStatus build(JobWorkerPool pool, Optional<Deployment> deployment, List<String> problems, Workers workers,
                                            List<JobWorkerPoolStatus.ScheduleState> schedules) {
        JobWorkerPoolStatus previous = pool.getStatus() == null ? new JobWorkerPoolStatus() : pool.getStatus();
        JobWorkerPoolStatus status = new JobWorkerPoolStatus();
        status.setObservedGeneration(pool.getMetadata().getGeneration());
        status.setSelector(PoolLabels.selectorString(pool));
        int wanted = pool.getSpec() == null || pool.getSpec().getReplicas() == null ? 1 : pool.getSpec().getReplicas();
        var ds = deployment.map(Deployment::getStatus);
        int replicas = ds.map(s -> s.getReplicas()).orElse(0);
        int ready = ds.map(s -> s.getReadyReplicas()).map(Integer::intValue).orElse(0);
        int updated = ds.map(s -> s.getUpdatedReplicas()).map(Integer::intValue).orElse(0);
        boolean deploymentCurrent = deployment.map(d -> d.getStatus() != null && Objects.equals(d.getStatus().getObservedGeneration(),
                d.getMetadata().getGeneration())).orElse(false);
        status.setReplicas(replicas);
        status.setReadyReplicas(ready);
        status.setAliveProcesses(workers.aliveProcesses() != null ? workers.aliveProcesses() : previous.getAliveProcesses());
        long total = previous.getPrunedTotal() == null ? 0L : previous.getPrunedTotal();
        status.setPrunedTotal(total + workers.newPrunes().size());
        List<JobWorkerPoolStatus.PruneRecord> recent = new ArrayList<>(workers.newPrunes());
        recent.addAll(previous.getRecentPrunes() == null ? List.of() : previous.getRecentPrunes());
        status.setRecentPrunes(new ArrayList<>(recent.subList(0, Math.min(RECENT_PRUNES, recent.size()))));
        status.setSchedules(new ArrayList<>(schedules));

        List<Condition> conditions = new ArrayList<>();
        if (!problems.isEmpty()) {
            conditions.add(condition(previous, DEGRADED, "True", "InvalidSpec", String.join("; ", problems)));
        } else {
            conditions.add(condition(previous, DEGRADED, "False", "AsExpected", "the pool's spec is valid"));
        }
        if (wanted == 0) {
            conditions.add(condition(previous, AVAILABLE, "True", "ScaledToZero", "the pool is scaled to zero"));
        } else if (ready > 0) {
            conditions.add(condition(previous, AVAILABLE, "True", "ReplicasReady", ready + " of " + wanted + " workers ready"));
        } else {
            conditions.add(condition(previous, AVAILABLE, "False", "NoReadyWorkers", "no worker is ready yet"));
        }
        boolean rolling = !problems.isEmpty() ? false : !deploymentCurrent || updated < wanted || replicas != wanted || ready < wanted;
        conditions.add(rolling
                ? condition(previous, PROGRESSING, "True", "RollingOut", updated + " of " + wanted + " workers updated, " + ready + " ready")
                : condition(previous, PROGRESSING, "False", problems.isEmpty() ? "RolloutComplete" : "InvalidSpec",
                        problems.isEmpty() ? "all " + wanted + " workers are up to date" : "waiting for a valid spec"));
        if (workers.databaseMessage() == null) {
            conditions.add(condition(previous, DATABASE_REACHABLE, "Unknown", "NotChecked", "the database has not been checked yet"));
        } else if (workers.databaseReachable()) {
            conditions.add(condition(previous, DATABASE_REACHABLE, "True", "Connected", workers.databaseMessage()));
        } else {
            conditions.add(condition(previous, DATABASE_REACHABLE, "False", "Unreachable", workers.databaseMessage()));
        }
        status.setConditions(conditions);
        return status;
    }

    /** A condition that keeps its last transition time while its status stays the same. */
    static Condition condition(JobWorkerPoolStatus previous, String type, String value, String reason, String message) {
        String since = previous.getConditions().stream()
                .filter(c -> type.equals(c.getType()) && value.equals(c.getStatus()))
                .map(Condition::getLastTransitionTime).filter(Objects::nonNull).findFirst()
                .orElse(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        return new ConditionBuilder().withType(type).withStatus(value).withReason(reason).withMessage(message)
                .withLastTransitionTime(since).build();
    }

    public static Optional<Condition> find(JobWorkerPoolStatus status, String type) {
        return status == null ? Optional.empty() : status.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }
}
