package dev.stevedore.operator.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;

/** A PodDisruptionBudget for the pool: voluntary evictions (node drains) take at most this many Pods at once. */
public class DisruptionBudgetSpec {

    @Min(1)
    @JsonPropertyDescription("Pods that may be evicted at the same time.")
    private Integer maxUnavailable = 1;

    public Integer getMaxUnavailable() {
        return maxUnavailable;
    }

    public void setMaxUnavailable(Integer maxUnavailable) {
        this.maxUnavailable = maxUnavailable;
    }
}
