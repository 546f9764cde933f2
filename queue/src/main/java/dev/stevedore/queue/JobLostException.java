package dev.stevedore.queue;

/**
 * This worker no longer holds the job (it was pruned, released or retried elsewhere), so a write on its
 * behalf was refused. Handlers should let it propagate.
 */
public class JobLostException extends RuntimeException {

    public JobLostException(long jobId, String what) {
        super("job " + jobId + " is no longer held by this worker; its " + what + " was not written");
    }
}
