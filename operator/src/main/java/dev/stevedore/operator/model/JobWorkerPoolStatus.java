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
    private List<Condition> conditions = new ArrayList<>();

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
}
