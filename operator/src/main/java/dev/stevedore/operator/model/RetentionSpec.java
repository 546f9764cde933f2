package dev.stevedore.operator.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/**
 * How long finished jobs are kept before the workers delete them. Failed and discarded jobs are kept until
 * someone retries or discards them unless a retention is given, as in Solid Queue.
 */
public class RetentionSpec {

    /** Durations with days allowed: retention is counted in days more often than in seconds. */
    public static final String RETENTION = "^[0-9]+(ms|s|m|h|d)$";

    @Pattern(RETENTION)
    @Default("1d")
    @JsonPropertyDescription("Completed jobs are deleted this long after they finished.")
    private String completed = "1d";

    @Pattern(RETENTION)
    @JsonPropertyDescription("Failed jobs are deleted this long after they failed; unset keeps them.")
    private String failed;

    @Pattern(RETENTION)
    @JsonPropertyDescription("Discarded jobs are deleted this long after they were discarded; unset keeps them.")
    private String discarded;

    public String getCompleted() {
        return completed;
    }

    public void setCompleted(String completed) {
        this.completed = completed;
    }

    public String getFailed() {
        return failed;
    }

    public void setFailed(String failed) {
        this.failed = failed;
    }

    public String getDiscarded() {
        return discarded;
    }

    public void setDiscarded(String discarded) {
        this.discarded = discarded;
    }
}
