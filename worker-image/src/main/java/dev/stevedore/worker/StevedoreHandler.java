package dev.stevedore.worker;

import dev.stevedore.queue.JobHandler;

/**
 * Your own job handler: implement this in a CDI bean (e.g. {@code @ApplicationScoped}) in an application
 * that depends on this module, and the worker registers it under {@link #name()}.
 *
 * <pre>{@code
 * @ApplicationScoped
 * public class SendWelcome implements StevedoreHandler {
 *     public String name() { return "send-welcome"; }
 *     public void handle(JobContext job) throws Exception { ... }
 * }
 * }</pre>
 */
public interface StevedoreHandler extends JobHandler {

    /** The handler name jobs are enqueued with. */
    String name();
}
