package dev.stevedore.operator.model;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.ArrayList;
import java.util.List;

/** What the pool is, as the operator last saw it. Built in one place: PoolStatus. */
public class JobWorkerPoolStatus {

    private Long observedGeneration;
    @StatusReplicas
    private Integer replicas;
    private Integer readyReplicas;
    @LabelSelector
    private String selector;
    private Integer aliveProcesses;
    private Long prunedTotal;
    private List<PruneRecord> recentPrunes = new ArrayList<>();
    private List<ScheduleState> schedules = new ArrayList<>();
    private List<Condition> conditions = new ArrayList<>();

    /** One schedule of the spec as the queue database holds it: its last and next run, or why it was not applied. */
    public static class ScheduleState {
        private String name;
        private String nextRunAt;
        private String lastRunAt;
        private Long lastJobId;
        private String lastJobState;
        private String error;

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        public String getNextRunAt() {
            return nextRunAt;
        }

        public void setNextRunAt(String nextRunAt) {
            this.nextRunAt = nextRunAt;
        }

        public String getLastRunAt() {
            return lastRunAt;
        }

        public void setLastRunAt(String lastRunAt) {
            this.lastRunAt = lastRunAt;
        }

        public Long getLastJobId() {
            return lastJobId;
        }

        public void setLastJobId(Long lastJobId) {
            this.lastJobId = lastJobId;
        }

        public String getLastJobState() {
            return lastJobState;
        }

        public void setLastJobState(String lastJobState) {
            this.lastJobState = lastJobState;
        }

        public String getError() {
            return error;
        }

        public void setError(String error) {
            this.error = error;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ScheduleState s && java.util.Objects.equals(name, s.name) && java.util.Objects.equals(nextRunAt, s.nextRunAt)
                    && java.util.Objects.equals(lastRunAt, s.lastRunAt) && java.util.Objects.equals(lastJobId, s.lastJobId)
                    && java.util.Objects.equals(lastJobState, s.lastJobState) && java.util.Objects.equals(error, s.error);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(name, nextRunAt, lastRunAt, lastJobId, lastJobState, error);
        }
    }

    /** One prune: which Pod, why, and the jobs that were failed or retried. */
    public static class PruneRecord {
        private String pod;
        private String node;
        private String reason;
        private Long processId;
        private List<Long> jobIds = new ArrayList<>();
        private String time;

        public String getPod() {
            return pod;
        }

        public void setPod(String pod) {
            this.pod = pod;
        }

        public String getNode() {
            return node;
        }

        public void setNode(String node) {
            this.node = node;
        }

        public String getReason() {
            return reason;
        }

        public void setReason(String reason) {
            this.reason = reason;
        }

        public Long getProcessId() {
            return processId;
        }

        public void setProcessId(Long processId) {
            this.processId = processId;
        }

        public List<Long> getJobIds() {
            return jobIds;
        }

        public void setJobIds(List<Long> jobIds) {
            this.jobIds = jobIds;
        }

        public String getTime() {
            return time;
        }

        public void setTime(String time) {
            this.time = time;
        }
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public Integer getReplicas() {
        return replicas;
    }

    public void setReplicas(Integer replicas) {
        this.replicas = replicas;
    }

    public Integer getReadyReplicas() {
        return readyReplicas;
    }

    public void setReadyReplicas(Integer readyReplicas) {
        this.readyReplicas = readyReplicas;
    }

    public String getSelector() {
        return selector;
    }

    public void setSelector(String selector) {
        this.selector = selector;
    }

    public Integer getAliveProcesses() {
        return aliveProcesses;
    }

    public void setAliveProcesses(Integer aliveProcesses) {
        this.aliveProcesses = aliveProcesses;
    }

    public Long getPrunedTotal() {
        return prunedTotal;
    }

    public void setPrunedTotal(Long prunedTotal) {
        this.prunedTotal = prunedTotal;
    }

    public List<PruneRecord> getRecentPrunes() {
        return recentPrunes;
    }

    public void setRecentPrunes(List<PruneRecord> recentPrunes) {
        this.recentPrunes = recentPrunes;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public List<ScheduleState> getSchedules() {
        return schedules;
    }

    public void setSchedules(List<ScheduleState> schedules) {
        this.schedules = schedules;
    }
}
