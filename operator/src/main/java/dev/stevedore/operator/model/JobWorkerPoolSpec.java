package dev.stevedore.operator.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;
import java.util.List;

/** What a pool should be. Durations are strings like {@code 500ms}, {@code 25s}, {@code 2m}, {@code 1h}. */
public class JobWorkerPoolSpec {

    public static final String DURATION = "^[0-9]+(ms|s|m|h)$";

    @Required
    @JsonPropertyDescription("Worker container image, e.g. stevedore/worker:0.1.0 or your image built on it.")
    private String image;

    @SpecReplicas
    @Min(0)
    @Default("1")
    @JsonPropertyDescription("Number of worker Pods; also set by kubectl scale, an HPA or KEDA.")
    private Integer replicas = 1;

    @Size(min = 1)
    @JsonPropertyDescription("Queues the workers claim from; [\"*\"] for all.")
    private List<String> queues = List.of("*");

    @Min(1)
    @Max(1000)
    @Default("10")
    @JsonPropertyDescription("Execution slots per worker.")
    private Integer threads = 10;

    @Required
    @JsonPropertyDescription("The queue database, from a Secret in the pool's namespace.")
    private DatabaseSpec database;

    @Pattern(DURATION)
    @Default("25s")
    @JsonPropertyDescription("On stop, how long running jobs may take before they are released back to their queue.")
    private String shutdownTimeout = "25s";

    @Pattern(DURATION)
    @Default("30s")
    @JsonPropertyDescription("How long the preStop hook waits for running jobs after claiming stops.")
    private String drainTimeout = "30s";

    @Pattern(DURATION)
    @Default("2s")
    @JsonPropertyDescription("How often a worker renews its heartbeat.")
    private String heartbeatInterval = "2s";

    @Pattern(DURATION)
    @Default("10s")
    @JsonPropertyDescription("A worker whose heartbeat is older than this is dead; at least twice heartbeatInterval.")
    private String aliveThreshold = "10s";

    @JsonPropertyDescription("What happens to the jobs of a worker that died.")
    private PrunedJobsSpec prunedJobs = new PrunedJobsSpec();

    @JsonPropertyDescription("How long finished jobs are kept.")
    private RetentionSpec retention = new RetentionSpec();

    @JsonPropertyDescription("Run the queue's schema migrations when a worker starts.")
    private Boolean migrate = false;

    @JsonPropertyDescription("A PodDisruptionBudget for the pool's Pods.")
    private DisruptionBudgetSpec podDisruptionBudget;

    @JsonPropertyDescription("Overrides for the worker Pods.")
    private PodTemplateOverrides template = new PodTemplateOverrides();

    @JsonPropertyDescription("Recurring jobs the operator keeps in the queue database: one removed here is deleted there.")
    private List<ScheduleSpec> schedules = List.of();

    public String getImage() {
        return image;
    }

    public void setImage(String image) {
        this.image = image;
    }

    public Integer getReplicas() {
        return replicas;
    }

    public void setReplicas(Integer replicas) {
        this.replicas = replicas;
    }

    public List<String> getQueues() {
        return queues;
    }

    public void setQueues(List<String> queues) {
        this.queues = queues;
    }

    public Integer getThreads() {
        return threads;
    }

    public void setThreads(Integer threads) {
        this.threads = threads;
    }

    public DatabaseSpec getDatabase() {
        return database;
    }

    public void setDatabase(DatabaseSpec database) {
        this.database = database;
    }

    public String getShutdownTimeout() {
        return shutdownTimeout;
    }

    public void setShutdownTimeout(String shutdownTimeout) {
        this.shutdownTimeout = shutdownTimeout;
    }

    public String getDrainTimeout() {
        return drainTimeout;
    }

    public void setDrainTimeout(String drainTimeout) {
        this.drainTimeout = drainTimeout;
    }

    public String getHeartbeatInterval() {
        return heartbeatInterval;
    }

    public void setHeartbeatInterval(String heartbeatInterval) {
        this.heartbeatInterval = heartbeatInterval;
    }

    public String getAliveThreshold() {
        return aliveThreshold;
    }

    public void setAliveThreshold(String aliveThreshold) {
        this.aliveThreshold = aliveThreshold;
    }

    public RetentionSpec getRetention() {
        return retention;
    }

    public void setRetention(RetentionSpec retention) {
        this.retention = retention;
    }

    public PrunedJobsSpec getPrunedJobs() {
        return prunedJobs;
    }

    public void setPrunedJobs(PrunedJobsSpec prunedJobs) {
        this.prunedJobs = prunedJobs;
    }

    public Boolean getMigrate() {
        return migrate;
    }

    public void setMigrate(Boolean migrate) {
        this.migrate = migrate;
    }

    public DisruptionBudgetSpec getPodDisruptionBudget() {
        return podDisruptionBudget;
    }

    public void setPodDisruptionBudget(DisruptionBudgetSpec podDisruptionBudget) {
        this.podDisruptionBudget = podDisruptionBudget;
    }

    public PodTemplateOverrides getTemplate() {
        return template;
    }

    public void setTemplate(PodTemplateOverrides template) {
        this.template = template;
    }

    public List<ScheduleSpec> getSchedules() {
        return schedules;
    }

    public void setSchedules(List<ScheduleSpec> schedules) {
        this.schedules = schedules;
    }
}
