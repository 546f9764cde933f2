package dev.stevedore.operator.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/**
 * The jobs of a worker that died. {@code None} (the default) fails them; {@code Bounded} retries each job up
 * to {@code retryLimit} times after {@code retryBackoff}, counting per job, so a job that kills every worker
 * it runs on ends failed instead of crash-looping the pool.
 */
public class PrunedJobsSpec {

    public enum RetryPolicy { None, Bounded }

    @Default("None")
    @JsonPropertyDescription("None or Bounded.")
    private RetryPolicy retryPolicy = RetryPolicy.None;

    @Min(1)
    @Max(100)
    @Default("1")
    @JsonPropertyDescription("With Bounded: retries per job.")
    private Integer retryLimit = 1;

    @Pattern(JobWorkerPoolSpec.DURATION)
    @Default("30s")
    @JsonPropertyDescription("With Bounded: wait before a retry.")
    private String retryBackoff = "30s";

    public RetryPolicy getRetryPolicy() {
        return retryPolicy;
    }

    public void setRetryPolicy(RetryPolicy retryPolicy) {
        this.retryPolicy = retryPolicy;
    }

    public Integer getRetryLimit() {
        return retryLimit;
    }

    public void setRetryLimit(Integer retryLimit) {
        this.retryLimit = retryLimit;
    }

    public String getRetryBackoff() {
        return retryBackoff;
    }

    public void setRetryBackoff(String retryBackoff) {
        this.retryBackoff = retryBackoff;
    }
}
