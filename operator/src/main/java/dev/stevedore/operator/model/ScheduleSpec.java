package dev.stevedore.operator.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** A recurring job declared by the pool: the operator writes it to the queue database, and removes it when it leaves the spec. */
public class ScheduleSpec {

    public enum Missed { Skip, RunOnce }

    @Required
    @Pattern("^[A-Za-z0-9_.:-]{1,100}$")
    @JsonPropertyDescription("Unique name of the schedule in the queue database.")
    private String name;

    @Required
    @JsonPropertyDescription("When it runs: 5 cron fields (minute hour day-of-month month day-of-week), 6 with seconds first, "
            + "or @hourly, @daily, @weekly, @monthly, @yearly.")
    private String cron;

    @Default("UTC")
    @JsonPropertyDescription("IANA time zone the cron expression is read in, e.g. Europe/Berlin.")
    private String timeZone = "UTC";

    @Required
    @JsonPropertyDescription("Queue of the jobs it enqueues.")
    private String queue;

    @Required
    @JsonPropertyDescription("Handler of the jobs it enqueues.")
    private String handler;

    @PreserveUnknownFields
    @JsonPropertyDescription("Arguments of every job, a JSON object.")
    private JsonNode args;

    @Min(-32768)
    @Max(32767)
    @Default("0")
    @JsonPropertyDescription("Priority of the jobs; lower runs first.")
    private Integer priority = 0;

    @Min(1)
    @Default("25")
    @JsonPropertyDescription("Attempts of each job before it fails for good.")
    private Integer maxAttempts = 25;

    @Pattern(JobWorkerPoolSpec.DURATION)
    @JsonPropertyDescription("Fail an attempt that runs longer than this.")
    private String timeout;

    @Default("Skip")
    @JsonPropertyDescription("Runs missed while no worker ran (more than a minute late): Skip them, or RunOnce (the latest).")
    private Missed missed = Missed.Skip;

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getCron() {
        return cron;
    }

    public void setCron(String cron) {
        this.cron = cron;
    }

    public String getTimeZone() {
        return timeZone;
    }

    public void setTimeZone(String timeZone) {
        this.timeZone = timeZone;
    }

    public String getQueue() {
        return queue;
    }

    public void setQueue(String queue) {
        this.queue = queue;
    }

    public String getHandler() {
        return handler;
    }

    public void setHandler(String handler) {
        this.handler = handler;
    }

    public JsonNode getArgs() {
        return args;
    }

    public void setArgs(JsonNode args) {
        this.args = args;
    }

    public Integer getPriority() {
        return priority;
    }

    public void setPriority(Integer priority) {
        this.priority = priority;
    }

    public Integer getMaxAttempts() {
        return maxAttempts;
    }

    public void setMaxAttempts(Integer maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    public String getTimeout() {
        return timeout;
    }

    public void setTimeout(String timeout) {
        this.timeout = timeout;
    }

    public Missed getMissed() {
        return missed;
    }

    public void setMissed(Missed missed) {
        this.missed = missed;
    }
}
