package dev.stevedore.queue;

/**
 * Code that runs a job. Return normally for success; throw to fail the attempt, which the job's retry
 * policy then retries or fails for good. A handler should respond to interruption: the worker interrupts
 * it when the job's timeout passes or a shutdown runs out of time.
 */
@FunctionalInterface
public interface JobHandler {

    void handle(JobContext job) throws Exception;
}
