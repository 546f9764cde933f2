package dev.stevedore.queue;

import java.util.Optional;

/** What a handler knows about the job it runs, and how it saves progress. */
public interface JobContext {

    long id();

    String queue();

    String handler();

    /** The job's arguments as JSON text. */
    String args();

    /** 1 for the first run; counts every claim except those released by a graceful shutdown. */
    int attempt();

    int maxAttempts();

    /** The last checkpoint saved by an earlier run of this job, if any: resume from here. */
    Optional<String> checkpoint();

    /**
     * Saves progress as small JSON, fenced like a completion: it is written only while this worker still
     * holds the job. Throws {@link JobLostException} when the job was taken away (pruned, released, timed
     * out), so the handler stops work nobody will accept.
     */
    void saveCheckpoint(String json);
}
